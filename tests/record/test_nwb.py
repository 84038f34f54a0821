"""NWB export: the file passes pynwb's validator and reads back to the recording's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from groundtruth import REICHARDT, reichardt
from helpers import run_cli

from retinasim.recording import RecordingError, record, to_nwb
from retinasim.stimuli import MovingBars

pynwb = pytest.importorskip("pynwb")

BARS = MovingBars(height=15, width=15, frames=21, speeds=(1.0,), widths=(1.0,))
PROBES = ["ganglion:centre", "bipolar[delayed]:full@2:", "bipolar:mean", "readout"]


def test_nwb_file_validates_and_reads_back_to_the_same_numbers(tmp_path: Path) -> None:
    recording = record(reichardt(), BARS, PROBES, n=4)
    path = to_nwb(recording, tmp_path / "bars.nwb", spikes=True, seed=3, spike_rate_hz=1000.0)
    assert pynwb.validate(path=str(path)) == []
    assert [p.name for p in tmp_path.iterdir()] == ["bars.nwb"]  # no temporaries left
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        assert set(nwb.acquisition) == {
            "ganglion_centre_detector",
            "bipolar_delayed",
            "bipolar_mean_fast",
            "bipolar_mean_delayed",
            "readout",
        }
        centre = nwb.acquisition["ganglion_centre_detector"]
        assert centre.rate == 30.0 and centre.unit == "a.u."
        expected = recording["ganglion/ganglion_centre"].sel(cell_type="detector").values
        np.testing.assert_array_equal(centre.data[:], expected.reshape(-1))
        full = nwb.acquisition["bipolar_delayed"]  # frames 2.. of each trial: timestamps
        maps = recording["bipolar/bipolar"].sel(cell_type="delayed", frame=slice(2, None))
        np.testing.assert_array_equal(full.data[:], maps.values.reshape(4 * 19, 15, 15))
        np.testing.assert_allclose(full.timestamps[:19], np.arange(2, 21) / 30.0)
        np.testing.assert_allclose(full.timestamps[19], 0.7 + 2 / 30.0)
        readout = nwb.acquisition["readout"]
        assert json.loads(readout.comments)["class"] == ["left", "right"]
        np.testing.assert_array_equal(
            readout.data[:], recording["readout/readout"].values.reshape(-1, 2)
        )
        trials = nwb.trials.to_dataframe()
        for name in ("direction_deg", "speed", "width", "contrast", "index", "stimulus_seed"):
            np.testing.assert_array_equal(trials[name].values, recording[name].values)
        np.testing.assert_allclose(trials.start_time.values, np.arange(4) * 0.7)
        assert list(trials.index) == [0, 1, 2, 3]
        assert "name: reichardt" in nwb.experiment_description
        notes = json.loads(nwb.notes)
        assert notes["seed"] == 0 and notes["spec_hash"] == recording.attrs["spec_hash"]
        assert notes["retinasim_version"] and notes["torch_version"]
        units = nwb.units.to_dataframe()
        assert list(units.series) == ["ganglion_centre_detector"]
        spikes = units.spike_times.iloc[0]
        assert len(spikes) > 0 and np.all(np.diff(spikes) >= 0)
        # spikes only where the rate is positive: within the frames of non-zero activity
        frame = np.floor(np.asarray(spikes) * 30.0 + 1e-9).astype(int)
        assert (expected.reshape(-1)[frame] > 0).all()


def test_spike_trains_are_seeded(tmp_path: Path) -> None:
    recording = record(reichardt(), BARS, "ganglion:centre", n=4)

    def spikes(seed: int, name: str) -> np.ndarray:
        path = to_nwb(recording, tmp_path / name, spikes=True, seed=seed, spike_rate_hz=500.0)
        with pynwb.NWBHDF5IO(str(path), "r") as io:
            return np.asarray(io.read().units.to_dataframe().spike_times.iloc[0])

    first, again, other = spikes(0, "a.nwb"), spikes(0, "b.nwb"), spikes(1, "c.nwb")
    np.testing.assert_array_equal(first, again)
    assert len(first) != len(other) or not np.array_equal(first, other)
    lesioned = record(reichardt(), BARS, "ganglion:centre", n=2, lesions={"bipolar": ["fast"]})
    path = to_nwb(lesioned, tmp_path / "lesioned.nwb")
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        assert io.read().pharmacology == "silenced cell types: bipolar: fast"
    with pytest.raises(RecordingError, match="single-unit probe"):
        to_nwb(record(reichardt(), BARS, "readout", n=2), tmp_path / "r.nwb", spikes=True)


def test_record_command_writes_nwb(tmp_path: Path) -> None:
    out = tmp_path / "rec.nwb"
    args = ["record", REICHARDT, "--stimulus", "moving_bars", "--set", "speeds=1", "--n", "2"]
    done = run_cli(*args, "--probe", "ganglion:centre", "--spikes", "--out", out)
    assert done.returncode == 0, done.stderr
    assert pynwb.validate(path=str(out)) == []
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        assert len(nwb.trials) == 2 and len(nwb.units) == 1
