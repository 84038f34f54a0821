"""Direction tuning against circuits whose preferred direction is known by construction."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from groundtruth import reichardt

from retinasim.analysis import direction_tuning
from retinasim.recording import AnalysisError, record
from retinasim.stimuli import MovingBars

# 1-pixel bars at 1 pixel/frame: the detector's delay (2 frames) matches its input spacing
# (2 pixels) only for motion along its axis, in its preferred sense.
BARS = MovingBars(height=15, width=15, frames=21, speeds=(1.0,), widths=(1.0,))


def tuning_of(wiring: str) -> xr.Dataset:
    recording = record(reichardt(wiring), BARS, "ganglion:centre", n=16)  # 2 repeats
    return direction_tuning(recording["ganglion/ganglion_centre"], n_permutations=500, seed=0)


def test_delay_and_compare_detector_prefers_the_direction_it_was_wired_for() -> None:
    # delayed input on the left, fast input on the right: rightward motion (0°, +x) coincides
    result = tuning_of("rightward").sel(cell_type="detector")
    assert float(result.dsi) > 0.5 and float(result.vector_dsi) > 0.5
    assert float(result.peak_direction_deg) == 0.0
    assert abs((float(result.preferred_direction_deg) + 180) % 360 - 180) < 1.0
    assert float(result.vector_dsi_p_value) < 0.05
    assert result.tuning.sel(direction=0.0) > 0 and result.tuning.sel(direction=180.0) == 0


def test_mirror_image_prefers_the_opposite_direction() -> None:
    result = tuning_of("leftward").sel(cell_type="detector")
    assert float(result.dsi) > 0.5 and float(result.vector_dsi) > 0.5
    assert float(result.peak_direction_deg) == 180.0
    assert abs(float(result.preferred_direction_deg) - 180.0) < 1.0


def test_symmetric_wiring_has_no_direction_selectivity() -> None:
    result = tuning_of("symmetric").sel(cell_type="detector")
    assert (result.tuning > 0).any()  # it responds ...
    assert abs(float(result.dsi)) < 0.1 and float(result.vector_dsi) < 0.1  # ... to both senses
    assert float(result.vector_dsi_p_value) > 0.5


def test_indices_follow_their_definitions_on_a_known_curve() -> None:
    directions = np.array([0.0, 90.0, 180.0, 270.0])
    responses = np.array([4.0, 2.0, 1.0, 2.0])
    rng = np.random.default_rng(0)
    trials = np.repeat(np.arange(4), 3)
    values = responses[trials][:, None] * np.ones((1, 5))[:, :1] + 0 * rng.random((12, 1))
    data = xr.DataArray(
        values[:, :, None].repeat(2, axis=2),
        dims=("trial", "cell_type", "frame"),
        coords={"direction_deg": ("trial", directions[trials]), "cell_type": ["a"]},
        attrs={"units": "a.u."},
    )
    result = direction_tuning(data, n_permutations=0).sel(cell_type="a")
    assert float(result.dsi) == pytest.approx((4 - 1) / (4 + 1))
    assert float(result.vector_dsi) == pytest.approx(3 / 9)
    assert float(result.preferred_direction_deg) == pytest.approx(0.0)
    assert np.isnan(float(result.dsi_p_value))
    assert result.dsi.attrs["units"] == "1" and "long_name" in result.tuning.attrs


def test_dask_backed_data_gives_the_same_tuning() -> None:
    recording = record(reichardt("rightward"), BARS, "ganglion:centre", n=16)
    eager = direction_tuning(recording["ganglion/ganglion_centre"], n_permutations=100)
    lazy = direction_tuning(
        recording["ganglion/ganglion_centre"].chunk({"trial": 5}), n_permutations=100
    )
    xr.testing.assert_identical(eager, lazy)


def test_directions_without_opposites_are_refused() -> None:
    data = xr.DataArray(
        np.ones((3, 1, 2)),
        dims=("trial", "cell_type", "frame"),
        coords={"direction_deg": ("trial", [0.0, 90.0, 180.0])},
    )
    with pytest.raises(AnalysisError, match="opposite"):
        direction_tuning(data)
    with pytest.raises(AnalysisError, match="no coordinate 'speed'"):
        direction_tuning(data, direction="speed")


def test_readout_and_single_unit_responses_are_tuned_too() -> None:
    recording = record(reichardt("rightward"), BARS, ["readout", "ganglion:centre"], n=8)
    readout = direction_tuning(recording["readout/readout"], n_permutations=10)
    assert readout.tuning.dims == ("class", "direction")
    single = direction_tuning(
        recording["ganglion/ganglion_centre"].sel(cell_type="detector"), n_permutations=10
    )
    assert single.dsi.dims == () and float(single.peak_direction_deg) == 0.0
