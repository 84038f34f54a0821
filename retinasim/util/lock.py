"""One writer per run folder: an exclusive ``fcntl.flock`` on ``RUN/.retinasim.lock``.

Every command that writes into a run folder (``train``, ``run``, ``evaluate``, ``analyze``,
``report``) holds the lock for as long as it writes; a second writer is refused at once with
the pid and command of the holder. The kernel releases the lock when the holder exits, even
after ``kill -9``, so a stale lock file never blocks anyone (the file itself stays, it is
ignored by every other check of the folder).

The lock is re-entrant within a process (``run`` holds it and calls ``train``, which takes
it again) and inherited by the worker processes a holder starts itself
(``retinasim.train(..., processes=N)``): the holder records ``FOLDER@PID`` in the environment
variable :data:`HELD_ENV`, and a multiprocessing child of that pid that finds its folder there
does not lock again.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from retinasim.errors import RetinasimError
from retinasim.util.files import make_folder, write_error

LOCK_NAME = ".retinasim.lock"
"""The lock file inside a run folder."""
HELD_ENV = "RETINASIM_HELD_LOCKS"
"""Run folders (``os.pathsep``-separated) locked by this process or the one that started it."""

_held: dict[Path, tuple[int, int]] = {}
"""Folder → (open file descriptor, depth) of the locks this process holds."""


class RunFolderBusy(RetinasimError):
    """Another process is writing into the run folder."""


def _key(folder: Path) -> Path:
    return Path(os.path.realpath(folder))


def _inherited(key: Path) -> bool:
    """Whether this process's parent holds the lock of ``key`` (it started this process to
    write for it, through :mod:`multiprocessing`); any other program started by the holder
    inherits nothing."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None or parent.pid != os.getppid():
        return False
    return f"{key}@{parent.pid}" in os.environ.get(HELD_ENV, "").split(os.pathsep)


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "another process"
    return text.splitlines()[0] if text else "another process"


@contextlib.contextmanager
def run_folder_lock(folder: str | Path, *, create: bool = True) -> Iterator[None]:
    """Hold the write lock of ``folder`` (made first when ``create``) while the block runs.

    Without ``create``, a folder that does not exist is not locked (the command reports it).

    Raises
    ------
    RunFolderBusy
        If another process holds the lock.
    FileWriteError
        If the folder or its lock file cannot be made.
    """
    import fcntl

    folder = Path(folder)
    if not folder.is_dir() and (not create or folder.exists()):
        yield  # missing or not a folder: the command itself says so
        return
    make_folder(folder)
    key = _key(folder)
    if _inherited(key) and key not in _held:
        yield
        return
    if key in _held:
        descriptor, depth = _held[key]
        _held[key] = (descriptor, depth + 1)
        try:
            yield
        finally:
            descriptor, depth = _held[key]
            _held[key] = (descriptor, depth - 1)
        return
    path = folder / LOCK_NAME
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise write_error(error, path) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        raise RunFolderBusy(
            f"{folder}: in use by {_holder(path)}; wait for it to finish (or stop it), "
            "then run this again"
        ) from None
    command = " ".join(["retinasim", *sys.argv[1:]]) if sys.argv else "retinasim"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with contextlib.suppress(OSError):
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"pid {os.getpid()} (`{command}`, since {stamp})\n".encode(), 0)
    _held[key] = (descriptor, 1)
    before = os.environ.get(HELD_ENV)
    os.environ[HELD_ENV] = os.pathsep.join(filter(None, [before, f"{key}@{os.getpid()}"]))
    try:
        yield
    finally:
        del _held[key]
        if before is None:
            os.environ.pop(HELD_ENV, None)
        else:
            os.environ[HELD_ENV] = before
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, 0)
        os.close(descriptor)  # releases the flock
