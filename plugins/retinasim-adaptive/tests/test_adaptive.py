"""The adaptive plugin: the running average and adaptation; the cell-type contract
(retinasim.testing)."""

from __future__ import annotations

import math

import pytest
import torch
from retinasim_adaptive import Adaptive
from retinasim_adaptive.cell import exponential_history

from retinasim.compile import compile_circuit
from retinasim.spec import load_circuit
from retinasim.testing import check_cell_type, check_torch_free

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


@pytest.mark.parametrize("learn_adaptation", [True, False])
def test_the_cell_type_keeps_the_contract(learn_adaptation: bool) -> None:
    check_cell_type(
        Adaptive,
        {"temporal_kernel": 3, "time_constant": 4.0, "learn_adaptation": learn_adaptation},
        bad_params=[{"gain": -1.0}, {"time_constant": 0.0}],
        package="retinasim-adaptive",
    )


def test_the_entry_point_module_is_torch_free() -> None:
    check_torch_free("retinasim_adaptive")


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


def test_a_sustained_input_adapts() -> None:
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


def test_the_constraint_clamps_the_filter_and_spares_the_adaptation() -> None:
    circuit = compile_circuit(spec(), seed=0)
    cell = circuit.cells["amacrine"]
    assert cell.time_constant[0].item() == pytest.approx(4.0)
    with torch.no_grad():
        cell.filter.weight.fill_(-1.0)
        cell.log_gain.fill_(-3.0)
    circuit.project_constraints()
    assert (cell.filter.weight == 0).all() and (cell.log_gain == -3.0).all()


def test_time_constant_sets_the_decay() -> None:
    rho = math.exp(-1 / 4.0)
    matrix = exponential_history(torch.tensor([rho]), 5)[0]
    assert matrix[1, 0].item() == pytest.approx(1 - rho)
