"""Analyses keep extra dimensions: models stacked along ``seed`` in one call equal per-model
calls."""

from __future__ import annotations

import numpy as np
import xarray as xr
from groundtruth import planted_rf, reichardt

from retinasim.analysis import (
    direction_tuning,
    receptive_field,
    response_amplitude,
    spike_triggered_average,
    stimulus_array,
    trial_response,
)
from retinasim.recording import record
from retinasim.stimuli import MovingBars, WhiteNoise

BARS = MovingBars(height=15, width=15, frames=21, speeds=(1.0,), widths=(1.0,))


def _stacked(recordings: list, variable: str) -> xr.DataArray:
    return xr.concat([r[variable] for r in recordings], dim="seed").assign_coords(seed=[0, 1])


def test_tuning_of_two_stacked_models_equals_one_call_per_model() -> None:
    models = [
        record(reichardt(w), BARS, "ganglion:centre", n=16) for w in ("rightward", "leftward")
    ]
    stacked = _stacked(models, "ganglion/ganglion_centre")
    together = direction_tuning(stacked, n_permutations=200, seed=4)
    assert together.tuning.dims == ("seed", "cell_type", "direction")
    assert together.dsi.dims == ("seed", "cell_type")
    for seed, model in enumerate(models):
        alone = direction_tuning(model["ganglion/ganglion_centre"], n_permutations=200, seed=4)
        xr.testing.assert_identical(together.sel(seed=seed, drop=True), alone)
    assert list(together.peak_direction_deg.sel(cell_type="detector").values) == [0.0, 180.0]


def test_trial_response_and_amplitude_keep_a_lesion_dimension() -> None:
    circuit = reichardt()
    intact = record(circuit, BARS, "bipolar:mean", n=8)["bipolar/bipolar_mean"]
    lesioned = record(circuit, BARS, "bipolar:mean", n=8, lesions={"bipolar": ["delayed"]})
    both = xr.concat([intact, lesioned["bipolar/bipolar_mean"]], dim="lesion")
    both = both.assign_coords(lesion=["none", "delayed"])
    per_trial = trial_response(both)
    assert set(per_trial.dims) == {"lesion", "trial", "cell_type"}
    amplitude = response_amplitude(both, "direction_deg")
    assert amplitude["mean"].sel(lesion="delayed", cell_type="delayed").max() == 0
    xr.testing.assert_identical(
        amplitude.sel(lesion="none", drop=True), response_amplitude(intact, "direction_deg")
    )


def test_receptive_fields_of_stacked_models() -> None:
    batch = WhiteNoise(height=11, width=11, frames=20, pixel_size=1).generate(range(30), seed=0)
    response = record(planted_rf(), batch, "bipolar:centre")["bipolar/bipolar_centre"]
    doubled = xr.concat([response, 2 * response], dim="seed").assign_coords(seed=[0, 1])
    stimulus = stimulus_array(batch)
    sta = spike_triggered_average(stimulus, doubled, lags=4)
    assert sta.dims[:2] == ("seed", "cell_type")
    alone = spike_triggered_average(stimulus, response, lags=4)
    xr.testing.assert_allclose(sta.sel(seed=0, drop=True), alone)
    fields = receptive_field(sta)
    single = receptive_field(alone)
    xr.testing.assert_allclose(fields.sel(seed=1, drop=True), single)  # scale-free profiles
    assert np.isfinite(fields.centre_surround_index).all()
