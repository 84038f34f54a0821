"""Write files atomically (a temporary beside the target, renamed into place), so a crash
never leaves a half-written file. They get a new file's permissions (``0o666`` less the umask),
not :func:`tempfile.mkstemp`'s private ``0o600``, so colleagues on a shared file system can read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from retinasim.errors import RetinasimError
from retinasim.util.reading import file_kind


class FileWriteError(RetinasimError):
    """A file could not be written (read-only folder, full disk, a parent that is a file, ...);
    the message names the file and the reason in one line."""


_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def file_parent(path: Path) -> Path | None:
    """The first ancestor of ``path`` that exists and is not a folder, if any."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def write_error(error: OSError, target: str | Path, *, folder: bool = False) -> FileWriteError:
    """``error`` (raised while writing ``target``, or making the folder ``target``) as one
    clear :class:`FileWriteError`."""
    target = Path(target)
    blocker = file_parent(target if not folder else target / "x")
    if blocker is not None or error.errno in (errno.ENOTDIR, errno.EEXIST):
        where = blocker or (target if folder else target.parent)
        reason = f"{where} is a file, not a folder"
    elif error.errno in _REASONS:
        reason = _REASONS[error.errno]
    else:
        reason = error.strerror or str(error) or type(error).__name__
    return FileWriteError(f"cannot write {target}: {reason}")


def check_target(target: str | Path, *, directory: bool = False) -> None:
    """Refuse to replace what is at ``target`` (:class:`FileWriteError`) unless it is a
    regular file, a symbolic link (which a rename replaces, never follows) or, with ``directory``,
    a folder: a device, FIFO or socket named as an output never becomes a file."""
    target = Path(target)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise write_error(error, target) from None
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode) or (directory and stat.S_ISDIR(mode)):
        return
    raise FileWriteError(f"cannot write {target}: it is {file_kind(mode)}; refusing to replace it")


def append_line(target: str | Path, line: str) -> None:
    """Append ``line`` (and a newline) to the regular file ``target`` (made if missing),
    never through a symbolic link or into a special file."""
    target = Path(target)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        check_target(target)
        if target.is_symlink():
            raise FileWriteError(f"cannot write {target}: it is a symbolic link")
        handle = os.open(target, flags, default_mode())
    except OSError as error:
        raise write_error(error, target) from None
    with os.fdopen(handle, "a", encoding="utf-8") as stream:
        stream.write(line.rstrip("\n") + "\n")


def make_folder(path: str | Path) -> Path:
    """``mkdir -p path``, with a :class:`FileWriteError` instead of an ``OSError`` (and for
    a device, FIFO or socket at ``path``)."""
    path = Path(path)
    check_target(path, directory=True)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise write_error(error, path, folder=True) from None
    return path


def current_umask() -> int:
    """The process's umask, read without changing it (``/proc`` on Linux; elsewhere set
    and restored, the only portable way)."""
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
    """Rename ``temporary`` (a file or folder) onto ``target`` with the permissions of a new
    file or folder (:func:`default_mode`); a folder already at ``target`` is first moved aside and
    removed once the new one is in place."""
    temporary, target = Path(temporary), Path(target)
    os.chmod(temporary, default_mode(directory=temporary.is_dir()))
    if not (temporary.is_dir() and target.is_dir() and not target.is_symlink()):
        os.replace(temporary, target)
        return
    aside = temporary_beside(target, f".pid{os.getpid()}.old", directory=True, kind="old")
    os.replace(target, aside / target.name)
    os.replace(temporary, target)
    remove(aside)


def temporary_beside(
    target: str | Path, suffix: str = "", *, directory: bool = False, kind: str = "tmp"
) -> Path:
    """A new empty temporary file (or ``directory``) ``.NAME.<kind>.<random><suffix>`` beside
    ``target``, parents made (``suffix`` defaults to ``target``'s; :class:`FileWriteError`)."""
    target = Path(target)
    prefix, suffix = f".{target.name}.{kind}.", suffix or target.suffix
    try:
        make_folder(target.parent)
        if directory:
            return Path(tempfile.mkdtemp(suffix=suffix, prefix=prefix, dir=target.parent))
        handle, name = tempfile.mkstemp(suffix=suffix, prefix=prefix, dir=target.parent)
        os.close(handle)
    except OSError as error:
        raise write_error(error, target) from None
    return Path(name)


@contextlib.contextmanager
def atomic_path(target: str | Path, suffix: str = "", *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` (with its suffix, or ``suffix``, for
    libraries that choose a format by it), renamed onto ``target`` on success and removed on an
    exception. With ``directory`` it is an empty folder, which replaces a folder at ``target``."""
    target = Path(target)
    check_target(target, directory=directory)
    temporary = temporary_beside(target, suffix, directory=directory)
    try:
        yield temporary
        publish(temporary, target)
    except OSError as error:
        remove(temporary)
        raise write_error(error, target) from None
    except BaseException:
        remove(temporary)
        raise


def remove(path: Path) -> None:
    """Remove a file or folder, quietly (a temporary may be half-written or gone)."""
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(target: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    atomic_write_bytes(target, text.encode("utf-8"))
