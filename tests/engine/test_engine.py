"""The evaluation engine against plain forward passes of the lesioned circuit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import TINY3

from retinasim.circuit import CircuitError
from retinasim.compile import compile_circuit
from retinasim.engine import Condition, Engine, StimulusSet, decision_logits, moving_dots_set
from retinasim.spec import load_circuit
from retinasim.task import task_generator

LESION_SETS = [
    None,
    {"bipolar": [0]},
    {"bipolar": [1, 2], "amacrine": [0]},
    {"amacrine": [1]},
    {"ganglion": [0]},
    {"amacrine": [0], "ganglion": [1]},
    {"bipolar": [0, 1, 2], "amacrine": [0, 1]},  # everything upstream silent
]


@pytest.fixture(scope="module")
def circuit_and_spec():
    spec = load_circuit(TINY3)
    circuit = compile_circuit(spec, seed=3).eval()
    with torch.no_grad():  # a circuit whose every type matters: no dead ReLUs
        for name in circuit.layer_names:
            cell = circuit.cells[name]
            cell.bias.fill_(0.05)
    return circuit, spec


def plain_logits(circuit, spec, stimuli: StimulusSet, lesions) -> torch.Tensor:
    """Decision logits of plain forward passes with the lesions set on the circuit."""
    parts = []
    with torch.no_grad(), circuit.lesioned(lesions or {}):
        for batch, _ in stimuli.batches(7):
            parts.append(decision_logits(circuit(batch.video), spec))
    return torch.cat(parts)


def test_every_lesion_set_equals_a_plain_forward_pass_of_the_lesioned_circuit(circuit_and_spec):
    circuit, spec = circuit_and_spec
    stimuli = moving_dots_set(spec, alphas=[1.5, 3.0], n=10)
    result = Engine(circuit, batch_size=4).run(stimuli, LESION_SETS)
    assert result.logits.shape == (len(LESION_SETS), 20, 2)
    for k, lesions in enumerate(LESION_SETS):
        expected = plain_logits(circuit, spec, stimuli, lesions).numpy()
        np.testing.assert_array_equal(result.logits[k], expected, err_msg=str(lesions))
    # the lesions change the answers (the comparison is not between constant outputs)
    assert len({tuple(np.round(row.ravel(), 6)) for row in result.logits}) == len(LESION_SETS)


def test_lesion_sets_add_to_the_circuits_own_lesions(circuit_and_spec):
    circuit, spec = circuit_and_spec
    stimuli = moving_dots_set(spec, alphas=[3.0], n=6)
    circuit.set_lesions({"amacrine": [1]})
    try:
        result = Engine(circuit).run(stimuli, [None, {"bipolar": [2]}, {"amacrine": [1]}])
        combined = plain_logits(circuit, spec, stimuli, {"bipolar": [2]}).numpy()
        base = plain_logits(circuit, spec, stimuli, None).numpy()
        assert circuit.lesions == {"amacrine": [1]}  # restored after the run
    finally:
        circuit.clear_lesions()
    np.testing.assert_array_equal(result.logits[1], combined)
    np.testing.assert_array_equal(result.logits[0], base)
    np.testing.assert_array_equal(result.logits[2], base)  # adds nothing: the intact pass


def test_trial_metadata_labels_and_batches_do_not_change_the_result(circuit_and_spec):
    circuit, spec = circuit_and_spec
    stimuli = moving_dots_set(spec, alphas=[1.0, 3.0], s_values=[0.3, 0.6], n=5)
    one = Engine(circuit, batch_size=1).run(stimuli, [None, {"ganglion": [1]}])
    many = Engine(circuit, batch_size=16).run(stimuli, [None, {"ganglion": [1]}])
    np.testing.assert_allclose(one.logits, many.logits, rtol=1e-5, atol=1e-6)
    assert list(one.trials["alpha"]) == [1.0] * 10 + [3.0] * 10
    assert list(one.trials["s"][:10]) == [0.3] * 5 + [0.6] * 5
    assert list(one.trials["index"][:5]) == [0, 1, 2, 3, 4]
    generated = task_generator(spec, alpha=3.0).model_copy(update={"s": 0.6})
    labels = generated.generate(range(5), seed=spec.training.stimulus_seeds.test).labels
    assert one.labels[15:].tolist() == labels.tolist()
    assert one.correct.shape == (2, 20) and one.correct.dtype == bool


def test_a_stale_cache_and_training_mode_are_refused(circuit_and_spec):
    circuit, spec = circuit_and_spec
    video = task_generator(spec).generate(range(2), seed=0).video
    with torch.no_grad():
        _, cache = circuit.run_cached(video, ["amacrine"])
        with circuit.lesioned({"bipolar": [0]}), pytest.raises(CircuitError, match="changed"):
            circuit.rerun(cache, "amacrine")
        with pytest.raises(CircuitError, match="no restart point"):
            circuit.rerun(cache, "ganglion")
    circuit.train()
    try:
        with pytest.raises(CircuitError, match="eval mode"):
            circuit.run_cached(video, ["bipolar"])
    finally:
        circuit.eval()


def test_a_set_renders_the_same_stimuli_in_any_batch_size(circuit_and_spec):
    _, spec = circuit_and_spec
    stimuli = StimulusSet([Condition(task_generator(spec, alpha=2.0), {"alpha": 2.0})], 5, seed=4)
    small = torch.cat([batch.video for batch, _ in stimuli.batches(2)])
    whole = torch.cat([batch.video for batch, _ in stimuli.batches(5)])
    assert torch.equal(small, whole)
    assert len(stimuli.head(3)) == 3 and len(stimuli) == 5
