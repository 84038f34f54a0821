"""Direction tuning from moving bars or gratings: tuning curves, DSI, vector DSI, p-values.

For each cell type, the tuning curve ``R(θ)`` is the mean trial response (:func:`trial_response`)
over the trials of each direction θ. Then

- ``peak_direction_deg``: θ of the largest ``R``; ``R_pref`` = R there, ``R_null`` = R at the
  opposite direction (θ + 180°, which must be among the directions);
- ``dsi = (R_pref - R_null) / (R_pref + R_null)`` (0: no preference, 1: no null response);
- ``vector_dsi = |Σ R(θ) e^{iθ}| / Σ R(θ)`` and ``preferred_direction_deg = arg Σ R(θ) e^{iθ}``;
- p-values of both indices from a permutation test: the direction labels are shuffled across
  trials ``n_permutations`` times (seeded), p = (1 + #{shuffled ≥ observed}) / (1 + n).

Directions follow the stimulus convention (degrees counter-clockwise, 0 = rightward, 90 = up
the screen). Responses should be non-negative (rectified activity), as the indices assume.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from retinasim.analysis.amplitude import Measure, trial_response
from retinasim.analysis.labels import labelled, require_coord
from retinasim.recording.errors import AnalysisError

_PERMUTATION_BLOCK = 64


def direction_tuning(
    response: xr.DataArray,
    *,
    direction: str = "direction_deg",
    measure: Measure = "mean",
    frames: slice | None = None,
    n_permutations: int = 1000,
    seed: int = 0,
) -> xr.Dataset:
    """Tuning curve, preferred direction, DSI and vector DSI per cell type.

    Parameters
    ----------
    response
        ``(trial, cell_type, time[, y, x])`` with a ``direction`` coordinate along ``trial``.
        Any other dimension (``seed`` of stacked models, ``lesion``, the readout's ``class``)
        is kept: every output gains it, and each slice equals a call on that slice alone
        (the shuffles of the permutation test are the same for all).
    direction
        Trial coordinate holding each trial's direction of motion, degrees.
    measure, frames
        How each trial's response is computed (:func:`trial_response`).
    n_permutations
        Shuffles of the direction labels for the p-values (0: no test, p-values NaN).
    seed
        Seed of the shuffles.

    Returns
    -------
    xarray.Dataset
        ``tuning (..., cell_type, direction)``, ``count (direction)``, and per cell type
        ``peak_direction_deg``, ``preferred_direction_deg``, ``dsi``, ``vector_dsi``,
        ``dsi_p_value``, ``vector_dsi_p_value``.
    """
    require_coord(response, direction, "direction_tuning")
    per_trial = trial_response(response, measure=measure, frames=frames).compute()
    angles = np.asarray(per_trial.coords[direction].values, dtype=np.float64)
    if angles.ndim != 1 or per_trial.coords[direction].dims != ("trial",):
        raise AnalysisError(f"direction_tuning: {direction!r} must be a coordinate along trial")
    directions, groups = np.unique(angles % 360.0, return_inverse=True)
    opposite = _opposites(directions)
    if n_permutations < 0:
        raise AnalysisError(f"n_permutations must be >= 0, got {n_permutations}")
    keys = ("tuning", "count", "peak", "angle", "dsi", "vector", "dsi_p", "vector_p")

    def core(values: np.ndarray) -> tuple[np.ndarray, ...]:
        """``values (..., trial)`` → every output, ``(..., direction)`` or ``(...)``."""
        leading = values.shape[:-1]
        columns = values.reshape(-1, values.shape[-1]).T.astype(np.float64)
        curve, count = _curves(columns, groups[None, :], len(directions))
        observed = _indices(curve[0], directions, opposite)
        p = _permutation_p(columns, groups, directions, opposite, observed, n_permutations, seed)
        results = {
            "tuning": curve[0].T.reshape(*leading, len(directions)),
            "count": np.broadcast_to(count, (*leading, len(directions))),
            "peak": observed["peak"],
            "angle": observed["angle"],
            "dsi": observed["dsi"],
            "vector": observed["vector"],
            "dsi_p": p["dsi"],
            "vector_p": p["vector"],
        }
        return tuple(
            results[k] if k in ("tuning", "count") else results[k].reshape(leading) for k in keys
        )

    bare = per_trial.reset_coords(direction, drop=True)
    outputs = xr.apply_ufunc(
        core,
        bare,
        input_core_dims=[["trial"]],
        output_core_dims=[["direction"], ["direction"], *([[]] * 6)],
        dask_gufunc_kwargs={"output_sizes": {"direction": len(directions)}},
    )
    out = dict(zip(keys, outputs, strict=True))
    kept = {name: c for name, c in per_trial.coords.items() if "trial" not in c.dims}
    units = per_trial.attrs["units"]
    described = [
        ("tuning", f"{measure} response", units),
        ("peak_direction_deg", "direction of peak response", "degree"),
        ("preferred_direction_deg", "preferred direction (vector sum)", "degree"),
        ("dsi", "direction selectivity index (pref - null) / (pref + null)", "1"),
        ("vector_dsi", "vector-sum direction selectivity index", "1"),
        ("dsi_p_value", "p-value of dsi (shuffled directions)", "1"),
        ("vector_dsi_p_value", "p-value of vector_dsi (shuffled directions)", "1"),
    ]
    sources = dict(zip([d[0] for d in described], ["tuning", *keys[2:]], strict=True))
    data = {
        name: labelled(out[sources[name]].reset_coords(drop=True), long_name, unit)
        for name, long_name, unit in described
    }
    data["tuning"].attrs["description"] = f"trial-averaged {per_trial.attrs['long_name']}"
    count = out["count"].reset_coords(drop=True)
    count = count.isel({d: 0 for d in count.dims if d != "direction"})  # the same everywhere
    data["count"] = labelled(count.drop_vars(list(count.coords)), "trials", "1")
    order = ["tuning", "count", *[d[0] for d in described[1:]]]
    coords = {
        "direction": (
            "direction",
            directions,
            {"long_name": "direction of motion", "units": "degree"},
        ),
        **kept,
    }
    result = xr.Dataset({name: data[name] for name in order}, coords=coords)
    result.attrs = {
        "n_permutations": int(n_permutations),
        "permutation_seed": int(seed),
        "measure": measure,
        "direction_coordinate": direction,
    }
    return result


def _opposites(directions: np.ndarray) -> np.ndarray:
    """Index of the direction opposite each direction (θ + 180°, to 1e-6 degree)."""
    target = (directions + 180.0) % 360.0
    distance = np.abs((directions[None, :] - target[:, None] + 180.0) % 360.0 - 180.0)
    nearest = distance.argmin(axis=1)
    if np.any(distance[np.arange(len(directions)), nearest] > 1e-6):
        raise AnalysisError(
            "direction tuning needs every direction's opposite (θ + 180°); got directions "
            f"{', '.join(f'{d:g}' for d in directions)}"
        )
    return nearest


def _curves(values: np.ndarray, groups: np.ndarray, n_directions: int):
    """Mean response per direction for each labelling: ``(labellings, directions, cells)``."""
    one_hot = np.zeros((groups.shape[0], groups.shape[1], n_directions))
    np.put_along_axis(one_hot, groups[..., None], 1.0, axis=2)
    count = one_hot[0].sum(axis=0)
    if np.any(count == 0):
        raise AnalysisError("a direction has no trials")
    sums = np.einsum("ptd,tc->pdc", one_hot, values)
    return sums / count[None, :, None], count


def _indices(curve: np.ndarray, directions: np.ndarray, opposite: np.ndarray) -> dict:
    """DSI and vector DSI of tuning curves ``(..., directions, cells)``."""
    radians = np.deg2rad(directions)
    peak = curve.argmax(axis=-2)
    pref = np.take_along_axis(curve, peak[..., None, :], axis=-2)[..., 0, :]
    null = np.take_along_axis(curve, opposite[peak][..., None, :], axis=-2)[..., 0, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        dsi = (pref - null) / (pref + null)
        vector_sum = np.einsum("...dc,d->...c", curve.astype(complex), np.exp(1j * radians))
        vector = np.abs(vector_sum) / curve.sum(axis=-2)
    angle = np.rad2deg(np.angle(vector_sum)) % 360.0
    angle = np.where(np.isclose(angle, 360.0), 0.0, angle)  # -1e-14 % 360 is 360.0
    return {"dsi": dsi, "vector": vector, "peak": directions[peak], "angle": angle}


def _permutation_p(values, groups, directions, opposite, observed, n: int, seed: int) -> dict:
    """Permutation p-values of ``dsi`` and ``vector_dsi`` (NaN when ``n == 0``)."""
    exceed = {"dsi": np.zeros(values.shape[1]), "vector": np.zeros(values.shape[1])}
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        block = min(_PERMUTATION_BLOCK, n - done)
        shuffled = rng.permuted(np.broadcast_to(groups, (block, len(groups))), axis=1)
        curves, _ = _curves(values, shuffled, len(directions))
        null = _indices(curves, directions, opposite)
        for key in exceed:
            exceed[key] += (null[key] >= observed[key] - 1e-12).sum(axis=0)
        done += block
    if n == 0:
        return {key: np.full(values.shape[1], np.nan) for key in exceed}
    return {key: (1.0 + count) / (1.0 + n) for key, count in exceed.items()}
