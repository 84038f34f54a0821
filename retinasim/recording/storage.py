"""Saving and opening recordings: netCDF (h5netcdf) or zarr groups, chosen by the suffix.

:class:`RecordingWriter` streams a recording one batch of trials at a time into a zarr store
(one chunk per batch along ``trial``); a ``.nc`` target is assembled from it chunk by chunk on
close. Files are written under a temporary name beside the target
(``.NAME.tmp.<random>.pid<PID>.<suffix>``) and renamed into place; the next writer of the
same target removes those of a killed process.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import xarray as xr

from retinasim.recording.errors import RecordingError
from retinasim.util.files import (
    atomic_path,
    make_folder,
    publish,
    remove,
    temporary_beside,
    write_error,
)
from retinasim.util.netcdf import write_netcdf

SUFFIXES = (".nc", ".zarr")
"""Recording file formats: netCDF-4 groups through h5netcdf, or a zarr directory store."""

LEGACY_AGE_S = 600.0
"""Temporaries without a pid (older versions) count as stale once untouched this long."""


def check_target(path: str | Path, suffixes: tuple[str, ...] = SUFFIXES) -> Path:
    """``path`` as a Path, after checking its suffix names a format."""
    path = Path(path)
    if path.suffix not in suffixes:
        names = " or ".join(
            {".nc": ".nc (netCDF)", ".zarr": ".zarr", ".nwb": ".nwb (NWB)"}[s] for s in suffixes
        )
        raise RecordingError(f"{path}: a recording is saved as {names}, not {path.suffix!r}")
    return path


def temporary_suffix(suffix: str) -> str:
    """Suffix of this process's temporaries: ``.pid<PID><suffix>``."""
    return f".pid{os.getpid()}{suffix}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        pass
    return True


def remove_stale_temporaries(target: str | Path) -> list[Path]:
    """Remove the temporaries a killed writer of ``target`` left beside it.

    ``.NAME.tmp.*.pid<PID>.*`` of a process that no longer runs, and pid-less ``.NAME.tmp.*``
    or ``.NAME.old.*`` (older versions) untouched for :data:`LEGACY_AGE_S`. Returns them.
    """
    target = Path(target)
    tagged = re.compile(r"\.pid(\d+)\.[A-Za-z0-9]+$")
    removed = []
    for pattern in (f".{target.name}.tmp.*", f".{target.name}.old.*"):
        for candidate in target.parent.glob(pattern):
            found = tagged.search(candidate.name)
            try:
                if found:
                    stale = not _alive(int(found[1]))
                else:
                    stale = time.time() - candidate.stat().st_mtime > LEGACY_AGE_S
            except OSError:
                continue
            if not stale:
                continue
            remove(candidate)
            removed.append(candidate)
    return removed


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence zarr's notes on its own format version (nothing the user can act on)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="zarr")
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated.*")
        warnings.filterwarnings("ignore", message=".*StringDType.*")
        yield


def _netcdf_encoding(tree: xr.DataTree) -> dict[str, dict]:
    """Per group, variables chunked along ``trial`` like the data (or whole, in memory)."""
    encoding: dict[str, dict] = {}
    for node in tree.subtree:
        group = {}
        for name, variable in node.dataset.data_vars.items():
            chunks = variable.chunks
            sizes = [c[0] for c in chunks] if chunks else list(variable.shape)
            group[name] = {"chunksizes": tuple(max(1, s) for s in sizes)}
        if group:
            encoding[node.path] = group
    return encoding


def _write_netcdf(tree: xr.DataTree, path: Path) -> None:
    write_netcdf(tree, path, encoding=_netcdf_encoding(tree), suffix=temporary_suffix(".nc"))


