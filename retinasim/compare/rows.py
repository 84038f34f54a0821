"""The summary row of one run of a comparison, from its metrics, evaluation and dissection.

A row holds the scalars of ``comparison.csv`` and, under ``cell_types``, the run's
per-ganglion-type arrays (:func:`per_type`), read from a saved light dissection
(``dissection.json``, version 4 and later).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from retinasim.compare.dissect import _opposite, _side

if TYPE_CHECKING:
    import xarray as xr

    from retinasim.compare.runs import RunJob  # (which imports this module)

REDUNDANT_COST = 0.01
"""A ganglion type is *redundant* when its lesion costs less than this accuracy (1 point)."""


def summary_row(
    job: RunJob, metrics: dict, evaluation: xr.Dataset, dissection: dict
) -> dict[str, Any]:
    """The run's summary row: scalars (the CSV's columns) and, under ``cell_types``, its
    per-ganglion-type arrays (:func:`per_type`)."""
    row: dict[str, Any] = {
        "circuit": job.label,
        "seed": job.seed,
        "status": str(metrics.get("status", "unknown")),
        "reference": job.reference is not None,
        "steps": metrics.get("steps"),
        "training_time_s": metrics.get("train_time_s"),
        "validation_accuracy": metrics.get("validation_accuracy"),
    }
    for alpha in job.settings.alphas:
        row[f"accuracy_alpha_{alpha:g}"] = float(evaluation["accuracy"].sel(alpha=alpha))
    by_bin = evaluation["accuracy_by_s_bin"].sel(alpha=max(job.settings.alphas)).values
    row.update({f"accuracy_s_decile_{i}": float(v) for i, v in enumerate(by_bin, start=1)})
    names = dissection["type_names"]
    dsi, preferred = dissection["dsi"], dissection["preferred_direction_deg"]
    types = per_type(dissection)
    sides = [_side(preferred[i]) for i in dissection["critical_ds"]]
    row.update(
        n_critical=len(dissection["critical"]),
        critical_types=" ".join(names[i] for i in dissection["critical"]),
        critical_tuning=", ".join(
            f"{names[i]} DSI {dsi[i]:.2f} ({preferred[i]:.0f}°)"
            if np.isfinite(dsi[i])
            else f"{names[i]} silent to bars"
            for i in dissection["critical"]
        ),
        sufficient_types=dissection["sufficient_types"],
        n_types=len(names),
        n_critical_ds=len(dissection["critical_ds"]),
        n_critical_ds_right=sides.count(1),
        n_critical_ds_left=sides.count(-1),
        ds_emergence=bool(dissection["ds_emergence"]),
        sufficient_ds_pair=sufficient_ds_pair(dissection),
        opposite_preferences=bool(dissection["opposite_preferences"]),
        dissection_accuracy=dissection["baseline_accuracy"],
        n_redundant=int(sum(types["redundant"])),
        redundancy=float(np.mean(types["redundant"])) if names else float("nan"),
        cell_types=types,
    )
    return row


def sufficient_ds_pair(dissection: dict) -> bool:
    """Whether the fewest ganglion types that explain the decision (``sufficient_set``)
    include a rightward- and a leftward-preferring DS type (False below the threshold): unlike
    ``ds_emergence``, it sees a direction carried by several DS types, none critical alone."""
    if float(dissection["baseline_accuracy"]) < float(dissection["threshold"]):
        return False
    dsi, threshold = dissection["dsi"], float(dissection["dsi_threshold"])
    selective = [
        i
        for i in dissection.get("sufficient_set") or []
        if dsi[i] is not None and np.isfinite(dsi[i]) and dsi[i] >= threshold
    ]
    return _opposite(dissection["preferred_direction_deg"], selective)


def per_type(dissection: dict) -> dict[str, list]:
    """Per-ganglion-type arrays of a saved light dissection: ``cell_type`` (names), the
    floats of :data:`retinasim.compare.dataset.TYPE_VALUES` (NaN for a type silent to bars)
    and the flags of :data:`~retinasim.compare.dataset.TYPE_FLAGS`."""
    names = list(dissection["type_names"])
    baseline = float(dissection["baseline_accuracy"])
    lesion = [float(v) for v in dissection["lesion_accuracy"]]
    sufficient = set(dissection.get("sufficient_set") or [])
    critical, critical_ds = set(dissection["critical"]), set(dissection["critical_ds"])

    def floats(key: str) -> list[float]:
        return [float("nan") if v is None else float(v) for v in dissection[key]]

    return {
        "cell_type": names,
        "lesion_accuracy": lesion,
        "lesion_cost": [baseline - v for v in lesion],
        "dsi": floats("dsi"),
        "vector_dsi": floats("vector_dsi"),
        "vector_dsi_p_value": floats("vector_dsi_p_value"),
        "preferred_direction_deg": floats("preferred_direction_deg"),
        "critical": [i in critical for i in range(len(names))],
        "critical_ds": [i in critical_ds for i in range(len(names))],
        "sufficient": [i in sufficient for i in range(len(names))],
        "redundant": [baseline - v < REDUNDANT_COST for v in lesion],
    }
