"""Read input files only when they are what they claim: a regular file under a size cap.

An input may be a folder, a device (``/dev/zero`` reports size 0 and never ends) or a FIFO:
:func:`check_input` says which before anything is read; :func:`read_bounded` never reads past
its cap, whatever the file system reports.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from retinasim.errors import RetinasimError


class InputFileError(RetinasimError):
    """An input file is missing, is not a regular file, or is larger than its kind allows."""


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, other than a regular file: ``a folder``, ..."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_input(path: str | Path, limit: int, what: str) -> int:
    """The size in bytes of ``path`` when it is a regular file (a link is followed) of at
    most ``limit`` bytes; :class:`InputFileError` naming what it is otherwise."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as error:  # a link loop, a permission, a path below a file
        raise InputFileError(f"{path}: cannot read it ({error.strerror or error})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{path}: is {file_kind(info.st_mode)}, expected {what}")
    if info.st_size > limit:
        raise InputFileError(
            f"{path}: is {info.st_size} bytes; {what} must be at most {limit} bytes"
        )
    return info.st_size


def read_bounded(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of ``path`` (see :func:`check_input`), read to at most ``limit`` bytes."""
    check_input(path, limit, what)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise InputFileError(f"{path}: cannot read it ({error.strerror or error})") from None
    if len(data) > limit:
        raise InputFileError(f"{path}: {what} must be at most {limit} bytes")
    return data
