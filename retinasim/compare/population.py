"""Ensembles as populations: statistics over the seeds of a comparison Dataset
(``comparison.nc``, :mod:`retinasim.compare.dataset`), xarray reductions over ``seed`` (and
``cell_type``) of the completed runs, labelled per ``circuit``; any subset works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def wilson_interval(
    k: ArrayLike, n: ArrayLike, z: float = 1.96
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    """Wilson score interval ``(low, high)`` of a proportion ``k / n`` (``z`` = 1.96: 95%).

    ``(p + z²/2n ± z √(p(1 − p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = k / n`` (Wilson 1927);
    unlike the normal approximation it stays inside [0, 1] and is not empty at ``k = 0`` or
    ``k = n``. NaN for ``n = 0``. ``k`` and ``n`` may be arrays (then arrays are returned).
    E.g. ``wilson_interval(8, 10)`` is ``(0.490, 0.943)``.
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    if np.any((k < 0) | (k > n)):
        raise ValueError(f"wilson_interval needs 0 <= k <= n, got k={k}, n={n}")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def labelled(array: xr.DataArray, long_name: str, units: str = "1") -> xr.DataArray:
    """``array`` with its ``long_name`` and ``units`` attributes."""
    array.attrs = {"long_name": long_name, "units": units}
    return array


def _completed(ds: xr.Dataset, name: str) -> xr.DataArray:
    """``ds[name]`` where the run completed (NaN elsewhere)."""
    return ds[name].where(ds["completed"])


def emergence(ds: xr.Dataset, flag: str = "ds_emergence", z: float = 1.96) -> xr.Dataset:
    """Per circuit: ``k`` seeds with ``flag`` of ``n`` completed, ``rate`` and the Wilson
    interval ``low``, ``high``."""
    k = ds[flag].where(ds["completed"], False).sum("seed")
    n = ds["completed"].sum("seed")
    low, high = wilson_interval(k.values, n.values, z)
    return xr.Dataset(
        {
            "k": labelled(k, f"seeds with {flag}"),
            "n": labelled(n, "completed seeds"),
            "rate": labelled(k / n.where(n > 0), f"{flag} rate"),
            "low": labelled(xr.DataArray(low, dims="circuit"), f"Wilson score low (z = {z:g})"),
            "high": labelled(xr.DataArray(high, dims="circuit"), f"Wilson score high (z = {z:g})"),
        },
        coords={"circuit": ds["circuit"]},
    )


def critical_counts(ds: xr.Dataset) -> xr.DataArray:
    """``(circuit, n_critical)``: completed seeds with 0, 1, 2 ... critical ganglion types."""
    top = int(np.nanmax(ds["n_types"].values, initial=0)) if ds.sizes["circuit"] else 0
    values = np.arange(top + 1)
    counts = (_completed(ds, "n_critical") == xr.DataArray(values, dims="n_critical")).sum("seed")
    counts = counts.assign_coords(n_critical=values)
    return labelled(counts, "seeds with this many critical ganglion types")


def redundancy(ds: xr.Dataset) -> xr.Dataset:
    """Per circuit: ``mean``, ``min``, ``max`` over seeds of ``redundancy`` (fraction of
    ganglion types whose lesion costs less than 1 accuracy point)."""
    return _seed_band(ds, "redundancy")


def direction_pairs(ds: xr.Dataset) -> xr.DataArray:
    """``(circuit, n_right, n_left)``: seeds that solve the task (``solved``) by how many
    critical DS ganglion types prefer a rightward (cos > 0) and a leftward direction. Seeds
    with both ≥ 1 have a pair: their sum is ``ds_emergence``'s count."""
    right = ds["n_critical_ds_right"].where(ds["solved"])
    left = ds["n_critical_ds_left"].where(ds["solved"])
    top = int(np.nanmax([np.nanmax(right.values, initial=0), np.nanmax(left.values, initial=0)]))
    values = np.arange(top + 1)
    counts = (
        (right == xr.DataArray(values, dims="n_right"))
        & (left == xr.DataArray(values, dims="n_left"))
    ).sum("seed")
    counts = counts.assign_coords(n_right=values, n_left=values)
    return labelled(
        counts, "solved seeds with n_right right- and n_left left-preferring critical DS types"
    )


def accuracy_band(ds: xr.Dataset) -> xr.Dataset:
    """``(circuit, alpha)``: ``mean``, ``min`` and ``max`` over completed seeds of the
    held-out accuracy."""
    return _seed_band(ds, "accuracy")


def _seed_band(ds: xr.Dataset, name: str) -> xr.Dataset:
    """``mean``, ``min`` and ``max`` over the completed seeds of ``ds[name]``."""
    values = _completed(ds, name)
    return xr.Dataset(
        {
            "mean": labelled(values.mean("seed"), f"mean {name} over seeds"),
            "min": labelled(values.min("seed"), f"lowest {name} of a seed"),
            "max": labelled(values.max("seed"), f"highest {name} of a seed"),
        }
    )


def fraction_ds_critical(ds: xr.Dataset) -> xr.DataArray:
    """Per circuit: critical DS ganglion types / critical ganglion types, pooled over the
    completed seeds (NaN for a circuit with no critical type)."""
    critical = ds["critical"].where(ds["completed"], False).sum(("seed", "cell_type"))
    ds_types = ds["critical_ds"].where(ds["completed"], False).sum(("seed", "cell_type"))
    return labelled(
        ds_types / critical.where(critical > 0), "fraction of critical types that are DS"
    )
