"""Response amplitudes by trial coordinate, and kernels read back from the circuit."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from groundtruth import DELAY, TEMPORAL, planted_rf, reichardt

from retinasim.analysis import (
    response_amplitude,
    spatial_kernels,
    temporal_kernels,
    trial_response,
)
from retinasim.recording import AnalysisError, record
from retinasim.stimuli import Flashes


def synthetic() -> xr.DataArray:
    """``(trial, cell_type, frame)``: trial k responds s[k] * (1, 2) with noise ±0.5."""
    s = np.repeat([0.5, 1.0, 1.5], 4)
    noise = np.tile([0.5, -0.5, 0.5, -0.5], 3)
    values = (s + noise)[:, None, None] * np.array([1.0, 2.0])[None, :, None] * np.ones(5)
    return xr.DataArray(
        values,
        dims=("trial", "cell_type", "frame"),
        coords={
            "s": ("trial", s, {"long_name": "slow speed", "units": "pixels/frame"}),
            "cell_type": ["a", "b"],
            "frame": np.arange(5),
        },
        attrs={"long_name": "ganglion activity", "units": "a.u."},
    )


def test_amplitude_mean_spread_and_count_by_a_trial_coordinate() -> None:
    result = response_amplitude(synthetic(), "s")
    np.testing.assert_allclose(result["mean"].sel(cell_type="a"), [0.5, 1.0, 1.5])
    np.testing.assert_allclose(result["mean"].sel(cell_type="b"), [1.0, 2.0, 3.0])
    std_a = np.std([1, 0, 1, 0], ddof=1)
    np.testing.assert_allclose(result["std"].sel(cell_type="a"), std_a)
    np.testing.assert_allclose(result["sem"].sel(cell_type="a"), std_a / 2)
    assert list(result["count"].values.ravel()) == [4] * 6
    assert result["mean"].attrs["units"] == "a.u." and result["s"].attrs["units"] == "pixels/frame"
    assert result["count"].attrs["long_name"] == "trials"


def test_amplitude_in_bins_and_on_dask_data() -> None:
    binned = response_amplitude(synthetic(), "s", bins=[0, 1.2, 2])
    np.testing.assert_allclose(binned["mean"].sel(cell_type="a"), [0.75, 1.5])
    lazy = response_amplitude(synthetic().chunk({"trial": 5}), "s")
    xr.testing.assert_allclose(lazy.compute(), response_amplitude(synthetic(), "s"))


def test_trial_response_measures_and_unrecorded_types() -> None:
    data = synthetic()
    assert float(trial_response(data, measure="max")[0, 0]) == 1.0
    two_frames = trial_response(data, measure="sum", frames=slice(0, 1))  # labels 0 and 1
    assert float(two_frames[0, 1]) == 4.0
    partial = data.where(data.cell_type == "b")  # type a not recorded: all NaN
    assert list(trial_response(partial).cell_type.values) == ["b"]
    with pytest.raises(AnalysisError, match="no coordinate 'alpha'"):
        response_amplitude(data, "alpha")
    with pytest.raises(AnalysisError, match="measure must be"):
        trial_response(data, measure="median")


def test_flash_amplitude_of_a_recorded_circuit() -> None:
    flashes = Flashes(height=11, width=11, frames=40)
    recording = record(planted_rf(), flashes, "bipolar:mean", n=4)
    by = next(c for c in ("contrast", "condition") if c in recording.coords)
    result = response_amplitude(recording["bipolar/bipolar_mean"], by)
    assert set(result["mean"].dims) == {by, "cell_type"}


def test_spatial_kernels_are_the_connection_weights_labelled() -> None:
    circuit = reichardt("rightward")
    kernels = spatial_kernels(circuit)
    assert set(kernels) == {"input->bipolar", "bipolar->ganglion"}
    detector = kernels["bipolar->ganglion"]
    assert detector.dims == ("target_type", "source_type", "ky", "kx")
    assert list(detector.source_type.values) == ["fast", "delayed"]
    assert list(detector.target_type.values) == ["detector"]
    assert float(detector.sel(source_type="delayed", kx=0, ky=0).squeeze()) == 1.0
    assert float(detector.sel(source_type="fast", kx=DELAY, ky=0).squeeze()) == 1.0
    assert detector.attrs["source"] == "bipolar" and detector.attrs["units"] == "1"
    assert list(kernels["input->bipolar"].source_type.values) == ["input"]
    np.testing.assert_array_equal(detector.bias.values, [0.0])


def test_signed_kernels_negate_inhibitory_sources() -> None:
    from helpers import TINY_CIRCUIT

    from retinasim.compile import compile_circuit
    from retinasim.spec import load_circuit

    text = TINY_CIRCUIT.replace("n_types: 2, params", "n_types: 2, sign: inhibitory, params")
    circuit = compile_circuit(load_circuit("<tiny>", text=text), seed=0)
    stored = spatial_kernels(circuit)["bipolar->ganglion"]
    signed = spatial_kernels(circuit, signed=True)["bipolar->ganglion"]
    xr.testing.assert_allclose(signed.drop_attrs(), -stored.drop_attrs())
    assert signed.attrs["source_sign"] == -1


def test_temporal_kernels_follow_the_tap_convention() -> None:
    kernels = temporal_kernels(planted_rf())
    bipolar = kernels["bipolar"]
    assert bipolar.dims == ("cell_type", "lag")
    np.testing.assert_allclose(bipolar.sel(cell_type="bipolar_0"), TEMPORAL, rtol=1e-6)
    np.testing.assert_allclose(bipolar.lag_s, np.arange(4) / 30.0)
    delayed = temporal_kernels(reichardt())["bipolar"].sel(cell_type="delayed")
    assert int(delayed.argmax("lag")) == DELAY  # tap k = k frames in the past
