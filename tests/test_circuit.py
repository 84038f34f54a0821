"""The compiled circuit's behaviour: sums, signs, constraints, lesions, dropout, recording."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from helpers import ROOT

from retinasim.circuit import Circuit, CircuitError
from retinasim.compile import compile_circuit
from retinasim.spec import load_circuit

MURRAY = ROOT / "circuits" / "murray2021.yaml"


def small_murray(**changes) -> Circuit:
    """murray2021 on 55 x 55 x 12 stimuli (maps 10, 2, 2): same structure, quick to run."""
    spec = load_circuit(MURRAY)
    spec = spec.model_copy(
        update={"input": spec.input.model_copy(update={"size": (55, 55), "frames": 12})}
    )
    return compile_circuit(spec, seed=changes.pop("seed", 0), **changes)


def dots(batch: int, frames: int = 12, size: int = 55, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, 1, frames, size, size, generator=generator) < 0.05).float()


DIAMOND = """\
name: diamond
input: {size: [3, 4], frames: 2}
layers:
  - {name: a, cell_type: spatiotemporal, n_types: 1, params: {temporal_kernel: 1}}
  - {name: b, cell_type: spatiotemporal, n_types: 1, sign: inhibitory, params: {temporal_kernel: 1}}
  - {name: c, cell_type: spatiotemporal, n_types: 1, params: {temporal_kernel: 1}}
connections:
  - {source: input, target: a, kernel: 1}
  - {source: input, target: b, kernel: 1}
  - {source: a, target: c, kernel: 1}
  - {source: b, target: c, kernel: 1}
