"""Receptive fields recovered from white noise, against kernels planted by hand."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from groundtruth import SPATIAL, TEMPORAL, planted_rf

from retinasim.analysis import receptive_field, spike_triggered_average, stimulus_array
from retinasim.recording import AnalysisError, record
from retinasim.stimuli import WhiteNoise

NOISE = WhiteNoise(height=11, width=11, frames=40, pixel_size=1)


@pytest.fixture(scope="module")
def recording() -> tuple[xr.DataArray, xr.DataArray]:
    batch = NOISE.generate(range(120), seed=1)  # 120 x 37 usable frames
    responses = record(planted_rf(), batch, "bipolar:centre", batch_size=40)
    return stimulus_array(batch), responses["bipolar/bipolar_centre"]


def planted(spatial: np.ndarray, temporal: np.ndarray) -> np.ndarray:
    """The planted kernel as the centre unit (3, 3) of the 7 x 7 map sees it: a 5 x 5
    kernel without padding reads input rows and columns 3..7, tap k at lag k."""
    full = np.zeros((len(temporal), 11, 11))
    full[:, 3:8, 3:8] = temporal[:, None, None] * spatial[None]
    return full


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def test_sta_recovers_the_planted_space_time_kernel(recording) -> None:
    stimulus, response = recording
    sta = spike_triggered_average(stimulus, response, lags=4)
    assert sta.dims == ("cell_type", "lag", "pixel_y", "pixel_x")
    assert correlation(sta.sel(cell_type="bipolar_0"), planted(SPATIAL, TEMPORAL)) >= 0.9
    flipped = planted(SPATIAL[::-1, ::-1], TEMPORAL[::-1])
    assert correlation(sta.sel(cell_type="bipolar_1"), flipped) >= 0.9


def test_profiles_centre_and_surround_of_the_planted_kernel(recording) -> None:
    stimulus, response = recording
    rf = receptive_field(spike_triggered_average(stimulus, response, lags=4))
    first = rf.sel(cell_type="bipolar_0")
    assert correlation(first.spatial[3:8, 3:8], SPATIAL) >= 0.95
    assert correlation(first.temporal, TEMPORAL) >= 0.95
    # centre: the planted kernel's positive centre sits around input pixel (5, 5)
    assert abs(float(first.centre_y) - 5.0) < 0.6 and abs(float(first.centre_x) - 5.0) < 0.6
    assert 0.3 < float(first.centre_surround_index) < 1.2  # a real surround
    assert float(first.variance_explained) > 0.8
    peak = receptive_field(spike_triggered_average(stimulus, response, lags=4), method="peak")
    assert correlation(peak.sel(cell_type="bipolar_0").spatial[3:8, 3:8], SPATIAL) >= 0.9


def test_dask_backed_data_gives_the_same_sta(recording) -> None:
    stimulus, response = recording
    eager = spike_triggered_average(stimulus, response, lags=3)
    lazy = spike_triggered_average(
        stimulus.chunk({"trial": 50}), response.chunk({"trial": 50}), lags=3
    )
    xr.testing.assert_allclose(lazy.compute(), eager, rtol=1e-4, atol=1e-5)
    xr.testing.assert_allclose(receptive_field(lazy), receptive_field(eager), rtol=1e-4, atol=1e-5)


def test_a_full_map_is_refused_with_advice(recording) -> None:
    stimulus, response = recording
    with pytest.raises(AnalysisError, match="centre or pos=Y,X probe"):
        spike_triggered_average(stimulus, response.expand_dims(y=[0]), lags=2)


def test_a_saved_white_noise_recording_replays_its_stimuli(tmp_path, recording) -> None:
    from retinasim.recording import open_recording, replay_stimuli

    noise = WhiteNoise(height=11, width=11, frames=40, pixel_size=1)
    saved = record(planted_rf(), noise, "bipolar:centre", n=120, seed=1, out=tmp_path / "n.nc")
    lazy = open_recording(tmp_path / "n.nc")
    stimulus = stimulus_array(replay_stimuli(lazy))
    xr.testing.assert_identical(stimulus, recording[0])
    from_file = spike_triggered_average(stimulus, saved["bipolar/bipolar_centre"], lags=4)
    in_memory = spike_triggered_average(*recording, lags=4)
    xr.testing.assert_allclose(from_file.compute(), in_memory, rtol=1e-4, atol=1e-5)


def _profiles() -> xr.DataArray:
    """Spatial shapes with known answers, as STAs of 3 lags (temporal 0, 1, -0.3)."""
    y, x = np.mgrid[0:14, 0:14] - 6.5

    def gaussian(width: float, dx: float = 0.0) -> np.ndarray:
        return np.exp(-((x - dx) ** 2 + y**2) / (2 * width**2))

    difference = gaussian(1.5) - 0.5 * (1.5 / 3.5) ** 2 * 4 * gaussian(3.5)
    shapes = {
        "difference_of_gaussians": difference,
        "gaussian": gaussian(1.5),
        "edge": gaussian(1.4, 1.5) - gaussian(1.4, -1.5),
        "salt_and_pepper": np.random.default_rng(1).normal(size=(14, 14)),
    }
    temporal = np.array([0.0, 1.0, -0.3])
    values = np.stack([temporal[:, None, None] * shape for shape in shapes.values()])
    return xr.DataArray(
        values,
        dims=("cell_type", "lag", "pixel_y", "pixel_x"),
        coords={"cell_type": list(shapes), "pixel_y": np.arange(14), "pixel_x": np.arange(14)},
    )


def test_the_concentric_test_tells_a_surround_from_an_edge_and_from_noise():
    fields = receptive_field(_profiles())
    index = fields.surround_index.to_series()
    coverage = fields.surround_coverage.to_series()
    p_value = fields.surround_p_value.to_series()
    assert index["difference_of_gaussians"] > 0.2 and coverage["difference_of_gaussians"] == 1
    assert p_value["difference_of_gaussians"] < 0.05
    assert index["gaussian"] == 0 and p_value["gaussian"] == 1
    assert coverage["edge"] <= 0.5 and p_value["edge"] > 0.05  # one flank, not a ring
    assert p_value["salt_and_pepper"] > 0.05  # rings of either sign by chance
    # the older index cannot tell these apart: every mixed-sign profile scores
    assert fields.centre_surround_index.sel(cell_type="edge") > 0.5
    assert fields.centre_surround_index.sel(cell_type="salt_and_pepper") > 0.5
    again = receptive_field(_profiles())
    xr.testing.assert_identical(again.surround_p_value, fields.surround_p_value)  # seeded
    with pytest.raises(AnalysisError, match="permutations"):
        receptive_field(_profiles(), permutations=-1)
