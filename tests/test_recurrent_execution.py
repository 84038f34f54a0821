"""Recurrent execution (#25): delayed and upsampled connections, recurrent components run
frame by frame with backpropagation through time, stepped cell modules, the leaky integrator.

The stepped path is checked against the bulk one (``CircuitOptions(stepped=True)`` runs a
whole circuit frame by frame), against a loop computed on paper, and by a float64
``gradcheck`` through time.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import yaml
from helpers import CIRCUITS, TINY3, assert_currents_add_up

from retinasim.cells.builtin import LeakyIntegratorParams
from retinasim.cells.leaky import LeakyIntegratorCell
from retinasim.circuit import Circuit
from retinasim.compile import compile_circuit
from retinasim.errors import PluginError
from retinasim.plugins import cell_types
from retinasim.plugins.cell_type import can_step
from retinasim.spec import load_circuit
from retinasim.stimuli import MovingBars

TINY = TINY3.read_text()
FEEDBACK = "  - {source: amacrine, target: bipolar, kernel: 12, upsample: 2, delay: 1}\n"
LATERAL = "  - {source: amacrine, target: amacrine, kernel: 3, padding: 1, delay: 2}\n"
"""amacrine 13×13 upsampled to 26×26, kernel 12: bipolar's 15×15; amacrine onto itself."""


def tiny(extra: str = FEEDBACK + LATERAL, *, dtype: torch.dtype = torch.float64) -> Circuit:
    """``tiny3`` with ``extra`` connections (default: amacrine feedback onto bipolar and
    lateral amacrine inhibition, one recurrent component), seed 0, eval mode."""
    text = TINY.replace("readout:", extra + "readout:")
    return compile_circuit(load_circuit("tiny.yaml", text=text), seed=0, dtype=dtype).eval()


