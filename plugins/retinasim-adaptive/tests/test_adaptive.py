"""The adaptive plugin: registration, the running average, adaptation, validation, a circuit."""

from __future__ import annotations

import math

import pytest
import torch
from retinasim_adaptive import AdaptiveParams, exponential_history

from retinasim.compile import compile_circuit
from retinasim.errors import PluginError, SpecError
from retinasim.plugins import cell_types
from retinasim.spec import load_circuit

CIRCUIT = """\
name: ad
input: {channels: 1, size: [24, 24], frames: 8}
layers:
  - {name: bipolar, cell_type: spatiotemporal, n_types: 2, params: {temporal_kernel: 3}}
  - name: amacrine
    cell_type: adaptive
    n_types: 2
    sign: inhibitory
    weights: nonnegative
    params: {temporal_kernel: 3, gain: GAIN, time_constant: 4.0}
  - {name: ganglion, cell_type: spatiotemporal, n_types: 2, weights: nonnegative,
     params: {temporal_kernel: 3}}
connections:
  - {source: input, target: bipolar, kernel: 4, stride: 2}
  - {source: bipolar, target: amacrine, kernel: 3, padding: 1}
  - {source: amacrine, target: ganglion, kernel: 3, padding: 1}
readout: {layer: ganglion}
"""


def spec(gain: float = 1.0):
    return load_circuit("ad.yaml", text=CIRCUIT.replace("GAIN", str(gain)))


def test_registered_through_the_entry_point() -> None:
    entry = cell_types()["adaptive"]
    assert (entry.package, entry.version) == ("retinasim-adaptive", "0.1.0")


def test_history_is_a_normalised_leaky_average_of_the_strict_past() -> None:
    rho = torch.tensor([0.5], dtype=torch.float64)
    matrix = exponential_history(rho, 40)[0]
    assert torch.all(matrix.diagonal() == 0) and torch.all(matrix.triu() == 0)
    assert matrix[3, 2].item() == pytest.approx(0.5) and matrix[3, 1].item() == pytest.approx(0.25)
    assert matrix[-1].sum().item() == pytest.approx(1.0)  # a constant input averages to itself


def test_history_matches_a_loop_over_time() -> None:
    rho = torch.tensor([0.8, 0.3], dtype=torch.float64)
    series = torch.rand(2, 12, dtype=torch.float64)
    fast = torch.einsum("ctu,cu->ct", exponential_history(rho, 12), series)
    state = torch.zeros(2, dtype=torch.float64)
    for t in range(12):
        assert torch.allclose(fast[:, t], state)
        state = rho * state + (1 - rho) * series[:, t]


def test_a_sustained_input_adapts_and_forward_is_causal() -> None:
    cell = compile_circuit(spec(gain=5.0), seed=0).cells["amacrine"]
    with torch.no_grad():
        cell.filter.weight.zero_()
        cell.filter.weight[:, 0] = 1.0
        cell.filter.bias.zero_()
    drive = torch.ones(1, 2, 8, 3, 3)
    out = cell(drive)
    assert out.shape == drive.shape
    assert out[0, 0, 0, 0, 0] == 1.0 and out[0, 0, -1, 0, 0] < 0.5  # adapted
    assert torch.all(out[0, 0, 1:, 0, 0] < out[0, 0, :-1, 0, 0])
    changed = drive.clone()
    changed[:, :, 5:] = 3.0
    assert torch.equal(cell(changed)[:, :, :5], out[:, :, :5])


def test_gain_and_time_constant_are_learnt_and_constraint_spares_them() -> None:
    circuit = compile_circuit(spec(), seed=0)
    cell = circuit.cells["amacrine"]
    assert cell.time_constant[0].item() == pytest.approx(4.0)
    with torch.no_grad():
        cell.filter.weight.fill_(-1.0)
        cell.log_gain.fill_(-3.0)
    circuit.project_constraints()
    assert (cell.filter.weight == 0).all() and (cell.log_gain == -3.0).all()
    circuit(torch.rand(2, 1, 8, 24, 24))[:, -1].sum().backward()
    assert cell.log_gain.grad is not None and cell.log_time_constant.grad is not None


def test_invalid_params_are_rejected_with_the_layer_and_cell_type() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        AdaptiveParams(time_constant=0.0)
    with pytest.raises(SpecError) as caught:
        spec(gain=-1.0)
    text = str(caught.value)
    assert "ad.yaml:10:" in text and "layers[1].params.gain" in text and "adaptive" in text


def test_a_forward_that_raises_is_reported_with_plugin_and_layer(monkeypatch) -> None:
    circuit = compile_circuit(spec(), seed=0)
    monkeypatch.setattr(circuit.cells["amacrine"], "forward", lambda drive: 1 / 0)
    with pytest.raises(PluginError) as caught:
        circuit(torch.rand(1, 1, 8, 24, 24))
    text = str(caught.value)
    assert "'adaptive'" in text and "'amacrine'" in text and "ZeroDivisionError" in text


def test_a_wrong_shape_is_reported_with_plugin_and_layer(monkeypatch) -> None:
    circuit = compile_circuit(spec(), seed=0)
    monkeypatch.setattr(circuit.cells["amacrine"], "forward", lambda drive: drive.sum(2))
    with pytest.raises(PluginError) as caught:
        circuit(torch.rand(1, 1, 8, 24, 24))
    assert "'adaptive'" in str(caught.value) and "'amacrine'" in str(caught.value)


def test_time_constant_sets_the_decay() -> None:
    rho = math.exp(-1 / 4.0)
    matrix = exponential_history(torch.tensor([rho]), 5)[0]
    assert matrix[1, 0].item() == pytest.approx(1 - rho)
