"""Commands on a full disk: one line, a non-zero exit, nothing half-written, no crash.

A small tmpfs is mounted for the module (root only; skipped where mounting is not allowed)
and filled until a few kilobytes are left, so each command's write begins and then fails
with ENOSPC — the case that once ended in h5py's teardown tracebacks and a segfault.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import TINY3, run_cli

PROGRESS = re.compile(r"\d\d:\d\d:\d\d ")
"""A progress line on stderr (``HH:MM:SS task: done/total``)."""
LEFT = 16 * 1024
"""Bytes left free when a command starts writing."""


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny circuit (2 training steps) and a trained, evaluated run of it with an analysis."""
    base = tmp_path_factory.mktemp("sources")
    circuit = base / "tiny3.yaml"
    text = TINY3.read_text().replace("steps: 300", "steps: 2")
    circuit.write_text(text.replace("validation_size: 64", "validation_size: 4"))
    run = base / "run"
    for args in (
        ["train", circuit, "--out", run],
        ["evaluate", run, "--n", "4", "--alpha", "2"],
        ["analyze", run, "--only", "behaviour", "--n-stimuli", "4", "--alpha-step", "1"],
    ):
        done = run_cli(*args, timeout=300)
        assert done.returncode == 0, done.stderr
    return {"circuit": circuit, "run": run}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """An empty 8 MiB tmpfs at a fresh folder, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, left: int = LEFT) -> None:
    """Fill ``disk`` until ``left`` bytes are free."""
    free = shutil.disk_usage(disk).free - left
    with open(disk / "filler", "wb") as handle:
        while free > 0:
            chunk = min(free, 1 << 20)
            handle.write(b"\0" * chunk)
            free -= chunk


def check_failed_cleanly(done: subprocess.CompletedProcess, disk: Path) -> None:
    """One clear line (besides progress lines), exit 2, no traceback, and no temporary left
    on ``disk``."""
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    said = [line for line in done.stderr.splitlines() if line and not PROGRESS.match(line)]
    assert len(said) == 1 and "no space left" in said[0], done.stderr
    leftovers = [p.name for p in disk.rglob("*") if ".tmp." in p.name or ".old." in p.name]
    assert not leftovers, leftovers


@pytest.mark.parametrize("suffix", [".nc", ".zarr", ".nwb"])
def test_record(sources: dict[str, Path], disk: Path, suffix: str) -> None:
    fill(disk)
    out = disk / f"recording{suffix}"
    done = run_cli(
        "record", sources["run"], "--stimulus", "gratings", "--probe", "bipolar:full",
        "--n", "32", "--out", out,
    )  # fmt: skip
    check_failed_cleanly(done, disk)
    assert not out.exists()


@pytest.mark.parametrize("name", ["stimulus.gif", "stimulus.npz"])
def test_stimulus(disk: Path, name: str) -> None:
    fill(disk, 1024)
    out = disk / name
    count = ["--count", "64"] if name.endswith(".npz") else ["--zoom", "8"]
    done = run_cli("stimulus", "white_noise", "--out", out, *count)
    check_failed_cleanly(done, disk)
    assert not out.exists()


@pytest.mark.parametrize("command", ["evaluate", "analyze", "report"])
def test_run_folder_commands(sources: dict[str, Path], disk: Path, command: str) -> None:
    """The run's files from before are kept whole when the rewrite fails."""
    run = disk / "run"
    shutil.copytree(sources["run"], run)
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    fill(disk)
    args = {
        "evaluate": ["--n", "64", "--alpha", "2"],
        "analyze": ["--only", "behaviour", "--n-stimuli", "4", "--alpha-step", "1"],
        "report": [],
    }[command]
    done = run_cli(command, run, *args)
    check_failed_cleanly(done, disk)
    for name, data in before.items():
        if name.name != ".retinasim.lock":
            assert (run / name).read_bytes() == data, f"{name} changed"


def test_train(sources: dict[str, Path], disk: Path) -> None:
    fill(disk, 4 * 1024)
    done = run_cli("train", sources["circuit"], "--out", disk / "run")
    check_failed_cleanly(done, disk)
