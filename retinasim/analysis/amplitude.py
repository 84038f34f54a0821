"""Response amplitudes: one number per trial and cell type, then statistics across trials."""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from retinasim.analysis.labels import labelled, require_coord, require_dims
from retinasim.recording.errors import AnalysisError

Measure = Literal["mean", "max", "sum"]


def is_spatial(dim: str) -> bool:
    """Whether ``dim`` is a map dimension of a recording (``y``, ``x``, ``y_<layer>``, ...)."""
    return dim in ("y", "x") or dim.startswith(("y_", "x_"))


def trial_response(
    response: xr.DataArray, *, measure: Measure = "mean", frames: slice | None = None
) -> xr.DataArray:
    """Each trial's response: ``measure`` (``"mean"``, ``"max"`` or ``"sum"``) over the
    ``frames`` (``frame`` labels, e.g. ``slice(10, None)``; default all) and over space, if kept.

    ``response (trial, cell_type, frame[, y, x])`` comes from a recording (numpy or dask); any
    other dimension (``seed``, ``lesion``, ...) is kept. Returns ``(trial, cell_type)`` and the
    extra dimensions, without the cell types the variable does not record (all NaN).
    """
    require_dims(response, ("trial", "frame"), "a trial response")
    if measure not in ("mean", "max", "sum"):
        raise AnalysisError(f"measure must be mean, max or sum, not {measure!r}")
    if frames is not None:
        response = response.sel(frame=frames)
    over = [dim for dim in response.dims if dim == "frame" or is_spatial(str(dim))]
    reduced = getattr(response, measure)(dim=over)
    if "cell_type" in reduced.dims:
        others = [dim for dim in reduced.dims if dim != "cell_type"]
        recorded = reduced.notnull().any(others).compute()
        reduced = reduced.isel(cell_type=np.flatnonzero(recorded.values))
    units = response.attrs.get("units", "a.u.")
    name = response.attrs.get("long_name", response.name or "response")
    return labelled(reduced, f"{measure} of {name} over {', '.join(map(str, over))}", units)


def response_amplitude(
    response: xr.DataArray,
    by: str,
    *,
    measure: Measure = "mean",
    frames: slice | None = None,
    bins: int | np.ndarray | None = None,
) -> xr.Dataset:
    """Response amplitude per cell type of ``response (trial, cell_type, time[, y, x])`` as a
    function of ``by``, a coordinate along ``trial`` (``s``, ``alpha``, ``speed``, ...).

    ``measure``, ``frames``: each trial's response (:func:`trial_response`); ``bins``: group
    ``by`` into bins (a count or edges, as :meth:`xarray.DataArray.groupby_bins`) instead of by
    distinct value. Returns ``mean``, ``std`` (sample, ddof 1), ``sem`` and ``count``, each
    ``(by, cell_type)`` (``<by>_bins`` with bins).
    """
    require_coord(response, by, "response_amplitude")
    per_trial = trial_response(response, measure=measure, frames=frames)
    per_trial = per_trial.assign_coords({by: per_trial[by].compute()})  # group labels in memory
    groups = per_trial.groupby(by) if bins is None else per_trial.groupby_bins(by, bins)
    mean = groups.mean("trial")
    std = groups.std("trial", ddof=1)
    count = groups.count("trial")
    units = per_trial.attrs["units"]
    name = per_trial.attrs["long_name"]
    result = xr.Dataset(
        {
            "mean": labelled(mean, f"{name}, mean across trials", units),
            "std": labelled(std, f"{name}, standard deviation across trials", units),
            "sem": labelled(std / np.sqrt(count), f"{name}, standard error of the mean", units),
            "count": labelled(count, "trials", "1"),
        }
    )
    dim = by if bins is None else f"{by}_bins"
    if dim in result.coords and by in response.coords:
        result[dim].attrs = dict(response.coords[by].attrs)
    return result
