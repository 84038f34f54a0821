"""The direction-selectivity core (pure xarray) and the single-unit protocol that uses it, on
curves and circuits with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import xarray as xr
from groundtruth import reichardt

from retinasim.analysis import (
    dsi,
    dsi_p_value,
    preferred_direction_deg,
    vector_dsi,
    vector_dsi_p_value,
)
from retinasim.dissect import direction_protocol
from retinasim.dissect.direction import _grid_indices
from retinasim.recording import AnalysisError, Probe, record
from retinasim.stimuli import CentredBars, StimulusBatch

# the detector compares inputs 2 pixels and 2 frames apart: it is tuned to 1 pixel/frame
SETTINGS = dict(
    speeds=(1.0, 2.0), widths=(1.0, 2.0), grid_speed=1.0, grid_width=1.0, n_permutations=500
)


def protocol(wiring: str, **options):
    return direction_protocol(reichardt(wiring), layers=["ganglion"], **SETTINGS | options).sel(
        cell_type="detector"
    )


@pytest.mark.parametrize(("wiring", "cosine"), [("rightward", 1.0), ("leftward", -1.0)])
def test_reichardt_detector_is_direction_selective_in_its_wired_direction(wiring, cosine):
    result = protocol(wiring)
    assert float(result.dsi) == pytest.approx(1.0, abs=1e-6)  # the null direction: nothing
    assert float(result.vector_dsi) > 0.7
    angle = float(result.preferred_direction_deg)
    assert np.cos(np.deg2rad(angle)) == pytest.approx(cosine, abs=0.02)
    assert float(result.vector_dsi_p_value) < 0.01
    assert float(result.preferred_speed) == 1.0
    # every valid sampled unit agrees (the circuit is convolutional)
    valid = result.unit_valid.values
    assert valid.sum() >= 4
    assert float(result.median_unit_dsi) == pytest.approx(1.0, abs=1e-6)
    assert float(result.fraction_ds_units) == 1.0
    preferred = result.unit_preferred_direction_deg.values[valid]
    assert (np.cos(np.deg2rad(preferred)) * cosine > 0.9).all()
    # the receptive field found from the unit itself: centre unit (7, 6) sees columns 6-8
    assert float(result.rf_x) == pytest.approx(7.0, abs=1.0)
    assert float(result.rf_y) == pytest.approx(7.0, abs=1.0)
    assert result.dsi.attrs["units"] == "1" and result.preferred_speed.attrs["units"]


def test_symmetric_wiring_is_not_direction_selective():
    result = protocol("symmetric")
    assert (result.tuning > 0).any()  # it responds ...
    assert float(result.dsi) < 0.1 and float(result.vector_dsi) < 0.1  # ... in both senses
    assert float(result.vector_dsi_p_value) > 0.2
    assert float(result.fraction_ds_units) == 0.0


def test_sampled_units_follow_their_positions():
    result = protocol("rightward")
    valid = result.unit_valid.values
    # unit (row, column) of the 1 x 3 detector sits over input column + 1
    assert np.allclose(result.unit_rf_x.values[valid], result.unit_column.values[valid] + 1, atol=1)
    assert np.allclose(result.unit_rf_y.values[valid], result.unit_row.values[valid], atol=1)


def test_full_and_cross_sweeps_agree_at_the_shared_conditions():
    cross = protocol("rightward", n_permutations=0)
    full = protocol("rightward", n_permutations=0, sweep="full")
    assert np.isnan(cross.tuning.sel(speed=2.0, width=2.0)).all()
    assert np.isfinite(full.tuning).all()
    np.testing.assert_allclose(
        cross.tuning.sel(speed=1.0).values, full.tuning.sel(speed=1.0).values
    )


def test_the_protocol_tuning_is_the_evoked_response_record_gives_for_the_same_bars():
    circuit = reichardt("rightward")
    speed, width, tail = 1.0, 2.0, 20
    result = direction_protocol(
        circuit, layers=["ganglion"], speeds=(speed,), widths=(width,), grid=1,
        n_permutations=0, tail_frames=tail,
    ).sel(cell_type="detector")  # fmt: skip
    # one centre unit: its path is centred on its RF centre (rounded) and reaches its radius
    half = math.ceil(float(result.rf_radius) + width / 2 + 1)
    frames = math.ceil(2 * half / speed) + 1 + tail
    bars = CentredBars(
        height=15, width=15, frames=frames, directions_deg=tuple(result.direction.values),
        centres_xy=((round(float(result.rf_x)), round(float(result.rf_y))),),
        half_paths=(float(half),), speeds=(speed,), widths=(width,),
    )  # fmt: skip
    unit = (int(result.unit_row[0]), int(result.unit_column[0]))
    probe = Probe("ganglion", ("detector",), "position", unit)
    bar_activity = record(circuit, bars, probe, n=bars.n_conditions)["ganglion"]
    blank = StimulusBatch(torch.zeros(1, 1, frames, 15, 15), {"index": np.zeros(1, int)})
    blank_activity = record(circuit, blank, probe)["ganglion"]
    variable = probe.variable
    evoked = (
        bar_activity[variable].astype(float) - blank_activity[variable].astype(float).isel(trial=0)
    ).sum("frame")
    expected = evoked.isel(cell_type=0).values
    np.testing.assert_allclose(result.tuning.values[0, 0], expected, rtol=0, atol=1e-12)
    assert expected.max() > 0  # the detector responds to its bars


def _curve(values, directions=(0.0, 90.0, 180.0, 270.0)) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype=float), dims=("cell", "direction"),
        coords={"direction": list(directions)},
    )  # fmt: skip


def test_the_indices_follow_their_definitions():
    curves = _curve([[4.0, 2.0, 1.0, 2.0], [0.0, 0.0, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(dsi(curves).values[:2], [(4 - 1) / (4 + 1), 1.0])
    np.testing.assert_allclose(vector_dsi(curves).values[:2], [3 / 9, 1.0])
    np.testing.assert_allclose(preferred_direction_deg(curves).values[:2], [0.0, 270.0], atol=1e-9)
    # no response: no index and no preferred direction
    assert np.isnan(dsi(curves)[2]) and np.isnan(vector_dsi(curves)[2])
    assert np.isnan(preferred_direction_deg(curves)[2])
    assert dsi(curves).dims == ("cell",) and preferred_direction_deg(curves).attrs["units"]
    with pytest.raises(AnalysisError, match="opposite"):
        dsi(_curve([[1.0, 2.0, 3.0]], directions=(0.0, 90.0, 180.0)))


def _trials(per_condition: np.ndarray) -> xr.DataArray:
    """``(cell, condition, direction)`` as ``(cell, trial)`` with direction and condition."""
    cells, conditions, n_dir = per_condition.shape
    return xr.DataArray(
        per_condition.reshape(cells, -1), dims=("cell", "trial"),
        coords={
            "direction_deg": ("trial", np.tile(np.arange(n_dir) * 360.0 / n_dir, conditions)),
            "condition": ("trial", np.repeat(np.arange(conditions), n_dir)),
        },
    )  # fmt: skip


def test_permutation_p_of_a_consistent_preference_is_small_and_of_a_flat_one_large():
    values = np.ones((2, 4, 8))
    values[0, :, 0] += 1.0 + np.arange(4)  # cell 0: always prefers 0°; cell 1: flat
    trials = _trials(values)
    for test in (dsi_p_value, vector_dsi_p_value):
        p = test(trials, within="condition", n_permutations=300, seed=0)
        assert p[0] < 0.01 and p[1] > 0.5
        assert np.isnan(test(trials, n_permutations=0)).all()


def test_shuffles_within_conditions_are_the_former_protocol_shuffles():
    # the protocol's former test: argsort of rng.random((block, conditions, directions))
    rng = np.random.default_rng(3)
    values = rng.random((3, 5, 8)) ** 4
    n, observed = 200, vector_dsi(_trials(values).groupby("direction_deg").mean().rename(
        direction_deg="direction")).values  # fmt: skip
    draws = np.random.default_rng(0).random((n, 5, 8))
    shuffled = np.take_along_axis(values[:, None], np.argsort(draws, -1)[None], -1).mean(2)
    null = vector_dsi(_curve(shuffled.reshape(-1, 8), np.arange(8) * 45.0)).values.reshape(3, n)
    expected = (1 + (null >= observed[:, None] - 1e-12).sum(1)) / (1 + n)
    p = vector_dsi_p_value(_trials(values), within="condition", n_permutations=n, seed=0)
    np.testing.assert_array_equal(p.values, expected)
    assert p.dims == ("cell",)


def test_bad_settings_are_refused():
    circuit = reichardt("rightward")
    with pytest.raises(AnalysisError, match="even"):
        direction_protocol(circuit, n_directions=5)
    with pytest.raises(AnalysisError, match="cross sweep"):
        direction_protocol(circuit, speeds=(1.0,), widths=(1.0,), grid_speed=2.0)
    assert torch.is_grad_enabled()


def test_maps_narrower_than_the_sample_are_clipped_not_an_error():
    assert _grid_indices(12, 3) == [3, 6, 9] and _grid_indices(50, 3) == [13, 25, 37]
    assert _grid_indices(1, 3) == [0, 0, 0] and _grid_indices(2, 3) == [0, 1, 1]
