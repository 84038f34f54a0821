"""Saving and opening recordings: netCDF (h5netcdf) or zarr, chosen by the file's suffix.

Large recordings are streamed: :class:`RecordingWriter` appends one batch of trials at a time
to a zarr store (one chunk per batch along ``trial``), so memory holds a single batch. A
``.nc`` target is assembled from that store chunk by chunk (dask) when the writer closes.
Either way the file appears only when complete: everything is written under a temporary name
beside the target and renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import xarray as xr

from retinasim.record.errors import RecordingError
from retinasim.util.files import atomic_path, publish

SUFFIXES = (".nc", ".zarr")
"""Recording file formats: netCDF-4 through h5netcdf, or a zarr directory store."""


def check_target(path: str | Path) -> Path:
    """``path`` as a Path, after checking its suffix names a format."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise RecordingError(
            f"{path}: a recording is saved as .nc (netCDF) or .zarr, not {path.suffix!r}"
        )
    return path


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence zarr's notes on its own format version (nothing the user can act on)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="zarr")
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated.*")
        yield


def _replace_directory(temporary: Path, target: Path) -> None:
    """Move the directory ``temporary`` onto ``target``, replacing what was there; it gets
    the umask's permissions (a ``mkdtemp`` directory is private)."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, old / target.name)
        publish(temporary, target)
        shutil.rmtree(old)
    else:
        publish(temporary, target)


class RecordingWriter:
    """Append batches of a recording to a file, then move it into place on :meth:`close`.

    Parameters
    ----------
    target
        ``.nc`` or ``.zarr`` path.

    Use as a context manager; on an exception nothing is left behind.
    """

    def __init__(self, target: str | Path):
        self.target = check_target(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._store = Path(
            tempfile.mkdtemp(
                prefix=f".{self.target.name}.tmp.", suffix=".zarr", dir=self.target.parent
            )
        )
        self._batches = 0

    def append(self, batch: xr.Dataset) -> None:
        """Write one batch of trials (its own chunk along ``trial``)."""
        with _quiet():
            if self._batches == 0:
                chunks = {name: {"chunks": var.shape} for name, var in batch.data_vars.items()}
                batch.to_zarr(self._store, mode="w", consolidated=False, encoding=chunks)
            else:
                batch.to_zarr(self._store, append_dim="trial", consolidated=False)
        self._batches += 1

    def close(self, attrs: dict) -> Path:
        """Set the dataset attributes and move the finished file to the target."""
        if self._batches == 0:
            raise RecordingError("nothing was recorded (no trials)")
        import zarr

        with _quiet():
            group = zarr.open_group(self._store, mode="r+")
            group.attrs.update(attrs)
            if self.target.suffix == ".zarr":
                _replace_directory(self._store, self.target)
            else:
                with xr.open_zarr(self._store, consolidated=False) as streamed:
                    save_recording(streamed, self.target)
                shutil.rmtree(self._store)
        return self.target

    def abort(self) -> None:
        """Remove the temporary store."""
        shutil.rmtree(self._store, ignore_errors=True)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self.abort()


def save_recording(recording: xr.Dataset, path: str | Path) -> Path:
    """Write ``recording`` to ``path`` (``.nc`` or ``.zarr``) atomically.

    Dask-backed data is written chunk by chunk; netCDF variables are chunked along ``trial``
    like the data (or whole, when in memory).
    """
    path = check_target(path)
    with _quiet():
        if path.suffix == ".zarr":
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp.", dir=path.parent))
            try:
                recording.to_zarr(temporary / "store.zarr", mode="w", consolidated=False)
                _replace_directory(temporary / "store.zarr", path)
            finally:
                shutil.rmtree(temporary, ignore_errors=True)
        else:
            encoding = {}
            for name, variable in recording.data_vars.items():
                chunks = variable.chunks
                sizes = [c[0] for c in chunks] if chunks else list(variable.shape)
                encoding[name] = {"chunksizes": tuple(max(1, s) for s in sizes)}
            with atomic_path(path) as temporary:
                recording.to_netcdf(temporary, engine="h5netcdf", encoding=encoding)
    return path


def open_recording(path: str | Path, *, chunks: dict | str | None = "auto") -> xr.Dataset:
    """Open a saved recording lazily (dask arrays, chunked as stored along ``trial``).

    Parameters
    ----------
    path
        ``.nc`` or ``.zarr`` written by :func:`save_recording` or :func:`retinasim.record.record`.
    chunks
        Passed to xarray; ``{}`` keeps the file's chunks, ``None`` loads numpy arrays.
    """
    path = check_target(path)
    if not path.exists():
        raise RecordingError(f"{path}: no such recording")
    chunks = {} if chunks == "auto" else chunks
    with _quiet():
        if path.suffix == ".zarr":
            return xr.open_zarr(path, consolidated=False, chunks=chunks)
        return xr.open_dataset(path, engine="h5netcdf", chunks=chunks)
