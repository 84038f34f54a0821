"""White-noise receptive-field mapping of every unit of a layer (population STA), against
kernels planted by hand and the geometry of the reference circuit worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from groundtruth import SPATIAL, TEMPORAL, planted_rf

from retinasim.dissect.errors import DissectionError
from retinasim.dissect.receptive_fields import (
    AxisGeometry,
    initial_kernel_correlation,
    kernel_receptive_fields,
    map_receptive_fields,
    pixel_geometry,
)
from retinasim.spec import load_circuit

ROOT = Path(__file__).resolve().parents[2]


def planted_kernel(margin: int) -> np.ndarray:
    """Type 0's planted space-time kernel ``(lag, y, x)`` inside a ``margin`` of zeros."""
    kernel = TEMPORAL[:, None, None] * SPATIAL[None]
    return np.pad(kernel, ((0, 0), (margin, margin), (margin, margin)))


def test_geometry_of_the_reference_circuit():
    spec = load_circuit(ROOT / "circuits" / "murray2021.yaml")
    # input -> bipolar: kernel 10, stride 5: unit i reads pixels 5i .. 5i + 9
    assert pixel_geometry(spec, "bipolar")[1] == AxisGeometry(stride=5, start=0, extent=10)
    # bipolar -> amacrine: kernel 5, stride 4: 4 bipolar strides of 5 px, 10 + 4 * 5 px
    assert pixel_geometry(spec, "amacrine")[0] == AxisGeometry(stride=20, start=0, extent=30)
    # ganglion: amacrine path (kernel 3, padding 1: 20 px earlier, 30 + 2 * 20 px) united
    # with the residual (bipolar kernel 5, stride 4: pixels 20j .. 20j + 29)
    assert pixel_geometry(spec, "ganglion")[0] == AxisGeometry(stride=20, start=-20, extent=70)
    with pytest.raises(DissectionError, match="no layer 'retina'"):
        pixel_geometry(spec, "retina")


def test_population_sta_recovers_the_planted_kernel():
    circuit = planted_rf()
    fields = map_receptive_fields(
        circuit, trials=96, margin=2, noise={"mean_luminance": 0.5}, batch_size=32
    )
    assert fields.attrs["units"] == 9  # units 2..4 of the 7 x 7 map: field + margin on screen
    assert fields.sta.dims == ("cell_type", "lag", "pixel_y", "pixel_x")
    sta = fields.sta.isel(cell_type=0).values
    expected = planted_kernel(2)
    assert np.corrcoef(sta.ravel(), expected.ravel())[0, 1] > 0.97
    ring = np.ones((9, 9), dtype=bool)
    ring[2:7, 2:7] = False  # the margin: no kernel there, so only estimation noise
    assert np.abs(sta[:, ring]).max() < 0.15 * np.abs(sta).max()
    flipped = fields.sta.isel(cell_type=1).values
    assert (
        np.corrcoef(flipped[:, 2:7, 2:7].ravel(), sta[::-1, 2:7, 2:7][:, ::-1, ::-1].ravel())[0, 1]
        > 0.9
    )
    weights = kernel_receptive_fields(circuit, margin=2)
    np.testing.assert_allclose(weights.kernel.isel(cell_type=0).values, expected, atol=1e-6)
    # the planted field has a surround all round its centre, and the map sees it
    assert float(fields.surround_index[0]) > 0.1
    assert float(fields.surround_coverage[0]) >= 0.75


