"""A comparison as one labelled xarray Dataset: ``comparison.nc``.

Dimensions ``circuit``, ``seed``, ``cell_type`` (the readout layer's ganglion types, the union
over circuits), ``alpha`` and ``s_decile``; every variable has ``long_name`` and ``units``.
The per-run scalars carry the names of ``comparison.csv``'s columns (``n_critical``,
``ds_emergence``, ...); the accuracy columns become ``accuracy (alpha)`` and
``accuracy_by_s_decile (s_decile)``; the per-type arrays of every run's light dissection
(``lesion_accuracy``, ``dsi`` ...) are ``(circuit, seed, cell_type)``, one row each of
``comparison_types.csv``.

Holes are explicit: a seed that failed, a seed a reference model does not have (a reference
is one untrained model, stored at the first seed), a cell type a circuit does not have, are
NaN in float variables and ``False`` in boolean ones; ``completed (circuit, seed)`` and
``type_present (circuit, seed, cell_type)`` tell them apart from a measured ``False``, so a
rate is ``flag.where(completed).mean("seed")``
(:mod:`retinasim.compare.population`). ``solved (circuit, seed)``: the run completed and its
unlesioned accuracy on the dissection's stimuli reaches the threshold (otherwise it has no
sufficient set and the dissection's flags are false; its critical types are still those of
the one rule, :func:`retinasim.dissect.lesions.critical_mask`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from retinasim.compare.dissect import DSI_THRESHOLD
from retinasim.compare.rows import REDUNDANT_COST
from retinasim.compare.runs import dissection_code
from retinasim.util.files import atomic_path

RUN_SCALARS = {  # CSV column: (long_name, units)
    "steps": ("training steps", "1"),
    "training_time_s": ("training wall time", "s"),
    "validation_accuracy": ("validation accuracy at the end of training", "1"),
    "dissection_accuracy": ("baseline: unlesioned accuracy on the dissection's stimuli", "1"),
    "n_types": ("ganglion types of the circuit", "1"),
    "n_critical": ("critical ganglion types (lesioned accuracy < threshold x baseline)", "1"),
    "n_critical_ds": ("critical direction-selective ganglion types", "1"),
    "n_critical_ds_right": ("critical DS ganglion types preferring a rightward direction", "1"),
    "n_critical_ds_left": ("critical DS ganglion types preferring a leftward direction", "1"),
    "sufficient_types": ("fewest ganglion types that, kept alone, hold threshold x baseline", "1"),
    "n_redundant": ("ganglion types whose lesion costs < 1 accuracy point", "1"),
    "redundancy": ("fraction of ganglion types whose lesion costs < 1 accuracy point", "1"),
}
RUN_FLAGS = {
    "ds_emergence": "critical DS types include a rightward- and a leftward-preferring one",
    "sufficient_ds_pair": (
        "the fewest types explaining the decision include a right- and a left-preferring DS type"
    ),
    "opposite_preferences": "critical types include a rightward- and a leftward-preferring one",
}
TYPE_VALUES = {  # per_type key: (long_name, units)
    "lesion_accuracy": ("accuracy at the dissection's alpha with this type silenced", "1"),
    "lesion_cost": ("accuracy lost by silencing this type (baseline - lesion)", "1"),
    "dsi": ("direction selectivity index (pref - null) / (pref + null)", "1"),
    "vector_dsi": ("vector-sum direction selectivity index", "1"),
    "vector_dsi_p_value": ("permutation p-value of the vector DSI (shuffled directions)", "1"),
    "preferred_direction_deg": (
        "preferred direction (vector sum; 0 rightward, 180 left)",
        "degree",
    ),
}
TYPE_FLAGS = {
    "critical": "its lesion leaves accuracy below threshold x baseline",
    "critical_ds": "critical and direction selective (DSI >= dsi_threshold)",
    "sufficient": "in the fewest set of types that, kept alone, holds threshold x baseline",
    "redundant": "its lesion costs less than redundant_cost of accuracy",
}


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
    type_flags = {name: np.zeros((*shape, len(types)), bool) for name in TYPE_FLAGS}
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
            type_flags[name][c, s, index] = [bool(v) for v in arrays[name]]
    run, typed = ("circuit", "seed"), ("circuit", "seed", "cell_type")
    data: dict[str, xr.DataArray] = {
        "completed": _label(xr.DataArray(status == "completed", dims=run), "run completed", "1"),
        "status": _label(xr.DataArray(status.astype(str), dims=run), "run status", ""),
        "accuracy": _label(
            xr.DataArray(accuracy, dims=(*run, "alpha")), "held-out test accuracy", "1"
        ),
        "accuracy_by_s_decile": _label(
            xr.DataArray(by_decile, dims=(*run, "s_decile")),
            f"held-out test accuracy by slow-speed decile at alpha = {max(alphas):g}",
            "1",
        ),
        "type_present": _label(
            xr.DataArray(present, dims=typed), "type measured (circuit has it, run completed)", "1"
        ),
    }
    for name, (long_name, units) in RUN_SCALARS.items():
        data[name] = _label(xr.DataArray(floats[name], dims=run), long_name, units)
    threshold = float(settings.get("threshold", 0.95))
    data["solved"] = _label(
        data["completed"] & (data["dissection_accuracy"] >= threshold),
        f"run solves the task: baseline accuracy >= threshold {threshold:g}",
        "1",
    )
    for name, long_name in RUN_FLAGS.items():
        data[name] = _label(xr.DataArray(flags[name], dims=run), long_name, "1")
    for name, (long_name, units) in TYPE_VALUES.items():
        data[name] = _label(xr.DataArray(per_type[name], dims=typed), long_name, units)
    for name, long_name in TYPE_FLAGS.items():
        data[name] = _label(xr.DataArray(type_flags[name], dims=typed), long_name, "1")
    coords = {
        "circuit": _label(xr.DataArray(circuits, dims="circuit"), "circuit (label)", ""),
        "seed": _label(xr.DataArray(seeds, dims="seed"), "training seed", "1"),
        "cell_type": _label(xr.DataArray(types, dims="cell_type"), "ganglion cell type", ""),
        "alpha": _label(xr.DataArray(alphas, dims="alpha"), "speed ratio fast / slow", "1"),
        "s_decile": _label(
            xr.DataArray(deciles, dims="s_decile"), "slow-speed decile (1 slowest)", "1"
        ),
        "reference": _label(
            xr.DataArray(reference, dims="circuit"), "reference model (imported, untrained)", "1"
        ),
    }
    return xr.Dataset(data, coords=coords, attrs=_attrs(settings))


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
        return json.dumps(value, default=str) if not isinstance(value, str) else value
    return value


def _label(array: xr.DataArray, long_name: str, units: str) -> xr.DataArray:
    array.attrs = {"long_name": long_name, "units": units}
    return array


def _float(value: Any) -> float:
    try:
        return float("nan") if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return float("nan")


def write_dataset(dataset: xr.Dataset, path: str | Path) -> None:
    """Write ``dataset`` to ``path`` (netCDF4 through h5netcdf), atomically."""
    with atomic_path(path) as temporary:
        dataset.to_netcdf(temporary, engine="h5netcdf")
