"""Compute first, label second (the xclim pattern): attach ``long_name``/``units`` attrs."""

from __future__ import annotations

import xarray as xr

from retinasim.recording.errors import AnalysisError


def labelled(array: xr.DataArray, long_name: str, units: str, **attrs: object) -> xr.DataArray:
    """``array`` with ``long_name``, ``units`` and further attributes set (a shallow copy)."""
    array = array.copy(deep=False)
    array.attrs = {"long_name": long_name, "units": units, **attrs}
    return array


def variable(dims, values, long_name: str, units: str = "a.u.") -> tuple:
    """A Dataset variable or coordinate ``(dims, values, attrs)`` with its long name and units."""
    return dims, values, {"long_name": long_name, "units": units}


def require_dims(array: xr.DataArray, dims: tuple[str, ...], what: str) -> None:
    """Raise :class:`AnalysisError` naming the missing dimensions of ``array``."""
    missing = [dim for dim in dims if dim not in array.dims]
    if missing:
        raise AnalysisError(
            f"{what} needs dimension(s) {', '.join(missing)}; {array.name or 'the data'} has "
            f"{', '.join(map(str, array.dims))}"
        )


def require_coord(array: xr.DataArray, name: str, what: str) -> None:
    """Raise :class:`AnalysisError` when ``array`` lacks a coordinate along ``trial``."""
    if name not in array.coords:
        trial = [str(c) for c in array.coords if array.coords[c].dims == ("trial",)]
        raise AnalysisError(
            f"{what}: no coordinate {name!r} (trial coordinates: {', '.join(trial) or 'none'})"
        )