def test_a_silent_type_is_mapped_at_its_operating_point():
    circuit = planted_rf()
    positive = np.abs(SPATIAL)  # an ON field: its drive grows with the mean luminance
    gain = float(positive.sum() * TEMPORAL.sum())  # drive per unit of uniform luminance
    with torch.no_grad():  # threshold at luminance 0.85: 2.6 SD above the drive at mean 0.5
        circuit.connections["input->bipolar"].weight[0, 0] = torch.as_tensor(positive)
        circuit.cells["bipolar"].bias[0] = -0.85 * gain
    at_half = map_receptive_fields(circuit, trials=8, noise={"mean_luminance": 0.5})
    assert float(at_half.active_fraction[0]) < 0.02
    searched = map_receptive_fields(circuit, trials=96, batch_size=32)
    assert float(searched.mean_luminance[0]) == 0.9  # the level that drives it (0.8 / 1.0)
    assert float(searched.active_fraction[0]) > 0.5
    assert float(searched.mean_luminance[1]) == 0.5  # the linear type: largest contrast
    sta = searched.sta.isel(cell_type=0).values
    expected = np.pad(TEMPORAL[:, None, None] * positive[None], ((0, 0), (2, 2), (2, 2)))
    assert np.corrcoef(sta.ravel(), expected.ravel())[0, 1] > 0.9


def test_kernels_of_a_deep_layer_are_refused():
    from retinasim.compile import compile_circuit

    circuit = compile_circuit(load_circuit(ROOT / "tests" / "dissect" / "tiny3.yaml"), seed=0)
    with pytest.raises(DissectionError, match="not a layer fed by the input alone"):
        kernel_receptive_fields(circuit, "ganglion")
    fields = map_receptive_fields(circuit, "amacrine", trials=2, pilot_trials=1)
    # amacrine: bipolar kernel 4 stride 2, then kernel 3: 4 + 2 * 2 = 8 px, plus 2 margins
    assert fields.sizes["pixel_y"] == 12 and fields.sizes["lag"] == 3


def test_cli_maps_runs_and_writes_table_data_and_figures(trained_run: Path, tmp_path: Path):
    import xarray as xr
    from helpers import run_cli

    out = tmp_path / "fields"
    done = run_cli("receptive-fields", str(trained_run), "--out", str(out), "--trials", "4")
    assert done.returncode == 0, done.stderr
    assert "bipolar_0" in done.stdout and "r(k)" in done.stdout and "r(init)" in done.stdout
    lines = (out / "receptive_fields.csv").read_text().splitlines()
    assert lines[0].startswith("run,cell_type,mean_luminance,active_fraction")
    assert len(lines) == 1 + 3  # tiny3 has 3 bipolar types
    with xr.open_dataset(out / "receptive_fields.nc") as saved:
        assert saved.sta.dims == ("run", "cell_type", "lag", "pixel_y", "pixel_x")
        assert saved.attrs["circuit"] == "tiny3" and "retinasim_version" in saved.attrs
        assert saved.attrs["seed"] == 0 and len(saved.attrs["spec_hash"]) == 16
        # input-fed layer: every type that responded is measured close to its weights
        correlation = saved.sta_kernel_correlation.values
        assert np.all(correlation[np.isfinite(correlation)] > 0.5)
    assert (out / "receptive_fields.png").stat().st_size > 0
    assert (out / "receptive_field_kernels.png").stat().st_size > 0

    missing = run_cli("receptive-fields", str(tmp_path / "nowhere"), "--out", str(out))
    assert missing.returncode != 0 and "no such run folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_layer = run_cli(
        "receptive-fields", str(trained_run), "--out", str(out), "--layer", "retina"
    )
    assert bad_layer.returncode != 0 and "no layer 'retina'" in bad_layer.stderr
    assert len((out / "receptive_fields.csv").read_text().splitlines()) == 4  # kept


def test_initial_kernel_correlation_is_one_before_training_and_drops_after(trained):
    from retinasim.compile import compile_circuit

    circuit = trained

    spec = circuit.spec
    fresh = compile_circuit(spec, seed=spec.training.seed)
    np.testing.assert_allclose(initial_kernel_correlation(fresh, spec).values, 1.0, atol=1e-12)
    moved = initial_kernel_correlation(circuit, spec).values
    assert moved.shape == (3,) and np.all(moved < 0.999)  # 300 steps moved every kernel
    with pytest.raises(DissectionError, match="no connection 'input->ganglion'"):
        initial_kernel_correlation(circuit, spec, "ganglion")