def video(batch: int = 2, frames: int = 8, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    generator = torch.Generator().manual_seed(7)
    return torch.rand(batch, 1, frames, 32, 32, generator=generator, dtype=dtype)


def stepped(circuit: Circuit) -> Circuit:
    circuit.options = replace(circuit.options, stepped=True)
    return circuit


LOOP = """\
name: loop
input: {channels: 1, size: [1, 1], frames: 6}
layers:
  - {name: a, cell_type: spatiotemporal, n_types: 1, params: {temporal_kernel: 1}}
  - {name: b, cell_type: spatiotemporal, n_types: 1, sign: inhibitory, params: {temporal_kernel: 1}}
connections:
  - {source: input, target: a, kernel: 1}
  - {source: a, target: b, kernel: 1}
  - {source: b, target: a, kernel: 1, delay: 1}
  - {source: a, target: a, kernel: 1, delay: 2}
readout: {layer: a}
"""


def test_a_loop_with_known_weights_gives_the_sequence_derived_on_paper() -> None:
    circuit = compile_circuit(load_circuit("loop.yaml", text=LOOP), dtype=torch.float64).eval()
    assert circuit.plan.recurrent == (("a", "b"),)
    with torch.no_grad():
        for parameter in circuit.parameters():
            parameter.zero_()
        for name in ("a", "b"):
            circuit.cells[name].weight.fill_(1.0)  # one tap: activity = relu(drive)
        for key, weight in (("input->a", 1.0), ("a->b", 1.0), ("b->a", 0.5), ("a->a", 0.25)):
            circuit.connection(key).weight.fill_(weight)
        output = circuit.run(torch.ones(1, 1, 6, 1, 1, dtype=torch.float64))
    # a_t = relu(1 - 0.5 b_{t-1} + 0.25 a_{t-2}) (b inhibitory), b_t = relu(a_t), at rest before
    a = [1.0, 0.5, 1.0, 0.625, 0.9375, 0.6875]
    assert output.activity["a"].flatten().tolist() == a
    assert output.activity["b"].flatten().tolist() == a


def test_a_change_at_frame_t_changes_nothing_before_t() -> None:
    circuit = tiny()
    assert circuit.plan.recurrent == (("bipolar", "amacrine"),)
    before = video()
    after = before.clone()
    after[:, :, 4] += 0.5
    with torch.no_grad():
        one, two = circuit.run(before), circuit.run(after)
    for name in circuit.layer_names:
        assert torch.equal(one.activity[name][:, :, :4], two.activity[name][:, :, :4])
        assert not torch.equal(one.activity[name][:, :, 4:], two.activity[name][:, :, 4:])
    assert torch.equal(one.logits[:, :4], two.logits[:, :4])


def feed_forward(file: Path) -> bool:
    """Whether the shipped circuit ``file`` has no delayed connection (read as plain YAML, so
    that a circuit of an uninstalled plugin is still sorted)."""
    data = yaml.safe_load(file.read_text())
    return not any(connection.get("delay") for connection in data["connections"])


def _param(file: Path):  # variants at full size under -m slow, as in test_shipped_circuits
    marks = [pytest.mark.slow] if file.stem.startswith("murray2021_") else []
    return pytest.param(file, marks=marks, id=file.stem)


@pytest.mark.parametrize("file", [_param(f) for f in CIRCUITS if feed_forward(f)])
def test_every_shipped_feed_forward_circuit_gives_the_same_numbers_stepped(file: Path) -> None:
    missing = {x["cell_type"] for x in yaml.safe_load(file.read_text())["layers"]}
    missing -= set(cell_types())
    if missing:
        pytest.skip(f"cell-type plugin not installed: {', '.join(sorted(missing))}")
    spec = load_circuit(file)
    circuit = compile_circuit(spec, seed=0, dtype=torch.float64).eval()
    without = [n for n in circuit.layer_names if not can_step(circuit.cells[n])]
    if without:
        pytest.skip(f"cell type without a stepped form in {', '.join(without)}")
    height, width = spec.input.size
    generator = torch.Generator().manual_seed(1)
    frames = torch.rand(
        1,
        spec.input.channels,
        spec.input.frames,
        height,
        width,
        generator=generator,
        dtype=torch.float64,
    )
    with torch.no_grad():
        bulk = circuit.run(frames)
        step = stepped(circuit).run(frames)
    for name in circuit.layer_names:
        scale = bulk.activity[name].abs().max().item()
        assert scale > 0
        assert (bulk.activity[name] - step.activity[name]).abs().max().item() <= 1e-12 * scale
    assert (bulk.logits - step.logits).abs().max().item() <= 1e-12


def test_a_recurrent_circuit_stepped_as_a_whole_gives_the_same_numbers() -> None:
    circuit = tiny()
    with torch.no_grad():
        parts = circuit.run(video())
        whole = stepped(circuit).run(video())
    assert (parts.logits - whole.logits).abs().max().item() <= 1e-14


def leaky(n_types: int = 3, frame_rate_hz: float = 30.0) -> LeakyIntegratorCell:
    params = LeakyIntegratorParams(tau_init_s=0.05, tau_min_s=0.01, tau_max_s=0.5)
    return LeakyIntegratorCell(n_types, params, frame_rate_hz=frame_rate_hz).double()


def test_the_leaky_integrator_in_bulk_steps_and_solves_its_equation() -> None:
    cell = leaky()
    with torch.no_grad():
        cell.tau_logit.copy_(torch.tensor([-2.0, 0.0, 3.0]))
        cell.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    drive = torch.randn(
        2, 3, 12, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    bulk = cell(drive)
    state = cell.initial_state(2, (4, 5), device=drive.device, dtype=drive.dtype)
    frames = []
    for t in range(12):
        out, state = cell.step(drive[:, :, t], state)
        frames.append(out)
    assert (torch.stack(frames, 2) - bulk).abs().max().item() <= 1e-13
    # a constant drive d from rest: V_t = (d + b)(1 - a^(t+1)), a = exp(-Δt/τ)
    constant = torch.ones(1, 3, 12, 1, 1, dtype=torch.float64)
    tau = cell.tau_s().detach()
    a = torch.exp(-(1 / 30) / tau)
    t = torch.arange(12, dtype=torch.float64)
    expected = ((1 + cell.bias.detach())[:, None] * (1 - a[:, None] ** (t + 1))).relu()
    assert torch.allclose(cell(constant)[0, :, :, 0, 0], expected, rtol=0, atol=1e-14)


def test_the_leaky_time_constant_stays_within_its_bounds_and_starts_at_its_initial_value() -> None:
    cell = leaky()
    assert cell.tau_s().detach().tolist() == pytest.approx([0.05] * 3, rel=1e-6)  # set in float32
    with torch.no_grad():
        cell.tau_logit.copy_(torch.tensor([-1e3, 0.0, 1e3]))
    tau = cell.tau_s().detach()
    assert tau[0].item() == 0.01 and tau[2].item() == 0.5 and 0.01 < tau[1].item() < 0.5
    with pytest.raises(ValueError, match="tau_min_s < tau_init_s < tau_max_s"):
        LeakyIntegratorParams(tau_init_s=0.5, tau_max_s=0.2)


def test_the_leaky_integrator_gets_the_circuit_frame_rate() -> None:
    text = TINY.replace("frames: 8}", "frames: 8, frame_rate: 60.0}")
    text = text.replace("cell_type: spatiotemporal", "cell_type: leaky_integrator")
    text = text.replace("params: {temporal_kernel: 3}", "params: {tau_init_s: 0.02}")
    circuit = compile_circuit(load_circuit("leaky.yaml", text=text), seed=0)
    cell = circuit.cells["amacrine"]
    assert isinstance(cell, LeakyIntegratorCell) and cell.frame_s == 1 / 60
    assert cell.tau_s().detach().tolist() == pytest.approx([0.02, 0.02], rel=1e-6)


def test_gradients_through_time_are_exact_in_float64() -> None:
    text = TINY.replace("size: [32, 32], frames: 8", "size: [6, 6], frames: 4")
    text = text.replace("kernel: 4, stride: 2", "kernel: 4, stride: 2, padding: 1")
    text = text.replace(
        "{name: amacrine, cell_type: spatiotemporal", "{name: amacrine, cell_type: leaky_integrator"
    ).replace("weights: nonnegative, params: {temporal_kernel: 3}}", "weights: nonnegative}", 1)
    extra = "  - {source: amacrine, target: bipolar, kernel: 3, padding: 2, delay: 1}\n"
    circuit = compile_circuit(
        load_circuit("g.yaml", text=text.replace("readout:", extra + "readout:")),
        seed=3,
        dtype=torch.float64,
    ).eval()
    assert circuit.plan.recurrent == (("bipolar", "amacrine"),)
    feedback = circuit.connection("amacrine->bipolar")
    frames = torch.rand(
        1, 1, 4, 6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(2)
    )

    def logits(stimulus: torch.Tensor, weight: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        parameters = {
            "connections.amacrine->bipolar.weight": weight,
            "cells.amacrine.tau_logit": tau,
        }
        return torch.func.functional_call(circuit, parameters, (stimulus,))

    inputs = (
        frames.requires_grad_(),
        feedback.weight.detach().clone().requires_grad_(),
        circuit.cells["amacrine"].tau_logit.detach().clone().requires_grad_(),
    )
    assert torch.autograd.gradcheck(logits, inputs, fast_mode=True)


def test_a_delayed_feed_forward_connection_delivers_only_its_bias_before_its_delay() -> None:
    circuit = tiny("", dtype=torch.float64)  # reference: no delay
    delayed = tiny3_with_residual_delay()
    assert delayed.plan.recurrent == ()
    groups = delayed._schedule()[0]["bipolar"]
    assert [g.keys for g in groups] == [("bipolar->amacrine",), ("bipolar->ganglion",)]
    delayed.load_state_dict(circuit.state_dict())
    with torch.no_grad():
        now = circuit.run(video(), drives=["ganglion"])
        later = delayed.run(video(), drives=["ganglion"])
        bipolar = now.activity["bipolar"]
        residual = delayed.connection_drive("bipolar->ganglion", bipolar)
        undelayed = circuit.connection_drive("bipolar->ganglion", bipolar)
    bias = delayed.connection("bipolar->ganglion").bias
    assert torch.equal(residual[:, :, :2], bias.view(1, -1, 1, 1, 1).expand_as(residual[:, :, :2]))
    assert torch.allclose(residual[:, :, 2:], undelayed[:, :, :-2], rtol=0, atol=1e-14)
    from_amacrine = delayed.connection_drive("amacrine->ganglion", now.activity["amacrine"])
    assert torch.allclose(later.drives["ganglion"], residual + from_amacrine, rtol=0, atol=1e-13)


def tiny3_with_residual_delay() -> Circuit:
    text = TINY.replace(
        "{source: bipolar, target: ganglion, kernel: 3}",
        "{source: bipolar, target: ganglion, kernel: 3, delay: 2}",
    )
    return compile_circuit(load_circuit("d.yaml", text=text), seed=0, dtype=torch.float64).eval()


def test_a_cell_type_that_cannot_step_is_refused_in_a_cycle(plugin_site: Path) -> None:
    text = TINY.replace(
        "{name: amacrine, cell_type: spatiotemporal", "{name: amacrine, cell_type: rectifier"
    ).replace("weights: nonnegative, params: {temporal_kernel: 3}}", "weights: nonnegative}", 1)
    spec = load_circuit("r.yaml", text=text)
    compile_circuit(spec)  # outside a cycle: runs in bulk, old build() signature and all
    with pytest.raises(PluginError) as caught:
        compile_circuit(load_circuit("c.yaml", text=text.replace("readout:", LATERAL + "readout:")))
    assert str(caught.value) == (
        "cell type 'rectifier' (plugin 'rectifier') of layer 'amacrine' cannot run "
        "frame by frame (its module has no initial_state() and step()), but 'amacrine' is in a "
        "recurrent component: amacrine -> amacrine (delay 2)"
    )


def test_currents_add_up_to_the_drive_of_every_layer_of_a_recurrent_circuit() -> None:
    stimuli = MovingBars(height=32, width=32, frames=8, speeds=(1.0,), widths=(4.0,))
    assert_currents_add_up(tiny(), stimuli.generate(range(2), seed=0, dtype=torch.float64))


def test_a_lesion_inside_a_recurrent_component_reruns_the_component() -> None:
    circuit = tiny()
    stimulus = video()
    with torch.no_grad():
        _, cache = circuit.run_cached(stimulus, ["amacrine"])
        with circuit.lesioned({"amacrine": [0]}):
            rerun = circuit.rerun(cache, "amacrine")
            direct = circuit(stimulus)
        intact = circuit(stimulus)
    assert torch.equal(rerun.logits, direct)
    assert not torch.equal(direct, intact)


def test_a_recurrent_circuit_trains_with_dropout_through_time() -> None:
    circuit = tiny(dtype=torch.float32).train()
    torch.manual_seed(0)
    logits = circuit(video(dtype=torch.float32))
    logits[:, -1].logsumexp(1).sum().backward()
    for key in ("amacrine->bipolar", "amacrine->amacrine"):
        grad = circuit.connection(key).weight.grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
    assert math.isfinite(logits.sum().item())


@pytest.mark.slow
def test_everything_downstream_runs_on_a_recurrent_leaky_circuit(tmp_path: Path) -> None:
    """#25 item 4: ``run`` (training, evaluation, every analysis, figures, report),
    ``record`` with a current probe to NWB, ``receptive-fields`` and ``info`` on tiny3 with
    amacrine feedback onto the bipolar cells, lateral amacrine interactions and leaky
    integrators in every layer (about 40 s)."""
    import yaml
    from helpers import SMALL_ANALYSIS, TINY3, run_cli

    data = yaml.safe_load(TINY3.read_text())
    data["name"] = "tiny3_recurrent_leaky"
    for layer in data["layers"]:
        layer["cell_type"] = "leaky_integrator"
        layer.pop("params", None)
    data["connections"] += [
        {"source": "amacrine", "target": "bipolar", "kernel": 3, "padding": 2, "delay": 1},
        {"source": "amacrine", "target": "amacrine", "kernel": 3, "padding": 1, "delay": 1},
    ]
    circuit = tmp_path / "recurrent.yaml"
    circuit.write_text(yaml.safe_dump(data, sort_keys=False))
    info = run_cli("info", circuit)
    assert (
        info.returncode == 0 and "recurrent, run frame by frame: bipolar, amacrine" in info.stdout
    )
    run = tmp_path / "run"
    done = run_cli("run", circuit, "--out", run, *SMALL_ANALYSIS, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (run / "report.html").is_file() and (run / "analysis" / "mechanism.nc").is_file()
    assert (run / "figures" / "fig4d_temporal_kernels.svg").is_file()  # leaky filters drawn
    probe = "amacrine->bipolar:centre/by_source"
    recorded = run_cli(
        "record", run, "--stimulus", "moving_bars", "--probe", probe, "--n", "2",
        "--out", tmp_path / "r.nwb",
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    fields = run_cli("receptive-fields", run, "--out", tmp_path / "rf", "--trials", "4")
    assert fields.returncode == 0, fields.stderr
    assert (tmp_path / "rf" / "receptive_fields.nc").is_file()
