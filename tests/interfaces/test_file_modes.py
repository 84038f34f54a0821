"""Files retinasim writes get the umask's permissions, not the temporary file's 0600.

Atomic writes go through a private ``mkstemp`` file (or ``mkdtemp`` folder) renamed into
place; on a lab's shared file system a run must stay readable by colleagues.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from helpers import TINY_CIRCUIT

from retinasim.compile import compile_circuit
from retinasim.recording import record, save_recording
from retinasim.spec import load_circuit
from retinasim.stimuli import MovingBars
from retinasim.training.checkpoint import save_checkpoint
from retinasim.util.files import atomic_write_text, current_umask, default_mode

BARS = MovingBars(height=32, width=32, frames=8, speeds=(1.0,), widths=(2.0,))


@pytest.fixture(params=[0o022, 0o027])
def umask(request) -> Iterator[int]:
    before = os.umask(request.param)
    yield request.param
    os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _circuit():
    return compile_circuit(load_circuit("tiny", text=TINY_CIRCUIT), seed=0).eval()


def test_the_umask_is_read_without_changing_it(umask: int) -> None:
    assert current_umask() == umask
    assert os.umask(umask) == umask  # still set
    assert default_mode() == 0o666 & ~umask and default_mode(directory=True) == 0o777 & ~umask


def test_text_and_checkpoints_get_the_umasks_mode(tmp_path: Path, umask: int) -> None:
    report = tmp_path / "run" / "report.html"
    atomic_write_text(report, "<html></html>")
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    save_checkpoint(checkpoint, model=_circuit(), optimizer=None, step=0, spec_hash="0")
    for path in (report, checkpoint):
        assert _mode(path) == 0o666 & ~umask, (path.name, oct(_mode(path)))
    assert torch.load(checkpoint, weights_only=True)["step"] == 0


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_recordings_saved_and_streamed_get_the_umasks_modes(
    tmp_path: Path, umask: int, suffix: str
) -> None:
    circuit = _circuit()
    saved = save_recording(record(circuit, BARS, "ganglion:centre", n=2), tmp_path / f"a{suffix}")
    streamed = tmp_path / f"b{suffix}"
    record(circuit, BARS, "ganglion:centre", n=3, batch_size=2, out=streamed)
    for path in (saved, streamed):
        every = [path, *path.rglob("*")] if path.is_dir() else [path]
        for item in every:
            expected = default_mode(directory=item.is_dir())
            assert _mode(item) == expected, (str(item.relative_to(tmp_path)), oct(_mode(item)))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a{suffix}", f"b{suffix}"]
