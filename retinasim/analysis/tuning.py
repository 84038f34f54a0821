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
from retinasim.record.errors import AnalysisError

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
        ``tuning (cell_type, direction)``, ``count (direction)``, and per cell type
        ``peak_direction_deg``, ``preferred_direction_deg``, ``dsi``, ``vector_dsi``,
        ``dsi_p_value``, ``vector_dsi_p_value``.
    """
    require_coord(response, direction, "direction_tuning")
    per_trial = trial_response(response, measure=measure, frames=frames).transpose("trial", ...)
    unit_dims = [dim for dim in per_trial.dims if dim != "trial"]
    if len(unit_dims) > 1:
        raise AnalysisError(
            f"direction tuning needs one response per trial and unit; reduce "
            f"{', '.join(map(str, unit_dims[1:]))} first"
        )
    unit = unit_dims[0] if unit_dims else None  # cell_type, or class for the readout
    values = np.asarray(per_trial.values, dtype=np.float64).reshape(per_trial.sizes["trial"], -1)
    angles = np.asarray(per_trial.coords[direction].values, dtype=np.float64) % 360.0
    directions, groups = np.unique(angles, return_inverse=True)
    opposite = _opposites(directions)
    curve, count = _curves(values, groups[None, :], len(directions))
    observed = _indices(curve[0], directions, opposite)
    p_values = _permutation_p(values, groups, directions, opposite, observed, n_permutations, seed)
    cells = {unit: per_trial.coords[unit]} if unit else {}
    units = per_trial.attrs["units"]
    coords = {
        "direction": (
            "direction",
            directions,
            {"long_name": "direction of motion", "units": "degree"},
        ),
        **cells,
    }
    per_type = (unit,) if unit else ()
    if not unit:  # one unit: drop the unit axis
        observed = {key: value[0] for key, value in observed.items()}
        p_values = {key: value[0] for key, value in p_values.items()}
    data = {
        "tuning": labelled(
            xr.DataArray(curve[0].T if unit else curve[0, :, 0], dims=(*per_type, "direction")),
            f"{measure} response",
            units,
            description=f"trial-averaged {per_trial.attrs['long_name']}",
        ),
        "count": labelled(xr.DataArray(count, dims=("direction",)), "trials", "1"),
        "peak_direction_deg": labelled(
            xr.DataArray(observed["peak"], dims=per_type), "direction of peak response", "degree"
        ),
        "preferred_direction_deg": labelled(
            xr.DataArray(observed["angle"], dims=per_type),
            "preferred direction (vector sum)",
            "degree",
        ),
        "dsi": labelled(
            xr.DataArray(observed["dsi"], dims=per_type),
            "direction selectivity index (pref - null) / (pref + null)",
            "1",
        ),
        "vector_dsi": labelled(
            xr.DataArray(observed["vector"], dims=per_type),
            "vector-sum direction selectivity index",
            "1",
        ),
        "dsi_p_value": labelled(
            xr.DataArray(p_values["dsi"], dims=per_type),
            "p-value of dsi (shuffled directions)",
            "1",
        ),
        "vector_dsi_p_value": labelled(
            xr.DataArray(p_values["vector"], dims=per_type),
            "p-value of vector_dsi (shuffled directions)",
            "1",
        ),
    }
    result = xr.Dataset(data, coords=coords)
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
    if n < 0:
        raise AnalysisError(f"n_permutations must be >= 0, got {n}")
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