class RecordingWriter(contextlib.AbstractContextManager["RecordingWriter"]):
    """Append batches of a recording to ``target`` (``.nc`` or ``.zarr``), then move it into
    place on :meth:`close`. Use as a context manager; on an exception nothing is left behind."""

    def __init__(self, target: str | Path):
        self.target = check_target(target)
        make_folder(self.target.parent)
        remove_stale_temporaries(self.target)
        self._store = temporary_beside(self.target, temporary_suffix(".zarr"), directory=True)
        self._batches = 0

    def append(self, parts: dict[str, xr.Dataset]) -> None:
        """Write one batch of trials (its own chunk along ``trial``), group by group:
        ``parts`` maps a group path (``/``, ``/ganglion``, ...) to its batch Dataset."""
        with _quiet(), self._write_errors():
            for path, batch in parts.items():
                group = None if path == "/" else path.strip("/")
                if self._batches == 0:
                    chunks = {name: {"chunks": var.shape} for name, var in batch.data_vars.items()}
                    batch.to_zarr(
                        self._store,
                        group=group,
                        mode="w" if group is None else "a",
                        consolidated=False,
                        encoding=chunks,
                    )
                else:
                    batch.to_zarr(self._store, group=group, append_dim="trial", consolidated=False)
        self._batches += 1

    def close(self, attrs: dict, group_attrs: dict[str, dict] | None = None) -> Path:
        """Set the attributes (root and per group) and move the finished file to the target."""
        if self._batches == 0:
            raise RecordingError("nothing was recorded (no trials)")
        import zarr

        with _quiet(), self._write_errors():
            root = zarr.open_group(self._store, mode="r+")
            root.attrs.update(attrs)
            for path, extra in (group_attrs or {}).items():
                root[path.strip("/")].attrs.update(extra)
            if self.target.suffix == ".zarr":
                publish(self._store, self.target)
            else:
                with xr.open_datatree(
                    self._store, engine="zarr", consolidated=False, chunks={}
                ) as streamed:
                    _write_netcdf(streamed, self.target)
                shutil.rmtree(self._store)
        return self.target

    @contextlib.contextmanager
    def _write_errors(self) -> Iterator[None]:
        """A failed write of the store (a full disk, say) as one FileWriteError."""
        try:
            yield
        except OSError as error:
            raise write_error(error, self.target) from None

    def abort(self) -> None:
        """Remove the temporary store."""
        shutil.rmtree(self._store, ignore_errors=True)

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self.abort()


def save_recording(recording: xr.DataTree | xr.Dataset, path: str | Path) -> Path:
    """Write ``recording`` to ``path`` (``.nc`` or ``.zarr``) atomically, groups kept (a
    Dataset, e.g. ``tree["ganglion"].to_dataset()``, as a single group); dask-backed data is
    written chunk by chunk."""
    path = check_target(path)
    tree = recording if isinstance(recording, xr.DataTree) else xr.DataTree(recording)
    make_folder(path.parent)
    remove_stale_temporaries(path)
    with _quiet():
        if path.suffix == ".zarr":
            with atomic_path(path, temporary_suffix(".zarr"), directory=True) as temporary:
                tree.to_zarr(temporary, mode="w", consolidated=False)
        else:
            _write_netcdf(tree, path)
    return path


def open_recording(path: str | Path, *, chunks: dict | str | None = "auto") -> xr.DataTree:
    """Open a saved recording (``.nc`` or ``.zarr``) lazily, its groups as a DataTree;
    ``chunks``: ``"auto"`` or ``{}`` keeps the file's chunks (dask), ``None`` loads numpy."""
    path = check_target(path)
    if not path.exists():
        raise RecordingError(f"{path}: no such recording")
    chunks = {} if chunks == "auto" else chunks
    with _quiet():
        try:
            if path.suffix == ".zarr":
                return xr.open_datatree(path, engine="zarr", consolidated=False, chunks=chunks)
            return xr.open_datatree(path, engine="h5netcdf", chunks=chunks)
        except (OSError, ValueError, KeyError) as error:
            raise RecordingError(f"{path}: not a readable recording ({error})") from None
