"""Present an evaluation Dataset: a rich table for people, a dict for machines (the command
line prints them)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from retinasim.run_folder import EVALUATION

if TYPE_CHECKING:
    from rich.table import Table


def _number(value: Any) -> float | None:
    value = float(value)
    return None if np.isnan(value) else round(value, 6)


def _cell(value: Any) -> str:
    value = float(value)
    return "-" if np.isnan(value) else f"{value:.3f}"


def evaluation_json(dataset: xr.Dataset, run_dir: str | Path) -> dict[str, Any]:
    """Machine-readable summary of :func:`~retinasim.training.evaluate.evaluate_run`'s result."""
    summary = {
        "run": str(run_dir),
        "n": int(dataset.sizes["trial"]),
        "test_seed": int(dataset.attrs["test_seed"]),
        "netcdf": str(Path(run_dir) / EVALUATION),
        "provenance": dict(dataset.attrs),
    }
    if "alpha" not in dataset.dims:  # a task tested as trained
        by_class = {
            str(c): _number(dataset.accuracy_by_class.sel({"class": c}))
            for c in dataset["class"].values
        }
        return {**summary, "accuracy": _number(dataset.accuracy), "by_class": by_class}
    results = []
    for a in dataset.alpha.values:
        at = dataset.sel(alpha=a)
        results.append(
            {
                "alpha": float(a),
                "accuracy": _number(at.accuracy),
                "by_fast_direction": {
                    str(d): _number(at.accuracy_by_fast_direction.sel(fast_direction=d))
                    for d in dataset.fast_direction.values
                },
                "by_s_bin": [
                    {
                        "s_low": round(float(dataset.s_low[b]), 6),
                        "s_high": round(float(dataset.s_high[b]), 6),
                        "trials": int(dataset.trials_by_s_bin[b]),
                        "accuracy": _number(at.accuracy_by_s_bin[b]),
                    }
                    for b in range(dataset.sizes["s_bin"])
                ],
            }
        )
    return {**summary, "results": results}


def evaluation_table(dataset: xr.Dataset, run_dir: str | Path) -> Table:
    """One row per alpha: accuracy overall, by fast direction and by s decile (a task tested
    as trained: one row, overall and by class)."""
    from rich.table import Table

    table = Table(
        title=f"{run_dir}: accuracy on {dataset.sizes['trial']} held-out stimuli "
        f"(test seed {dataset.attrs['test_seed']})"
    )
    if "alpha" not in dataset.dims:
        table.add_column("all", style="bold")
        for c in dataset["class"].values:
            table.add_column(str(c))
        values = [dataset.accuracy, *dataset.accuracy_by_class.values]
        table.add_row(*(_cell(v) for v in values))
        return table
    table.add_column("alpha")
    table.add_column("all", style="bold")
    for d in dataset.fast_direction.values:
        table.add_column(f"F={d}")
    for b in range(dataset.sizes["s_bin"]):
        table.add_column(f"s {float(dataset.s_low[b]):.2f}-{float(dataset.s_high[b]):.2f}")

    for a in dataset.alpha.values:
        at = dataset.sel(alpha=a)
        table.add_row(
            f"{float(a):g}",
            _cell(at.accuracy),
            *(_cell(v) for v in at.accuracy_by_fast_direction.values),
            *(_cell(v) for v in at.accuracy_by_s_bin.values),
        )
    return table
