"""Saving, streaming and reopening recordings (netCDF and zarr)."""

from __future__ import annotations

from pathlib import Path

import dask.array
import pytest
import xarray as xr
from groundtruth import reichardt

from retinasim.recording import RecordingError, open_recording, record, save_recording
from retinasim.stimuli import MovingBars

BARS = MovingBars(height=15, width=15, frames=21, speeds=(1.0,), widths=(1.0,))
PROBES = ["ganglion:centre", "bipolar:full", "ganglion:full", "readout"]


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_saved_recordings_reload_identical(tmp_path: Path, suffix: str) -> None:
    recording = record(reichardt(), BARS, PROBES, n=3)
    path = save_recording(recording, tmp_path / f"bars{suffix}")
    reloaded = open_recording(path)
    assert isinstance(reloaded["bipolar/bipolar"].data, dask.array.Array)
    xr.testing.assert_identical(reloaded.load(), recording)
    assert [p.name for p in tmp_path.iterdir()] == [f"bars{suffix}"]  # no temporaries left


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_streamed_recording_is_chunked_by_batch_and_equals_the_in_memory_one(
    tmp_path: Path, suffix: str
) -> None:
    in_memory = record(reichardt(), BARS, PROBES, n=10, batch_size=3)
    streamed = record(reichardt(), BARS, PROBES, n=10, batch_size=3, out=tmp_path / f"s{suffix}")
    # every batch was written as its own chunk: memory held one batch of full maps at a time
    assert streamed["bipolar/bipolar"].chunks[0] == (3, 3, 3, 1)
    assert isinstance(streamed["ganglion/ganglion"].data, dask.array.Array)
    xr.testing.assert_identical(streamed.load(), in_memory)
    assert [p.name for p in tmp_path.iterdir()] == [f"s{suffix}"]


def test_streaming_holds_one_batch_at_a_time(tmp_path: Path, monkeypatch) -> None:
    from retinasim.recording import storage

    sizes = []
    original = storage.RecordingWriter.append

    def spy(self, batch):
        sizes.append(batch["/"].sizes["trial"])
        original(self, batch)

    monkeypatch.setattr(storage.RecordingWriter, "append", spy)
    record(reichardt(), BARS, ["bipolar:full"], n=7, batch_size=2, out=tmp_path / "r.zarr")
    assert sizes == [2, 2, 2, 1]


def test_a_failed_recording_leaves_nothing_behind(tmp_path: Path) -> None:
    circuit = reichardt()
    wrong_size = MovingBars(height=16, width=16, frames=21)
    with pytest.raises(Exception, match="expected a video"):
        record(circuit, wrong_size, "ganglion:centre", n=2, out=tmp_path / "r.nc")
    assert list(tmp_path.iterdir()) == []


def test_unknown_suffixes_and_missing_files_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"\.nc \(netCDF\) or \.zarr"):
        record(reichardt(), BARS, "readout", n=1, out=tmp_path / "r.h5")
    with pytest.raises(RecordingError, match="no such recording"):
        open_recording(tmp_path / "absent.nc")


def test_streamed_memory_does_not_grow_with_the_number_of_trials(tmp_path: Path) -> None:
    import tracemalloc

    circuit = reichardt()
    probes = ["bipolar:full", "ganglion:full"]
    record(circuit, BARS, probes, n=3, batch_size=3, out=tmp_path / "warm.zarr")  # imports

    def peak_and_size(n: int) -> tuple[int, int]:
        tracemalloc.start()
        try:
            out = tmp_path / f"r{n}.zarr"
            streamed = record(circuit, BARS, probes, n=n, batch_size=3, out=out)
            return tracemalloc.get_traced_memory()[1], streamed.nbytes
        finally:
            tracemalloc.stop()

    small, _ = peak_and_size(12)
    large, total = peak_and_size(48)  # total: what an in-memory recording holds (2.6 MB)
    assert large < 1.5 * small, (small, large)  # 4 x the trials, not 4 x the memory
    assert large < total / 2, (large, total)  # measured: ~1 MB, a few batches (encode buffers)
    assert total / 16 < large  # the measurement sees one batch of 3 trials at least
