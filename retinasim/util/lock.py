"""One writer per run folder: an exclusive lock (:mod:`filelock`) on ``RUN/.retinasim.lock``.

A second writer is refused at once with the holder's pid and command (``.retinasim.lock.holder``);
the operating system releases the lock when the holder exits, even after ``kill -9``. The lock
is re-entrant within a process and inherited by the multiprocessing workers its holder starts
(``FOLDER@PID`` in :data:`HELD_ENV`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import filelock

from retinasim.errors import RetinasimError
from retinasim.util.files import (
    FileWriteError,
    atomic_write_text,
    check_target,
    make_folder,
    write_error,
)

LOCK_NAME = ".retinasim.lock"
"""The lock file inside a run folder."""
HOLDER_NAME = ".retinasim.lock.holder"
"""The note naming the lock's holder (its pid and command)."""
LOCK_FILES = (LOCK_NAME, HOLDER_NAME)
"""The files of the lock, which are no part of a run."""
HELD_ENV = "RETINASIM_HELD_LOCKS"
"""Run folders (``os.pathsep``-separated) locked by this process or the one that started it."""

_held: dict[Path, filelock.BaseFileLock] = {}
"""Folder → the locks this process holds."""


class RunFolderBusy(RetinasimError):
    """Another process is writing into the run folder."""


def _inherited(key: Path) -> bool:
    """Whether this process's :mod:`multiprocessing` parent holds the lock of ``key`` (any
    other program started by the holder inherits nothing)."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None or parent.pid != os.getppid():
        return False
    return f"{key}@{parent.pid}" in os.environ.get(HELD_ENV, "").split(os.pathsep)


def _holder(folder: Path) -> str:
    try:
        text = (folder / HOLDER_NAME).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "another process"
    return text.splitlines()[0] if text else "another process"


def _acquire(folder: Path) -> filelock.BaseFileLock:
    """Take the lock of ``folder`` now, or raise :class:`RunFolderBusy`; note the holder.
    A lock file or note that is a symbolic link or no regular file is refused (never followed)."""
    path = folder / LOCK_NAME
    for planted in (path, folder / HOLDER_NAME):
        if planted.is_symlink():
            raise FileWriteError(f"cannot lock {folder}: {planted.name} is a symbolic link")
        check_target(planted)
    lock = filelock.FileLock(path, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise RunFolderBusy(
            f"{folder}: in use by {_holder(folder)}; wait for it to finish (or stop it), "
            "then run this again"
        ) from None
    except OSError as error:
        raise write_error(error, path) from None
    command = " ".join(["retinasim", *sys.argv[1:]]) if sys.argv else "retinasim"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with contextlib.suppress(OSError, FileWriteError):
        atomic_write_text(folder / HOLDER_NAME, f"pid {os.getpid()} (`{command}`, since {stamp})\n")
    return lock


@contextlib.contextmanager
def run_folder_lock(folder: str | Path, *, create: bool = True) -> Iterator[None]:
    """Hold the write lock of ``folder`` (made first when ``create``; else a missing folder
    is not locked) while the block runs; :class:`RunFolderBusy` if another process holds it,
    :class:`FileWriteError` if the folder or its lock file cannot be made."""
    folder = Path(folder)
    if not folder.is_dir() and (not create or folder.exists()):
        yield  # missing or not a folder: the command itself says so
        return
    make_folder(folder)
    key = Path(os.path.realpath(folder))
    if key in _held or _inherited(key):
        yield  # held by this process already, or by the parent that started it
        return
    _held[key] = _acquire(folder)
    before = os.environ.get(HELD_ENV)
    os.environ[HELD_ENV] = os.pathsep.join(filter(None, [before, f"{key}@{os.getpid()}"]))
    try:
        yield
    finally:
        lock = _held.pop(key)
        if before is None:
            os.environ.pop(HELD_ENV, None)
        else:
            os.environ[HELD_ENV] = before
        with contextlib.suppress(OSError):
            (folder / HOLDER_NAME).unlink(missing_ok=True)
        lock.release()


@contextlib.contextmanager
def run_folder_locks(paths: Iterable[str | Path]) -> Iterator[None]:
    """Hold the lock of every path that is a run folder (a folder with a ``circuit.yaml``),
    e.g. a command's inputs and outputs; circuit files and other paths are left alone."""
    with contextlib.ExitStack() as stack:
        for path in dict.fromkeys(Path(p) for p in paths):
            if path.is_dir() and (path / "circuit.yaml").is_file():
                stack.enter_context(run_folder_lock(path, create=False))
        yield
