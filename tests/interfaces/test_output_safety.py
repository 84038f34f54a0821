"""Outputs are never written into special files or through links planted in a folder (#27).

N9: an atomic write once turned ``/dev/null`` into a regular file when named as ``--out``;
N2: the run lock and compare's attempt log followed symbolic links planted in a folder and
truncated or appended to their targets outside it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from helpers import run_cli

from retinasim.util.files import FileWriteError, append_line, atomic_write_text
from retinasim.util.lock import LOCK_NAME, run_folder_lock


def _one_line_exit_2(done) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_init_refuses_to_replace_a_fifo_named_as_its_output(tmp_path: Path) -> None:
    fifo = tmp_path / "out.yaml"
    os.mkfifo(fifo)
    message = _one_line_exit_2(run_cli("init", "murray2021", "--out", fifo, "--overwrite"))
    assert "it is a FIFO; refusing to replace it" in message
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_an_atomic_write_never_replaces_a_device_node(tmp_path: Path) -> None:
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # our own /dev/null twin
    except PermissionError:
        pytest.skip("making a device node needs root")
    with pytest.raises(FileWriteError, match="it is a character device"):
        atomic_write_text(node, "text")
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".null")]  # no temporary


def _planted_link(link: Path, victim: Path) -> Path:
    """``link`` made a symbolic link to ``victim``, a file outside that holds "keep"."""
    victim.write_text("keep")
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)
    return link


def test_the_run_lock_refuses_a_planted_link_and_leaves_its_target_alone(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    run = tmp_path / "run"
    _planted_link(run / LOCK_NAME, victim)
    with pytest.raises(FileWriteError, match="is a symbolic link"), run_folder_lock(run):
        pass
    assert victim.read_text() == "keep"


def test_an_appended_log_is_never_written_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    log = _planted_link(tmp_path / "attempts.jsonl", victim)
    with pytest.raises(FileWriteError, match="symbolic link"):
        append_line(log, "{}")
    assert victim.read_text() == "keep"
    plain = tmp_path / "plain.jsonl"
    append_line(plain, "a")
    append_line(plain, "b\n")
    assert plain.read_text() == "a\nb\n"


def test_a_link_named_as_an_output_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    out = _planted_link(tmp_path / "out.txt", victim)
    atomic_write_text(out, "new")
    assert victim.read_text() == "keep"
    assert not out.is_symlink() and out.read_text() == "new"


def _hold_lock(folder: Path):
    """Another process holding ``folder``'s run lock (until killed)."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nfrom retinasim.util.lock import run_folder_lock\n"
            f"with run_folder_lock({str(folder)!r}):\n    print('held', flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_tuning_refuses_to_write_into_a_run_folder_another_process_writes(tmp_path: Path) -> None:
    """N21: tuning (and receptive-fields) take the lock of the run folders they touch."""
    from helpers import TINY_CIRCUIT

    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    run = tmp_path / "run"
    run.mkdir()
    (run / "circuit.yaml").write_text(TINY_CIRCUIT)
    holder = _hold_lock(run)
    try:
        message = _one_line_exit_2(run_cli("tuning", circuit, "--out", run))
        assert "in use by pid" in message
        assert not (run / "tuning.nc").exists()
    finally:
        holder.kill()
        holder.wait()


def test_compare_keeps_to_a_folder_of_its_own(tmp_path: Path) -> None:
    """N21: compare --out a training run folder is refused; a label never climbs out."""
    from helpers import TINY_CIRCUIT

    from retinasim.compare import labels_for

    run = tmp_path / "run"
    run.mkdir()
    (run / "circuit.yaml").write_text(TINY_CIRCUIT)
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    message = _one_line_exit_2(run_cli("compare", circuit, "--out", run, "--steps", "1"))
    assert "is a training run folder" in message
    assert not (run / "runs").exists()
    assert labels_for(["a/...yaml", "b/.x.yaml", "c/y.yaml", "d/y.yaml"]) == [
        "_.",
        "_x",
        "y",
        "y_2",
    ]
