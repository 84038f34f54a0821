"""Bipolar–amacrine units (Fig. 7): partners from hand-set weights, coverage from amplitudes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr
from helpers import TINY3, TINY_CIRCUIT

from retinasim.compile import compile_circuit
from retinasim.dissect.units import bipolar_amacrine_units, unit_layers
from retinasim.figures import units as unit_figures
from retinasim.spec import load_circuit


def _amplitude(names: list[str], layers: list[str], s: list[float]) -> xr.DataArray:
    """Type k is silent up to s index k, then rises linearly (threshold: s[k + 1])."""
    index = np.arange(len(s))[:, None]
    values = np.maximum(0.0, index - np.arange(len(names))[None, :]).astype(float)
    return xr.DataArray(
        values,
        dims=("s", "cell_type"),
        coords={"s": s, "cell_type": names, "layer": ("cell_type", layers)},
    )


@pytest.fixture
def wired():
    """tiny3 with bipolar_0 → amacrine_1 and bipolar_1, bipolar_2 → amacrine_0 strongest."""
    circuit = compile_circuit(load_circuit(TINY3))
    with torch.no_grad():
        weight = circuit.connections["bipolar->amacrine"].weight  # (amacrine, bipolar, ky, kx)
        weight.fill_(0.01)
        weight[1, 0] = 1.0
        weight[0, 1] = 0.5
        weight[0, 2] = 0.2
    names = [n for layer in circuit.type_names.values() for n in layer]
    layers = [lay for lay, layer in circuit.type_names.items() for _ in layer]
    return circuit, _amplitude(names, layers, [0.5, 1.0, 1.5, 2.0])


def test_partners_come_from_the_strongest_weight_and_thresholds_from_the_rise(wired):
    circuit, amplitude = wired
    units = bipolar_amacrine_units(circuit, amplitude)
    assert units is not None and units.attrs["target_layer"] == "amacrine"
    assert list(units["partner"].values) == ["amacrine_1", "amacrine_0", "amacrine_0"]
    assert units["weight"].sel(source_type="bipolar_0", target_type="amacrine_1") == 9.0
    np.testing.assert_allclose(units["threshold_s"].values, [1.0, 1.5, 2.0])
    coverage = units["coverage"].sel(source_type="bipolar_2").values
    np.testing.assert_allclose(coverage, [0.0, 0.0, 0.0, 1.0])


def test_a_circuit_without_an_inhibitory_layer_has_no_units():
    spec = load_circuit("tiny.yaml", text=TINY_CIRCUIT)
    assert unit_layers(spec) is None


def test_units_figure_lists_units_by_threshold_and_bolds_the_kept_pair(wired):
    circuit, amplitude = wired
    units = bipolar_amacrine_units(circuit, amplitude)
    figure = unit_figures.units(units, {"bipolar": ["bipolar_1"], "amacrine": ["amacrine_0"]})
    ax = figure.axes[1]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["bipolar_0 → amacrine_1", "bipolar_1 → amacrine_0", "bipolar_2 → amacrine_0"]
    bold = [t.get_fontweight() == "bold" for t in ax.get_yticklabels()]
    assert bold == [False, True, False]
    assert ax.get_xlabel() == "slow speed s (pixels/frame)"
