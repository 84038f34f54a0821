"""A comparison as one labelled xarray Dataset: ``comparison.nc`` (``docs/compare.md``).

Dimensions ``circuit``, ``seed``, ``cell_type`` (the union over circuits), ``alpha`` and
``s_decile``; per-run scalars carry ``comparison.csv``'s column names, per-type arrays are
``(circuit, seed, cell_type)``. Holes (a failed seed, the seeds a reference lacks, a type a
circuit lacks) are NaN or ``False``; ``completed``, ``type_present`` and ``solved`` tell them
apart from a measured ``False``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from retinasim.compare.dissect import DSI_THRESHOLD
from retinasim.compare.rows import REDUNDANT_COST
from retinasim.compare.runs import dissection_code

RUN_SCALARS = {  # CSV column: long_name (units: UNITS, else "1")
    "steps": "training steps",
    "training_time_s": "training wall time",
    "validation_accuracy": "validation accuracy at the end of training",
    "dissection_accuracy": "baseline: unlesioned accuracy on the dissection's stimuli",
    "n_types": "ganglion types of the circuit",
    "n_critical": "critical ganglion types (lesioned accuracy < threshold x baseline)",
    "n_critical_ds": "critical direction-selective ganglion types",
    "n_critical_ds_right": "critical DS ganglion types preferring a rightward direction",
    "n_critical_ds_left": "critical DS ganglion types preferring a leftward direction",
    "sufficient_types": "fewest ganglion types that, kept alone, hold threshold x baseline",
    "n_redundant": "ganglion types whose lesion costs < 1 accuracy point",
    "redundancy": "fraction of ganglion types whose lesion costs < 1 accuracy point",
}
RUN_FLAGS = {
    "ds_emergence": "critical DS types include a rightward- and a leftward-preferring one",
    "sufficient_ds_pair": (
        "the fewest types explaining the decision include a right- and a left-preferring DS type"
    ),
    "opposite_preferences": "critical types include a rightward- and a leftward-preferring one",
}
TYPE_VALUES = {  # per_type key: long_name
    "lesion_accuracy": "accuracy at the dissection's alpha with this type silenced",
    "lesion_cost": "accuracy lost by silencing this type (baseline - lesion)",
    "dsi": "direction selectivity index (pref - null) / (pref + null)",
    "vector_dsi": "vector-sum direction selectivity index",
    "vector_dsi_p_value": "permutation p-value of the vector DSI (shuffled directions)",
    "preferred_direction_deg": "preferred direction (vector sum; 0 rightward, 180 left)",
}
TYPE_FLAGS = {
    "critical": "its lesion leaves accuracy below threshold x baseline",
    "critical_ds": "critical and direction selective (DSI >= dsi_threshold)",
    "sufficient": "in the fewest set of types that, kept alone, holds threshold x baseline",
    "redundant": "its lesion costs less than redundant_cost of accuracy",
}
UNITS = {"training_time_s": "s", "preferred_direction_deg": "degree"}


def comparison_dataset(
    rows: Sequence[dict[str, Any]], *, alphas: Sequence[float], settings: dict[str, Any]
) -> xr.Dataset:
    """The Dataset of a comparison's rows (:func:`retinasim.compare.runs.run_job`'s, with
    their ``cell_types`` arrays); see the module docstring."""
    circuits = list(dict.fromkeys(str(row["circuit"]) for row in rows))
    seeds = sorted({int(row["seed"]) for row in rows})
    done = [row for row in rows if row.get("status") == "completed" and "cell_types" in row]
    types = list(dict.fromkeys(n for row in done for n in row["cell_types"]["cell_type"]))
    deciles = sorted(
        {int(k.rsplit("_", 1)[1]) for row in done for k in row if k.startswith("accuracy_s_dec")}
    )
    alphas = [float(a) for a in alphas]
    shape = (len(circuits), len(seeds))
    floats = {name: np.full(shape, np.nan) for name in RUN_SCALARS}
    flags = {name: np.zeros(shape, bool) for name in RUN_FLAGS}
    status = np.full(shape, "", dtype=object)
    accuracy = np.full((*shape, len(alphas)), np.nan)
    by_decile = np.full((*shape, len(deciles)), np.nan)
    per_type = {name: np.full((*shape, len(types)), np.nan) for name in TYPE_VALUES}
    per_type |= {name: np.zeros((*shape, len(types)), bool) for name in TYPE_FLAGS}
    present = np.zeros((*shape, len(types)), bool)
    reference = np.zeros(len(circuits), bool)
    measured = {id(row) for row in done}
    for row in rows:
        c, s = circuits.index(str(row["circuit"])), seeds.index(int(row["seed"]))
        status[c, s] = str(row.get("status", ""))
        reference[c] |= bool(row.get("reference", False))
        if id(row) not in measured:
            continue
        for name in RUN_SCALARS:
            floats[name][c, s] = _float(row.get(name))
        for name in RUN_FLAGS:
            flags[name][c, s] = bool(row.get(name))
        accuracy[c, s] = [_float(row.get(f"accuracy_alpha_{a:g}")) for a in alphas]
        by_decile[c, s] = [_float(row.get(f"accuracy_s_decile_{d}")) for d in deciles]
        arrays = row["cell_types"]
        index = [types.index(name) for name in arrays["cell_type"]]
        present[c, s, index] = True
        for name in TYPE_VALUES:
            per_type[name][c, s, index] = [_float(v) for v in arrays[name]]
        for name in TYPE_FLAGS:
            per_type[name][c, s, index] = [bool(v) for v in arrays[name]]
    run, typed = ("circuit", "seed"), ("circuit", "seed", "cell_type")
    threshold = float(settings.get("threshold", 0.95))
    at_max = f"at alpha = {max(alphas):g}"
    data = {
        "completed": _variable(run, status == "completed", "run completed"),
        "status": _variable(run, status.astype(str), "run status", ""),
        "accuracy": _variable((*run, "alpha"), accuracy, "held-out test accuracy"),
        "accuracy_by_s_decile": _variable(
            (*run, "s_decile"), by_decile, f"held-out test accuracy by slow-speed decile {at_max}"
        ),
        "type_present": _variable(typed, present, "type measured (circuit has it, run completed)"),
        **{
            name: _variable(run, floats[name], text, UNITS.get(name, "1"))
            for name, text in RUN_SCALARS.items()
        },
        "solved": _variable(
            run,
            (status == "completed") & (floats["dissection_accuracy"] >= threshold),
            f"run solves the task: baseline accuracy >= threshold {threshold:g}",
        ),
        **{name: _variable(run, flags[name], text) for name, text in RUN_FLAGS.items()},
        **{
            name: _variable(typed, per_type[name], text, UNITS.get(name, "1"))
            for name, text in {**TYPE_VALUES, **TYPE_FLAGS}.items()
        },
    }
    coords = {
        "circuit": _variable("circuit", circuits, "circuit (label)", ""),
        "seed": _variable("seed", seeds, "training seed"),
        "alpha": _variable("alpha", alphas, "speed ratio fast / slow"),
        "s_decile": _variable("s_decile", deciles, "slow-speed decile (1 slowest)"),
        "cell_type": _variable("cell_type", types, "ganglion cell type", ""),
        "reference": _variable("circuit", reference, "reference model (imported, untrained)"),
    }
    return xr.Dataset(data, coords=coords, attrs=_attrs(settings))


def _variable(dims: Any, values: Any, long_name: str, units: str = "1") -> tuple:
    """``(dims, values, attrs)`` of a Dataset variable labelled ``long_name`` [``units``]."""
    return dims, values, {"long_name": long_name, "units": units}


def _attrs(settings: dict[str, Any]) -> dict[str, Any]:
    """Provenance: versions, time, the comparison's settings (JSON and one attr each)."""
    from retinasim.provenance import versions

    attrs: dict[str, Any] = {
        "title": "retinasim compare: circuits x seeds, evaluated and lightly dissected",
        **{f"{name}_version": value for name, value in versions().items()},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "dissection_code": dissection_code(),
        "redundant_cost": REDUNDANT_COST,
        "dsi_threshold": DSI_THRESHOLD,
        "threshold": float(settings.get("threshold", 0.95)),
        "settings": json.dumps(settings, default=str),
    }
    attrs.update({f"setting_{key}": _attr(value) for key, value in settings.items()})
    return attrs


def _attr(value: Any) -> Any:
    """A netCDF attribute: numbers and strings as they are, anything else as text."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return json.dumps(value, default=str)
    return value


def _float(value: Any) -> float:
    try:
        return float("nan") if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return float("nan")
