"""Direction selectivity of tuning curves and its permutation tests, the one core of
:func:`~retinasim.analysis.direction_tuning` and :func:`retinasim.dissect.direction_protocol`.

Tuning curves ``R(θ)`` run along a ``direction`` dimension (degrees; 0 = rightward, 90 = up the
screen, as :mod:`retinasim.stimuli`; every direction's opposite θ + 180° among them) and are
assumed non-negative (rectify first). The p-values shuffle the direction labels of responses
along a ``trial`` dimension ``n_permutations`` times (seeded), optionally only within each
condition (``within``: the repeats of a deterministic model are its stimulus conditions), and
give ``p = (1 + #{shuffled index ≥ observed}) / (1 + n)`` of the mean response per direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr

from retinasim.analysis.labels import labelled, require_coord
from retinasim.recording.errors import AnalysisError

_BLOCK = 128
"""Permutations drawn at once (the draws do not depend on it)."""
_TIE = 1e-12
"""A shuffled index this close below the observed one counts as reaching it (round-off)."""


def dsi(tuning: xr.DataArray, *, dim: str = "direction") -> xr.DataArray:
    """Classic direction selectivity index of tuning curves ``(..., dim)``: ``(...)``, unit 1
    (NaN where the preferred and null responses sum to 0)."""
    value = _per_curve(tuning, dim, "dsi")
    return labelled(value, "direction selectivity index (pref - null) / (pref + null)", "1")


def vector_dsi(tuning: xr.DataArray, *, dim: str = "direction") -> xr.DataArray:
    """Vector-sum direction selectivity index ``|Σ R e^{iθ}| / Σ R`` of tuning curves
    ``(..., dim)``: ``(...)``, unit 1 (NaN without response)."""
    value = _per_curve(tuning, dim, "vector_dsi")
    return labelled(value, "vector-sum direction selectivity index", "1")


def preferred_direction_deg(tuning: xr.DataArray, *, dim: str = "direction") -> xr.DataArray:
    """Preferred direction ``arg Σ R e^{iθ}`` of tuning curves ``(..., dim)``: ``(...)``,
    degrees in [0, 360) (0 rightward, 90 up, 180 leftward; NaN without response)."""
    value = _per_curve(tuning, dim, "preferred_direction_deg")
    return labelled(value, "preferred direction (vector sum)", "degree")


def dsi_p_value(
    responses: xr.DataArray,
    *,
    direction: str = "direction_deg",
    dim: str = "trial",
    within: str | Sequence[str] | None = None,
    n_permutations: int = 1000,
    seed: int = 0,
    index: Literal["dsi", "vector_dsi"] = "dsi",
) -> xr.DataArray:
    """Permutation p-value of the classic :func:`dsi` (or of ``index``) of the mean response
    per direction.

    ``responses (..., dim)``: non-negative responses with a ``direction`` coordinate along
    the trials ``dim`` (degrees); other dimensions are kept and share the shuffles.
    ``within``: coordinate(s) along ``dim`` naming each trial's condition, labels shuffled only
    among the trials of one condition (default: among all). ``n_permutations`` shuffles (0: no
    test, NaN) from ``seed``. Returns ``(...)``, unit 1.
    """
    p = _permutation_p_values(responses, direction, dim, within, n_permutations, seed, (index,))
    return p[f"{index}_p_value"]


def vector_dsi_p_value(responses: xr.DataArray, **options: Any) -> xr.DataArray:
    """Permutation p-value of the :func:`vector_dsi` of the mean response per direction
    (keywords and result as :func:`dsi_p_value`)."""
    return dsi_p_value(responses, index="vector_dsi", **options)


def _permutation_p_values(
    responses: xr.DataArray,
    direction: str,
    dim: str,
    within: str | Sequence[str] | None,
    n_permutations: int,
    seed: int,
    indices: Sequence[str] = ("dsi", "vector_dsi"),
) -> dict[str, xr.DataArray]:
    """``<index>_p_value`` of each of ``indices`` from one set of shuffles (the public
    functions' parameters)."""
    require_coord(responses, direction, "a direction p-value")
    if n_permutations < 0:
        raise AnalysisError(f"n_permutations must be >= 0, got {n_permutations}")
    coordinate = responses.coords[direction]
    if coordinate.dims != (dim,):
        raise AnalysisError(f"{direction!r} must be a coordinate along {dim!r}")
    directions, labels = np.unique(
        np.asarray(coordinate.values, dtype=np.float64) % 360.0, return_inverse=True
    )
    strata = _strata(responses, dim, within)
    bare = responses.reset_coords(drop=True).load().transpose(..., dim)
    columns = bare.values.reshape(-1, bare.sizes[dim])
    p = _permutation_p(columns, labels, strata, directions, n_permutations, seed, indices)
    shape = bare.isel({dim: 0}, drop=True)
    kept = {k: c for k, c in responses.coords.items() if dim not in c.dims}
    return {
        f"{k}_p_value": labelled(
            shape.copy(data=p[k].reshape(shape.shape)).assign_coords(kept),
            f"p-value of {k} (shuffled directions)",
            "1",
        )
        for k in indices
    }


def _strata(responses: xr.DataArray, dim: str, within: str | Sequence[str] | None) -> np.ndarray:
    """Each trial's condition as an integer ``(trials,)`` (all 0 without ``within``)."""
    if within is None:
        return np.zeros(responses.sizes[dim], dtype=np.int64)
    names = [within] if isinstance(within, str) else list(within)
    keys = []
    for name in names:
        require_coord(responses, name, "a direction p-value within conditions")
        keys.append(np.unique(np.asarray(responses.coords[name].values), return_inverse=True)[1])
    return np.unique(np.stack(keys, -1), axis=0, return_inverse=True)[1].reshape(-1)


def _per_curve(tuning: xr.DataArray, dim: str, key: str) -> xr.DataArray:
    """One of :func:`direction_indices`' outputs for every curve of ``tuning`` along ``dim``."""
    if dim not in tuning.dims:
        raise AnalysisError(f"tuning curves need a {dim!r} dimension, got {tuning.dims}")
    directions = np.asarray(tuning[dim].values, dtype=np.float64)
    _opposites(directions)  # refuse curves without opposite directions up front
    return xr.apply_ufunc(
        lambda curve: direction_indices(curve, directions)[key],
        tuning,
        input_core_dims=[[dim]],
        dask="parallelized",
        output_dtypes=[np.float64],
    )


def _opposites(directions: np.ndarray) -> np.ndarray:
    """Index of the direction opposite each direction (θ + 180°, to 1e-6 degree)."""
    target = (directions + 180.0) % 360.0
    distance = np.abs((directions[None, :] - target[:, None] + 180.0) % 360.0 - 180.0)
    nearest = distance.argmin(axis=1)
    if np.any(distance[np.arange(len(directions)), nearest] > 1e-6):
        raise AnalysisError(
            "direction selectivity needs every direction's opposite (θ + 180°); got directions "
            f"{', '.join(f'{d:g}' for d in directions)}"
        )
    return nearest


def direction_indices(curve: np.ndarray, directions: np.ndarray) -> dict[str, np.ndarray]:
    """``dsi``, ``vector_dsi`` and ``preferred_direction_deg`` of curves ``(..., direction)``
    (numpy; ``directions`` in degrees)."""
    opposite = _opposites(directions)
    peak = curve.argmax(-1)
    pref = np.take_along_axis(curve, peak[..., None], -1)[..., 0]
    null = np.take_along_axis(curve, opposite[peak][..., None], -1)[..., 0]
    vector = curve @ np.exp(1j * np.deg2rad(directions))
    with np.errstate(invalid="ignore", divide="ignore"):
        classic = (pref - null) / (pref + null)
        length = np.abs(vector) / curve.sum(-1)
    angle = np.rad2deg(np.angle(vector)) % 360.0
    angle = np.where(np.isclose(angle, 360.0), 0.0, angle)  # -1e-14 % 360 is 360.0
    angle = np.where(np.isfinite(length), angle, np.nan)
    return {"dsi": classic, "vector_dsi": length, "preferred_direction_deg": angle}


def _permutation_p(
    values: np.ndarray,
    labels: np.ndarray,
    strata: np.ndarray,
    directions: np.ndarray,
    n: int,
    seed: int,
    indices: Sequence[str],
) -> dict[str, np.ndarray]:
    """p-values ``(columns,)`` of ``indices`` of ``values (columns, trials)`` whose trials have
    direction ``labels`` (indices into ``directions``) within conditions ``strata``.

    Each block draws ``rng.random((block, trials))`` and orders each condition's trials by
    their draws: trial ``members[perm[j]]`` takes the label of ``members[j]`` (``members`` a
    condition's trials in order). For trials laid out condition by condition, this is a
    shuffle by ``argsort`` of ``rng.random((block, conditions, directions))``.
    """
    count = np.bincount(labels, minlength=len(directions)).astype(np.float64)
    if np.any(count == 0):
        raise AnalysisError("a direction has no trials")
    observed = direction_indices(_curves(values, labels[None], count)[0], directions)
    if n == 0:
        return {k: np.full(values.shape[0], np.nan) for k in indices}
    rng = np.random.default_rng(seed)
    natural = np.lexsort((np.arange(len(labels)), strata))  # trials condition by condition
    exceed = {k: np.zeros(values.shape[0]) for k in indices}
    for start in range(0, n, _BLOCK):
        block = min(_BLOCK, n - start)
        draws = rng.random((block, len(labels)))
        order = np.lexsort((draws, np.broadcast_to(strata, draws.shape)), axis=-1)
        shuffled = np.empty_like(order)
        np.put_along_axis(shuffled, order, labels[natural][None], axis=-1)
        null = direction_indices(_curves(values, shuffled, count), directions)
        for k in indices:
            exceed[k] += (null[k] >= observed[k][None] - _TIE).sum(0)
    return {
        k: np.where(np.isfinite(observed[k]), (1.0 + exceed[k]) / (1.0 + n), np.nan)
        for k in indices
    }


def _curves(values: np.ndarray, labels: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Mean response per direction, ``(labellings, columns, direction)``, of ``values
    (columns, trials)`` under each row of ``labels (labellings, trials)``."""
    one_hot = np.zeros((*labels.shape, len(count)))
    np.put_along_axis(one_hot, labels[..., None], 1.0, axis=-1)
    return np.einsum("ptd,ct->pcd", one_hot, values) / count
