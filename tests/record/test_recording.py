"""``record``: the vocabulary of a recording, its values, lesions, and the circuit's state."""

from __future__ import annotations

import numpy as np
import torch
import xarray as xr
from groundtruth import reichardt

from retinasim.recording import record
from retinasim.stimuli import MovingBars, MovingDots

BARS = MovingBars(height=15, width=15, frames=21, speeds=(1.0,), widths=(1.0,))


def test_each_probed_layer_is_a_group_with_its_own_dimensions() -> None:
    circuit = reichardt()
    recording = record(
        circuit, BARS, ["ganglion:centre", "bipolar[1]:full@2:", "readout"], n=5, batch_size=2
    )
    assert isinstance(recording, xr.DataTree)
    assert sorted(recording.children) == ["bipolar", "ganglion", "readout"]
    ganglion, bipolar = recording["ganglion"], recording["bipolar"]
    assert ganglion["ganglion_centre"].dims == ("trial", "cell_type", "frame")
    assert bipolar["bipolar"].dims == ("trial", "cell_type", "frame", "y", "x")
    assert recording["readout/readout"].dims == ("trial", "frame", "class")
    # each layer only has its own types and frames: no NaN padding across layers
    assert list(ganglion.cell_type.values) == ["detector"]
    assert list(bipolar.cell_type.values) == ["delayed"]
    assert list(bipolar.type_index.values) == [1] and list(bipolar.layer.values) == ["bipolar"]
    assert list(bipolar.sign.values) == [1] and not bipolar.lesioned.any()
    assert list(bipolar.frame.values) == list(range(2, 21))
    assert not np.isnan(bipolar["bipolar"]).any()
    np.testing.assert_allclose(bipolar.time.values, np.arange(2, 21) / 30.0)
    assert bipolar.time.dims == ("frame",) and bipolar.time.attrs["units"] == "s"
    assert (bipolar.sizes["y"], bipolar.sizes["x"]) == (15, 15)
    assert list(recording["readout"]["class"].values) == ["left", "right"]
    assert list(recording.trial.values) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(recording.direction_deg.values, [0, 45, 90, 135, 180])
    for name in ("stimulus_seed", "index", "speed", "width", "contrast", "direction_deg"):
        assert recording[name].dims == ("trial",)
        assert ganglion[name].dims == ("trial",)  # every group has the stimulus parameters
    assert recording.direction_deg.attrs["units"] == "degrees"
    assert recording.speed.attrs["units"] == "pixels/frame"
    for name in ("frame", "time", "ganglion_centre", "cell_type"):
        assert {"long_name"} <= set(ganglion[name].attrs), name
    attrs = recording.attrs
    assert attrs["circuit"] == "reichardt" and attrs["spec_hash"] == circuit.spec_hash
    assert attrs["frame_rate_hz"] == 30.0 and attrs["stimulus_kind"] == "moving_bars"
    assert attrs["frames_per_trial"] == 21 and "name: reichardt" in attrs["circuit_spec"]
    assert attrs["stimulus_speeds"] == 1.0 and attrs["stimulus_height"] == 15  # typed
    for name in ("retinasim_version", "torch_version", "numpy_version", "python_version"):
        assert attrs[name]
    # one layer alone is the old flat recording, attributes and stimulus coordinates included
    flat = recording["ganglion"].to_dataset()
    assert isinstance(flat, xr.Dataset) and flat.attrs["layer"] == "ganglion"
    assert flat.attrs["circuit"] == "reichardt" and "direction_deg" in flat.coords


def test_probes_of_one_layer_share_its_group() -> None:
    recording = record(reichardt(), BARS, ["bipolar[1]:full@2:", "bipolar:mean"], n=2)
    bipolar = recording["bipolar"]
    assert list(bipolar.cell_type.values) == ["fast", "delayed"]
    # the full map holds only what was asked: type 1 from frame 2 on
    assert np.isnan(bipolar["bipolar"].sel(cell_type="fast")).all()
    assert np.isnan(bipolar["bipolar"].sel(frame=[0, 1])).all()
    assert not np.isnan(bipolar["bipolar"].sel(cell_type="delayed", frame=slice(2, None))).any()
    assert not np.isnan(bipolar["bipolar_mean"]).any()


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
        recording["bipolar/bipolar"].sel(cell_type=["fast", "delayed"]), bipolar, **close
    )
    np.testing.assert_allclose(
        recording["ganglion/ganglion_mean"].sel(cell_type="detector"),
        ganglion[:, 0].mean(axis=(2, 3)),
        **close,
    )
    np.testing.assert_allclose(
        recording["ganglion/ganglion_max"].sel(cell_type="detector"),
        ganglion[:, 0].max(axis=(2, 3)),
        **close,
    )
    np.testing.assert_allclose(
        recording["ganglion/ganglion_pos_3_4"].sel(cell_type="detector"),
        ganglion[:, 0, :, 3, 4],
        **close,
    )
    np.testing.assert_allclose(recording["readout/readout"].values, output.logits.numpy(), **close)


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
    assert (lesioned["bipolar/bipolar_mean"].sel(cell_type="delayed") == 0).all()
    assert (lesioned["bipolar/bipolar_mean"].sel(cell_type="fast") > 0).any()
    assert lesioned.attrs["lesions_bipolar"] == "delayed"
    assert lesioned.attrs["lesioned_layers"] == "bipolar"
    assert list(lesioned["bipolar"].lesioned.values) == [False, True]
    assert circuit.training and circuit.lesions == {}
    with circuit.lesioned({"bipolar": [0]}):
        context = record(circuit, BARS, "bipolar:mean", n=2)
    assert (context["bipolar/bipolar_mean"].sel(cell_type="fast") == 0).all()
    intact = record(circuit, BARS, "bipolar:mean", n=2)
    assert (intact["bipolar/bipolar_mean"] > 0).any("frame").all()


def test_full_maps_of_layers_of_different_sizes_each_have_their_own_y_x() -> None:
    recording = record(reichardt(), BARS, ["bipolar:full", "ganglion:full"], n=1)
    assert recording["bipolar/bipolar"].dims[-2:] == ("y", "x")
    assert recording["ganglion/ganglion"].dims[-2:] == ("y", "x")
    assert recording["bipolar"].sizes["x"] == 15 and recording["ganglion"].sizes["x"] == 13


def test_batches_give_the_same_recording_as_one_pass() -> None:
    one = record(reichardt(), BARS, ["ganglion:centre", "readout"], n=6, batch_size=6)
    many = record(reichardt(), BARS, ["ganglion:centre", "readout"], n=6, batch_size=4)
    xr.testing.assert_identical(one, many)
