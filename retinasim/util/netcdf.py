"""The one netCDF writer: every ``.nc`` retinasim writes goes through :func:`write_netcdf`.

HDF5 is not safe once a write fails: after ENOSPC in the middle of a file it can crash the
process (SIGSEGV) in the next call or in a finaliser at exit. So HDF5 never writes to a disk
that may fill up here: a file up to :data:`IN_MEMORY_BYTES` is built in memory and written
with plain file I/O, whose errors are ordinary ``OSError``; a larger one is written directly
only after the free space was checked against its size with a margin.
"""

from __future__ import annotations

import errno
import gc
import shutil
from pathlib import Path

import dask
import xarray as xr

from retinasim.util.files import atomic_path, write_error

IN_MEMORY_BYTES = 256 << 20
"""Files whose data take up to this many bytes are assembled in memory first."""
MARGIN = 1.05
"""Free space a direct write needs, as a multiple of its data bytes (plus 1 MiB)."""


def write_netcdf(
    data: xr.Dataset | xr.DataTree,
    target: str | Path,
    *,
    encoding: dict | None = None,
    suffix: str = "",
) -> None:
    """Write ``data`` (netCDF-4 through h5netcdf) to ``target`` atomically.

    A failed write — a full disk, a read-only file system — raises
    :class:`~retinasim.errors.FileWriteError` (one line) and leaves neither the target nor a
    temporary (``suffix`` names the temporary's ending, see
    :func:`~retinasim.util.files.atomic_path`).
    """
    size = _data_bytes(data)
    with atomic_path(target, suffix) as temporary:
        if size <= IN_MEMORY_BYTES:
            # on a Dask worker xarray would pick a distributed lock, which cannot be keyed
            # by an in-memory buffer; this process computes and writes the image itself
            with dask.config.set(scheduler="synchronous"):
                image = data.to_netcdf(engine="h5netcdf", encoding=encoding)
            temporary.write_bytes(image)
            return
        needed = int(size * MARGIN) + (1 << 20)
        if shutil.disk_usage(temporary.parent).free < needed:
            raise write_error(OSError(errno.ENOSPC, "no space"), target)
        try:
            data.to_netcdf(temporary, engine="h5netcdf", encoding=encoding)
        except OSError:
            _abandon_open_files(temporary)
            raise
        except RuntimeError as error:  # HDF5's report of a failed flush
            _abandon_open_files(temporary)
            raise OSError(errno.EIO, str(error).splitlines()[0]) from None


def _data_bytes(data: xr.Dataset | xr.DataTree) -> int:
    """Bytes of every variable and coordinate of ``data`` (all groups)."""
    nodes = data.subtree if isinstance(data, xr.DataTree) else [data]
    datasets = [node.dataset if isinstance(node, xr.DataTree) else node for node in nodes]
    return sum(int(variable.nbytes) for ds in datasets for variable in ds.variables.values())


def _abandon_open_files(path: Path) -> None:
    """Mark h5netcdf's files still open on ``path`` closed, without flushing them (their
    finaliser would flush again at exit and crash on HDF5's broken state)."""
    import h5netcdf

    for candidate in gc.get_objects():
        if (
            isinstance(candidate, h5netcdf.File)
            and not getattr(candidate, "_closed", True)
            and str(getattr(candidate, "_filename", "")) == str(path)
        ):
            candidate._closed = True
