"""What ``record`` refuses: replacing a file, absurd batches, a zero frame step; and the
temporaries a killed recording leaves, which the next recording to the same target removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from groundtruth import REICHARDT, reichardt

from retinasim.cli import main
from retinasim.recording import RecordingError, parse_probe, record
from retinasim.stimuli import MovingBars

BARS = MovingBars(height=15, width=15, frames=21, speeds=(1.0,), widths=(1.0,))
RECORD = ["record", str(REICHARDT), "--stimulus", "moving_bars", "--probe", "readout", "--n", "2"]


def run_cli(*args, capsys) -> tuple[int, str]:
    """The command line in this process (its exit code and stderr)."""
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_an_existing_out_is_replaced_only_with_overwrite(tmp_path: Path, capsys) -> None:
    out = tmp_path / "mine.nc"
    out.write_text("an unrelated file")
    code, stderr = run_cli(*RECORD, "--out", out, capsys=capsys)
    assert code == 2 and "already exists; pass --overwrite" in stderr
    assert out.read_text() == "an unrelated file"
    code, stderr = run_cli(*RECORD, "--out", out, "--overwrite", capsys=capsys)
    assert code == 0, stderr
    assert out.stat().st_size > len("an unrelated file")


def test_overwrite_never_deletes_a_folder_that_is_not_a_zarr_recording(tmp_path, capsys) -> None:
    """N11 (#27): a folder named like a store but holding other files is kept."""
    out = tmp_path / "notzarr.zarr"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    code, stderr = run_cli(*RECORD, "--out", out, "--overwrite", capsys=capsys)
    assert code == 2 and "is a folder, not a zarr recording" in stderr
    assert (out / "notes.txt").read_text() == "keep"
    store = tmp_path / "rec.zarr"
    assert run_cli(*RECORD, "--out", store, capsys=capsys)[0] == 0
    code, stderr = run_cli(*RECORD, "--out", store, "--overwrite", capsys=capsys)
    assert code == 0, stderr  # a recording is replaced when asked


def test_absurd_batch_sizes_are_refused_with_the_estimate(tmp_path: Path, capsys) -> None:
    with pytest.raises(RecordingError, match=r"batches of 1000000 .* needs about .* bytes"):
        record(reichardt(), BARS, "readout", n=10**6, batch_size=10**6)
    record(reichardt(), BARS, "readout", n=2, batch_size=10**8)  # a batch is at most n trials
    code, stderr = run_cli(
        *RECORD, "--batch-size", "1e8", "--out", tmp_path / "r.nc", capsys=capsys
    )
    assert code == 2 and "--batch-size takes a whole number from 1 to 1000000" in stderr
    assert list(tmp_path.iterdir()) == []
    code, stderr = run_cli(
        *RECORD, "--batch-size", "2.5", "--out", tmp_path / "r.nc", capsys=capsys
    )
    assert code == 2 and "--batch-size takes a whole number" in stderr


@pytest.mark.parametrize("step", ["0", "-1"])
def test_a_frame_step_below_one_is_a_clear_error(tmp_path: Path, capsys, step: str) -> None:
    with pytest.raises(RecordingError, match=f"frame step must be at least 1, got {step}"):
        parse_probe(f"ganglion:centre@::{step}")
    code, stderr = run_cli(
        *RECORD[:-2], "--probe", f"ganglion@::{step}", "--out", tmp_path / "x.nc", capsys=capsys
    )
    assert code == 2 and "frame step must be at least 1" in stderr


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_the_temporaries_of_a_killed_record_are_removed_by_the_next(
    tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"rec{suffix}"
    code = (
        "import sys, time\n"
        "sys.path[:0] = ['tests/analysis', 'tests']\n"
        "from groundtruth import reichardt\n"
        "from retinasim.recording import storage\n"
        "from retinasim.recording import record\n"
        "from retinasim.stimuli import MovingBars\n"
        "append = storage.RecordingWriter.append\n"
        "def slow(self, parts):\n"
        "    append(self, parts)\n"
        "    print('appended', flush=True)\n"
        "    time.sleep(60)\n"
        "storage.RecordingWriter.append = slow\n"
        "bars = MovingBars(height=15, width=15, frames=21)\n"
        f"record(reichardt(), bars, 'ganglion:centre', n=4, batch_size=2, out={str(out)!r})\n"
    )
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "appended"
        left = [p.name for p in tmp_path.iterdir()]
        assert len(left) == 1 and left[0].startswith(f".rec{suffix}.tmp.")  # being written
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    time.sleep(0.1)
    assert [p.name for p in tmp_path.iterdir()] == left  # the killed run's half store
    record(reichardt(), BARS, "ganglion:centre", n=2, out=out)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
