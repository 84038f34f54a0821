"""``record``: the vocabulary of a recording, its values, lesions, and the circuit's state."""

from __future__ import annotations

import numpy as np
import torch
import xarray as xr
from groundtruth import reichardt

from retinasim.record import record
from retinasim.stimuli import MovingBars, MovingDots

BARS = MovingBars(height=15, width=15, frames=21, speeds=(1.0,), widths=(1.0,))


def test_dimensions_coordinates_and_attributes_follow_the_vocabulary() -> None:
    circuit = reichardt()
    recording = record(
        circuit, BARS, ["ganglion:centre", "bipolar[1]:full@2:", "readout"], n=5, batch_size=2
    )
    assert recording.ganglion_centre.dims == ("trial", "cell_type", "time")
    assert recording.bipolar.dims == ("trial", "cell_type", "time", "y", "x")
    assert recording.readout.dims == ("trial", "time", "class")
    assert list(recording.cell_type.values) == ["delayed", "detector"]
    assert list(recording.layer.values) == ["bipolar", "ganglion"]
    assert list(recording.type_index.values) == [1, 0]
    assert list(recording.sign.values) == [1, 1]
    assert list(recording.trial.values) == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(recording.time_s.values, np.arange(21) / 30.0)
    assert list(recording["class"].values) == ["left", "right"]
    np.testing.assert_array_equal(recording.direction_deg.values, [0, 45, 90, 135, 180])
    for name in ("seed", "index", "speed", "width", "contrast"):
        assert recording[name].dims == ("trial",)
    assert recording.direction_deg.attrs["units"] == "degrees"
    assert recording.speed.attrs["units"] == "pixels/frame"
    for name in ("time", "time_s", "ganglion_centre", "readout", "y", "x"):
        assert {"long_name", "units"} <= set(recording[name].attrs), name
    attrs = recording.attrs
    assert attrs["circuit"] == "reichardt" and attrs["spec_hash"] == circuit.spec_hash
    assert attrs["frame_rate_hz"] == 30.0 and attrs["stimulus_kind"] == "moving_bars"
    for name in ("retinasim_version", "torch_version", "numpy_version", "python_version"):
        assert attrs[name]
    # the full map holds only what was asked: type 1 of bipolar from frame 2 on
    assert np.isnan(recording.bipolar.sel(cell_type="detector")).all()
    assert np.isnan(recording.bipolar.sel(time=[0, 1])).all()
    assert not np.isnan(recording.bipolar.sel(cell_type="delayed", time=slice(2, None))).any()


def test_values_are_the_circuits_own_activity() -> None:
    circuit = reichardt()
    batch = BARS.generate(range(4), seed=0)
    recording = record(
        circuit,
        batch,
        ["bipolar:full", "ganglion:mean", "ganglion:max", "ganglion:pos=3,4", "readout"],
        batch_size=3,
    )
    with torch.no_grad():
        output = circuit.run(batch.video)
    bipolar = output.activity["bipolar"].numpy()
    ganglion = output.activity["ganglion"].numpy()
    close = {"rtol": 1e-5, "atol": 1e-6}  # batches of 3 and of 4 may round differently
    np.testing.assert_allclose(
        recording.bipolar.sel(cell_type=["fast", "delayed"]), bipolar, **close
    )
    np.testing.assert_allclose(
        recording.ganglion_mean.sel(cell_type="detector"), ganglion[:, 0].mean(axis=(2, 3)), **close
    )
    np.testing.assert_allclose(
        recording.ganglion_max.sel(cell_type="detector"), ganglion[:, 0].max(axis=(2, 3)), **close
    )
    np.testing.assert_allclose(
        recording.ganglion_pos_3_4.sel(cell_type="detector"), ganglion[:, 0, :, 3, 4], **close
    )
    np.testing.assert_allclose(recording.readout.values, output.logits.numpy(), **close)


def test_task_labels_and_parameters_become_trial_coordinates() -> None:
    dots = MovingDots(height=15, width=15, frames=21)
    recording = record(reichardt(), dots, "readout", n=4)
    assert set(recording.label.values) <= {"left", "right"}
    for name in ("s", "alpha", "fast_direction"):
        assert recording[name].dims == ("trial",)


def test_lesions_silence_types_and_leave_the_circuit_as_it_was() -> None:
    circuit = reichardt()
    circuit.train()
    lesioned = record(circuit, BARS, "bipolar:mean", n=2, lesions={"bipolar": ["delayed"]})
    assert (lesioned.bipolar_mean.sel(cell_type="delayed") == 0).all()
    assert (lesioned.bipolar_mean.sel(cell_type="fast") > 0).any()
    assert lesioned.attrs["lesions"] == '{"bipolar": ["delayed"]}'
    assert circuit.training and circuit.lesions == {}
    with circuit.lesioned({"bipolar": [0]}):
        context = record(circuit, BARS, "bipolar:mean", n=2)
    assert (context.bipolar_mean.sel(cell_type="fast") == 0).all()
    intact = record(circuit, BARS, "bipolar:mean", n=2)
    assert (intact.bipolar_mean > 0).any("time").all()


def test_full_maps_of_layers_of_different_sizes_get_their_own_spatial_dims() -> None:
    recording = record(reichardt(), BARS, ["bipolar:full", "ganglion:full"], n=1)
    assert recording.bipolar.dims[-2:] == ("y_bipolar", "x_bipolar")
    assert recording.ganglion.dims[-2:] == ("y_ganglion", "x_ganglion")
    assert recording.sizes["x_bipolar"] == 15 and recording.sizes["x_ganglion"] == 13


def test_batches_give_the_same_recording_as_one_pass() -> None:
    one = record(reichardt(), BARS, ["ganglion:centre", "readout"], n=6, batch_size=6)
    many = record(reichardt(), BARS, ["ganglion:centre", "readout"], n=6, batch_size=4)
    xr.testing.assert_identical(one, many)
