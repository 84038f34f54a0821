"""The per-layer layout on a trained model: saved, reopened lazily, the same tuning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from helpers import TINY3

from retinasim.analysis import direction_tuning
from retinasim.recording import open_recording, record, save_recording
from retinasim.stimuli import MovingBars


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from retinasim.spec import load_circuit
    from retinasim.training import load_trained, train

    out = tmp_path_factory.mktemp("tiny3") / "run"
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train(load_circuit(TINY3), out)
    finally:
        torch.set_num_threads(before)
    return load_trained(out)


def _by_hand(circuit, spec, bars) -> xr.DataArray:
    """The old flat layout, built without ``record``: every layer's centre units on one
    ``cell_type`` dimension."""

    batch = bars.generate(range(bars.n_conditions), seed=0)
    with torch.no_grad():
        activity = circuit.eval().run(batch.video).activity
    values, names = [], []
    for layer in circuit.layer_names:
        y, x = (size // 2 for size in activity[layer].shape[3:])
        values.append(activity[layer][:, :, :, y, x].float().numpy())
        names += [f"{layer}.{name}" for name in circuit.type_names[layer]]
    return xr.DataArray(
        np.concatenate(values, axis=1),
        dims=("trial", "cell_type", "frame"),
        coords={"cell_type": names, "direction_deg": ("trial", batch.metadata["direction_deg"])},
        attrs={"long_name": "activity", "units": "a.u."},
    )


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_saved_and_reopened_recording_gives_the_same_tuning(trained, tmp_path: Path, suffix):
    circuit = trained
    spec = circuit.spec
    bars = MovingBars(height=32, width=32, frames=8, speeds=(2.0,), widths=(2.0,))
    probes = [f"{layer}:centre" for layer in circuit.layer_names]
    tree = record(circuit, bars, probes, n=bars.n_conditions)
    reopened = open_recording(save_recording(tree, tmp_path / f"bars{suffix}"))
    flat = direction_tuning(_by_hand(circuit, spec, bars), n_permutations=200)
    for layer in circuit.layer_names:
        variable = f"{layer}/{layer}_centre"
        assert reopened[variable].chunks is not None  # lazy
        new = direction_tuning(tree[variable], n_permutations=200)
        lazy = direction_tuning(reopened[variable], n_permutations=200)
        xr.testing.assert_identical(lazy, new)
        old = flat.sel(cell_type=[f"{layer}.{name}" for name in circuit.type_names[layer]])
        for name in ("tuning", "dsi", "vector_dsi", "preferred_direction_deg", "dsi_p_value"):
            np.testing.assert_allclose(new[name].values, old[name].values, rtol=1e-5, atol=1e-6)
    assert np.isfinite(flat.dsi).any()