readout: {layer: c}
dropout: 0.5
"""


def diamond() -> Circuit:
    """input → a (excitatory), input → b (inhibitory), a + b → c; every cell a plain ReLU."""
    circuit = compile_circuit(load_circuit("<diamond>", text=DIAMOND), seed=0)
    values = {
        "input->a": (2.0, 0.5),
        "input->b": (3.0, 0.0),
        "a->c": (1.0, 0.1),
        "b->c": (0.5, 0.2),
    }
    with torch.no_grad():
        for key, (weight, bias) in values.items():
            circuit.connections[key].weight.fill_(weight)
            circuit.connections[key].bias.fill_(bias)
        for name in "abc":
            circuit.cells[name].weight.fill_(1.0)
            circuit.cells[name].bias.fill_(0.0)
    return circuit.eval()


def test_inputs_are_summed_and_inhibitory_outputs_negated() -> None:
    circuit = diamond()
    video = torch.linspace(-1, 1, 24).view(1, 1, 2, 3, 4)
    out = circuit.run(video)
    a = torch.relu(2 * video + 0.5)
    b = torch.relu(3 * video)
    c = torch.relu((a + 0.1) + (0.5 * -b + 0.2))
    torch.testing.assert_close(out.activity["a"], a)
    torch.testing.assert_close(out.activity["b"], b)  # recorded as the cell's own output, ≥ 0
    torch.testing.assert_close(out.activity["c"], c)
    assert (out.activity["b"] > 0).any()


def test_readout_is_linear_in_the_whole_map_at_every_frame() -> None:
    circuit = small_murray().eval()
    out = circuit.run(dots(2), layers=["ganglion"])
    expected = torch.einsum("kcyx,bctyx->btk", circuit.readout.weight, out.activity["ganglion"])
    torch.testing.assert_close(out.logits, expected + circuit.readout.bias)


def test_forward_and_backward_reach_every_parameter() -> None:
    circuit = small_murray()
    logits = circuit(dots(2))
    assert logits.shape == (2, 12, 2)
    F.cross_entropy(logits[:, -1], torch.tensor([0, 1])).backward()
    for name, parameter in circuit.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name


def test_any_number_of_frames_runs() -> None:
    circuit = small_murray().eval()
    assert circuit.run(dots(1, frames=7)).activity["bipolar"].shape == (1, 8, 7, 10, 10)


def test_constraints_hold_after_adam_steps_and_biases_stay_free() -> None:
    circuit = small_murray(seed=3)
    optimizer = torch.optim.Adam(circuit.parameters(), lr=0.05)
    video, labels = dots(4, seed=1), torch.tensor([0, 1, 0, 1])
    went_negative = False
    for _ in range(4):
        optimizer.zero_grad()
        F.cross_entropy(circuit(video)[:, -1], labels).backward()
        optimizer.step()
        went_negative |= any((p < 0).any().item() for p in circuit.constrained_parameters())
        circuit.project_constraints()
        assert all((p >= 0).all() for p in circuit.constrained_parameters())
    assert went_negative, "the test should make some constrained weight negative"
    biases = [c.bias for c in circuit.connections.values()] + [circuit.cells["ganglion"].bias]
    assert any((b < 0).any() for b in biases)


# -- lesions -------------------------------------------------------------------------------


def active_types(activity: torch.Tensor) -> list[int]:
    return [i for i in range(activity.shape[1]) if activity[:, i].abs().sum() > 0]


@pytest.mark.parametrize("training", [False, True])
def test_a_lesioned_type_is_exactly_zero_and_changes_the_decision(training: bool) -> None:
    circuit = small_murray().train(training)
    video = dots(2)
    torch.manual_seed(0)
    intact = circuit.run(video)
    chosen = active_types(intact.activity["ganglion"])[:2]
    circuit.set_lesions({"ganglion": chosen})
    torch.manual_seed(0)
    lesioned = circuit.run(video)
    assert lesioned.activity["ganglion"][:, chosen].eq(0).all()
    others = [i for i in range(8) if i not in chosen]
    torch.testing.assert_close(
        lesioned.activity["ganglion"][:, others], intact.activity["ganglion"][:, others]
    )
    assert not torch.allclose(lesioned.logits, intact.logits)
    assert circuit.lesions == {"ganglion": sorted(chosen)}


def test_an_inhibitory_lesion_disinhibits_its_targets() -> None:
    circuit = small_murray().eval()
    video = dots(2)
    intact = circuit.run(video).activity["ganglion"]
    with circuit.lesioned({"amacrine": list(range(8))}):
        released = circuit.run(video).activity["ganglion"]
    assert (released >= intact - 1e-6).all() and (released > intact).any()


def test_lesions_by_name_context_and_clearing() -> None:
    circuit = small_murray().eval()
    circuit.set_lesions({"bipolar": ["bipolar_3"]})
    with circuit.lesioned({"bipolar": [1], "ganglion": ["ganglion_7"]}):
        assert circuit.lesions == {"bipolar": [1, 3], "ganglion": [7]}
        assert circuit.run(dots(1)).activity["bipolar"][:, [1, 3]].eq(0).all()
    assert circuit.lesions == {"bipolar": [3]}
    circuit.clear_lesions()
    assert circuit.lesions == {} and all(m.all() for m in circuit.lesion_masks.buffers())


def test_lesions_are_buffers_not_parameters_nor_checkpoint_state() -> None:
    circuit = small_murray()
    circuit.set_lesions({"ganglion": [0]})
    assert not any("lesion" in name for name, _ in circuit.named_parameters())
    assert not any("lesion" in key for key in circuit.state_dict())
    assert any("lesion" in name for name, _ in circuit.named_buffers())


@pytest.mark.parametrize(
    ("lesions", "message"),
    [
        ({"ganglia": [0]}, "unknown layer 'ganglia'; did you mean 'ganglion'"),
        ({"ganglion": [8]}, r"index 8 is out of range for layer 'ganglion', which has 8 types"),
        ({"ganglion": [-1]}, "index -1 is out of range"),
        ({"ganglion": ["ganglion_9"]}, "unknown cell type of layer 'ganglion' 'ganglion_9'"),
        ({"ganglion": 2}, "must be a list of cell types"),
        ({"ganglion": [1.5]}, "expected an index or a type name"),
    ],
)
def test_bad_lesions_are_refused_and_change_nothing(lesions, message) -> None:
    circuit = small_murray()
    circuit.set_lesions({"bipolar": [2]})
    with pytest.raises(CircuitError, match=message):
        circuit.set_lesions(lesions)
    assert circuit.lesions == {"bipolar": [2]}


# -- dropout, recording, inputs ------------------------------------------------------------


def test_dropout_acts_only_in_training_mode() -> None:
    circuit = small_murray()
    video = dots(2)
    circuit.eval()
    assert torch.equal(circuit(video), circuit(video))
    circuit.train()
    first, second = circuit(video), circuit(video)
    assert not torch.equal(first, second)
    torch.manual_seed(5)
    again = circuit(video)
    torch.manual_seed(5)
    assert torch.equal(again, circuit(video))


def test_readout_dropout_is_off_unless_asked_for() -> None:
    circuit = diamond().train()
    circuit.dropout_p = 0.0
    video = torch.rand(1, 1, 2, 3, 4)
    assert torch.equal(circuit(video), circuit(video))
    circuit.readout_dropout = 0.5
    outputs = {tuple(circuit(video).flatten().tolist()) for _ in range(8)}
    assert len(outputs) > 1


def test_run_records_the_requested_layers_only() -> None:
    circuit = small_murray().eval()
    assert set(circuit.run(dots(1), layers=["amacrine"]).activity) == {"amacrine"}
    assert set(circuit.run(dots(1)).activity) == {"bipolar", "amacrine", "ganglion"}
    with pytest.raises(CircuitError, match=r"unknown layer.*'retina'.*bipolar, amacrine"):
        circuit.run(dots(1), layers=["retina"])


@pytest.mark.parametrize(
    ("video", "message"),
    [
        (torch.zeros(1, 12, 55, 55), r"expected a video \(batch, 1, frames, 55, 55\)"),
        (torch.zeros(1, 2, 12, 55, 55), r"got \(1, 2, 12, 55, 55\)"),
        (torch.zeros(1, 1, 12, 54, 55), r"got \(1, 1, 12, 54, 55\)"),
        (torch.zeros(1, 1, 12, 55, 55, dtype=torch.float64), "float64 .* but the circuit"),
    ],
)
def test_a_video_that_does_not_fit_is_refused(video: torch.Tensor, message: str) -> None:
    with pytest.raises(CircuitError, match=message):
        small_murray()(video)


def test_to_float64_after_compiling_works() -> None:
    circuit = small_murray().to(torch.float64).eval()
    out = circuit.run(dots(1).double())
    assert out.logits.dtype == torch.float64
    assert circuit.lesion_masks["ganglion"].dtype == torch.bool
