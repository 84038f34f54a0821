"""Direction tuning from moving bars or gratings: tuning curves, DSI, vector DSI, p-values
(definitions in :mod:`retinasim.analysis.direction`)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from retinasim.analysis.amplitude import Measure, trial_response
from retinasim.analysis.direction import (
    _permutation_p_values,
    dsi,
    preferred_direction_deg,
    vector_dsi,
)
from retinasim.analysis.labels import labelled, require_coord


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
        ``(trial, cell_type, frame[, y, x])`` with a ``direction`` coordinate along ``trial``.
        Any other dimension (``seed`` of stacked models, ``lesion``, the readout's ``class``)
        is kept: every output gains it, and each slice equals a call on that slice alone
        (the shuffles of the permutation test are the same for all).
    direction
        Trial coordinate holding each trial's direction of motion, degrees.
    measure, frames
        How each trial's response is computed (:func:`trial_response`).
    n_permutations, seed
        Shuffles of the direction labels across trials, one seeded set for both p-values (0:
        no test, p-values NaN).

    Returns
    -------
    xarray.Dataset
        ``tuning (..., cell_type, direction)`` (the mean trial response per direction),
        ``count (direction)``, and per cell type ``peak_direction_deg`` (direction of the
        largest response), ``preferred_direction_deg``, ``dsi``, ``vector_dsi``,
        ``dsi_p_value``, ``vector_dsi_p_value``.
    """
    require_coord(response, direction, "direction_tuning")
    per_trial = trial_response(response, measure=measure, frames=frames).compute()
    # checks the direction coordinate, its opposites and n_permutations
    p = _permutation_p_values(per_trial, direction, "trial", None, n_permutations, seed)
    directions, groups = np.unique(
        np.asarray(per_trial[direction].values, dtype=np.float64) % 360.0, return_inverse=True
    )
    count = np.bincount(groups, minlength=len(directions))
    one_hot = np.zeros((len(groups), len(directions)))
    one_hot[np.arange(len(groups)), groups] = 1.0
    curve = xr.apply_ufunc(
        lambda v: (v @ one_hot) / count,
        per_trial.reset_coords(drop=True),
        input_core_dims=[["trial"]],
        output_core_dims=[["direction"]],
    )  # the mean response per direction
    kept: dict = {name: c for name, c in per_trial.coords.items() if "trial" not in c.dims}
    kept["direction"] = (
        "direction",
        directions,
        {"long_name": "direction of motion", "units": "degree"},
    )
    curve = labelled(
        curve.assign_coords(kept),
        f"{measure} response",
        per_trial.attrs["units"],
        description=f"trial-averaged {per_trial.attrs['long_name']}",
    )
    peak = xr.apply_ufunc(
        lambda c: directions[c.argmax(-1)], curve, input_core_dims=[["direction"]]
    )
    data = {
        "tuning": curve,
        "count": labelled(xr.DataArray(count, dims="direction"), "trials", "1"),
        "peak_direction_deg": labelled(peak, "direction of peak response", "degree"),
        "preferred_direction_deg": preferred_direction_deg(curve),
        "dsi": dsi(curve),
        "vector_dsi": vector_dsi(curve),
        **p,
    }
    result = xr.Dataset(data)
    result.attrs = {
        "n_permutations": int(n_permutations),
        "permutation_seed": int(seed),
        "measure": measure,
        "direction_coordinate": direction,
    }
    return result
