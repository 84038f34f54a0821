"""Write files atomically: to a temporary file beside the target, then rename into place.

A crash or a bad input never leaves a half-written file behind, and never clobbers what was
already there with something incomplete.

Files written this way get the permissions of any newly created file, ``0o666`` less the
process's umask (``0o644`` under the usual umask ``022``), not the private ``0o600`` of the
temporary that :func:`tempfile.mkstemp` makes: on a lab's shared file system colleagues can
open a run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def current_umask() -> int:
    """The process's umask, read without changing it (``/proc`` on Linux).

    Elsewhere the umask is read by setting and restoring it, the only portable way.
    """
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii", errors="replace") as status,
    ):
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def default_mode(*, directory: bool = False) -> int:
    """Permissions of a newly created file (or directory) under the current umask."""
    return (0o777 if directory else 0o666) & ~current_umask()


def publish(temporary: str | Path, target: str | Path) -> None:
    """Rename ``temporary`` (a file or directory) onto ``target``, first giving it the
    permissions of a newly created file or directory (see :func:`default_mode`)."""
    temporary = Path(temporary)
    os.chmod(temporary, default_mode(directory=temporary.is_dir()))
    os.replace(temporary, target)


@contextlib.contextmanager
def atomic_path(target: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; it is renamed onto ``target`` on success.

    The temporary keeps ``target``'s suffix (``suffix`` overrides it) so that libraries
    choosing a format by extension still work. On an exception it is removed. The file
    appears with the umask's permissions (:func:`default_mode`).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.tmp.", suffix=suffix or target.suffix, dir=target.parent
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        publish(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(target: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    atomic_write_bytes(target, text.encode("utf-8"))
