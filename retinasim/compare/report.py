"""The comparison report: ``comparison.csv``, ``comparison_types.csv``, ``comparison.nc``,
``comparison.md`` and its figures.

- ``comparison.csv``: one row per (circuit, seed) run (and per reference model), the scalars
  of :func:`retinasim.compare.runs.run_job`'s rows;
- ``comparison_types.csv``: one row per (circuit, seed, ganglion type): the light
  dissection's per-type lesion accuracy, lesion cost, DSI, vector DSI, p-value, preferred
  direction and flags;
- ``comparison.nc``: both as one labelled xarray Dataset, dims ``circuit``, ``seed``,
  ``cell_type``, ``alpha``, ``s_decile`` (:mod:`retinasim.compare.dataset`);
- ``comparison.md``: the ensemble as a population, per circuit: accuracy (α = 2) mean ± sd,
  the DS-emergence rate with its 95% Wilson interval, critical ganglion types (mean ± sd and
  their distribution over seeds), redundancy (mean and range), preferred-direction pairs,
  accuracy over α (mean and min–max) and by slow-speed decile, the figures
  (:mod:`retinasim.compare.figures`) and the per-run list.

Direction selectivity comes from the single-unit bar protocol of
:func:`retinasim.analysis.direction_protocol` (see :mod:`retinasim.compare.dissect`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from retinasim.compare import population
from retinasim.compare.figures import SUMMARY

TYPE_COLUMNS = [
    "lesion_accuracy",
    "lesion_cost",
    "dsi",
    "vector_dsi",
    "dsi_p_value",
    "preferred_direction_deg",
    "critical",
    "critical_ds",
    "sufficient",
    "redundant",
]


def write_report(rows: list[dict[str, Any]], out: str | Path, *, settings: dict) -> pd.DataFrame:
    """Write the report files into ``out``; returns the per-run table (``comparison.csv``)."""
    from retinasim.compare.dataset import comparison_dataset, write_dataset
    from retinasim.compare.figures import write_figures

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows).drop(columns=["traceback", "cell_types"], errors="ignore")
    table.to_csv(out / "comparison.csv", index=False)
    type_table(rows).to_csv(out / "comparison_types.csv", index=False)
    ok = _numeric(table[table["status"] == "completed"] if "status" in table else table)
    dataset = comparison_dataset(rows, alphas=_alphas(table, settings), settings=settings)
    write_dataset(dataset, out / "comparison.nc")
    figures = write_figures(dataset, out)
    (out / "comparison.md").write_text(_markdown(table, ok, dataset, settings, figures))
    return table


def type_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (circuit, seed, ganglion type) of the completed runs' per-type arrays."""
    records = []
    for row in rows:
        arrays = row.get("cell_types")
        if row.get("status") != "completed" or not arrays:
            continue
        for i, name in enumerate(arrays["cell_type"]):
            record = {"circuit": row["circuit"], "seed": row["seed"], "cell_type": name}
            records.append({**record, **{key: arrays[key][i] for key in TYPE_COLUMNS}})
    return pd.DataFrame(records, columns=["circuit", "seed", "cell_type", *TYPE_COLUMNS])


def _alphas(table: pd.DataFrame, settings: dict) -> list[float]:
    if settings.get("alphas"):
        return [float(a) for a in settings["alphas"]]
    prefix = "accuracy_alpha_"
    return sorted(float(c[len(prefix) :]) for c in table.columns if c.startswith(prefix))


def _numeric(ok: pd.DataFrame) -> pd.DataFrame:
    """Measures as floats (booleans 0/1, missing NaN), whatever other rows held."""
    ok = ok.copy()
    for column in ok.columns:
        if column in SUMMARY or column.startswith(("accuracy_", "n_")):
            ok[column] = pd.to_numeric(ok[column].astype(object), errors="coerce").astype(float)
    return ok


def summarise(ok: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and count across seeds of every numeric column, per circuit (in given order)."""
    numeric = ok.drop(columns=["seed"]).select_dtypes(include=["number", "bool"]).astype(float)
    numeric["circuit"] = ok["circuit"]
    order = list(dict.fromkeys(ok["circuit"]))
    grouped = numeric.groupby("circuit", sort=False)
    return pd.concat(
        {"mean": grouped.mean(), "sd": grouped.std(ddof=1), "n": grouped.count()}, axis=1
    ).reindex(order)


def _cell(summary: pd.DataFrame, circuit: str, column: str, digits: int = 3) -> str:
    if column not in summary["mean"]:
        return "—"
    mean = summary["mean"].loc[circuit, column]
    sd = summary["sd"].loc[circuit, column]
    if not np.isfinite(mean):
        return "—"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}" if np.isfinite(sd) else f"{mean:.{digits}f}"


def _markdown(
    table: pd.DataFrame, ok: pd.DataFrame, ds, settings: dict, figures: dict[str, str]
) -> str:
    lines = ["# Comparison of circuits", ""]
    lines += [f"- {key}: `{value}`" for key, value in settings.items()]
    lines += [f"- retinasim: `{ds.attrs.get('retinasim_version', '?')}`"]
    if len(ok):
        lines += _summary_table(ok, ds)
        lines += _critical_table(ds)
        lines += _pairs_table(ds)
        lines += _accuracy_tables(ok, ds)
    titles = {
        "summary": "Summary measures (bars: mean ± sd over seeds; dots: seeds)",
        "critical": "Critical ganglion types per seed",
        "directions": "Preferred direction and DSI of every critical ganglion type",
        "accuracy": "Accuracy over α (mean, min–max band over seeds)",
        "redundancy": "Redundancy per seed",
    }
    if figures:
        lines += ["", "## Figures"]
        for key, name in figures.items():
            lines += ["", f"### {titles[key]}", "", f"![{key}]({name})"]
    lines += _runs_table(table)
    lines += ["", DEFINITIONS, ""]
    return "\n".join(lines)


DEFINITIONS = (
    "**Definitions.** Critical type: its lesion (the type silenced) drops the α = 2 accuracy "
    "below the threshold. DSI, vector DSI, p-value and preferred direction (0° rightward, "
    "180° leftward) come from the single-unit bar protocol "
    "(`retinasim.analysis.direction_protocol`): the centre unit of each ganglion type, its "
    "receptive field from the input gradient, full-length bars crossing it in 8 directions, "
    "swept over speeds and widths, read at the preferred condition; a type silent to bars "
    "has no DSI. DS emergence: the critical types with DSI ≥ 0.3 include one preferring a "
    "rightward and one a leftward direction; opposite DS pair explaining the decision: the "
    "same of the fewest types that explain the decision (a direction carried by several DS "
    "types at once has no critical type for it, but one of them can be in that set); "
    "opposite preferences: the critical types include both sides, whatever the DSI. Rates "
    "carry a 95% Wilson score interval. Redundancy: the fraction of ganglion "
    "types whose lesion costs less than 1 accuracy point (baseline − lesion < 0.01). Types "
    "explaining the decision: the fewest ganglion types that, kept alone, hold accuracy ≥ "
    "the threshold (added in order of their lesion's damage). A run whose own accuracy is "
    "below the threshold has every type critical: read these columns for runs that solve "
    "the task (`dissection_accuracy` in comparison.csv). A reference model (`(reference)`) "
    "is one imported, untrained model: one seed, no spread."
)


def _summary_table(ok: pd.DataFrame, ds) -> list[str]:
    summary = summarise(ok)
    emergence = population.emergence(ds)
    pair = population.emergence(ds, "sufficient_ds_pair")
    redundancy = population.redundancy(ds)
    header = [
        "circuit",
        "seeds",
        "accuracy (α = 2)",
        "DS emergence: seeds, rate [95% Wilson]",
        "opposite DS pair among the types explaining the decision: seeds, rate [95% Wilson]",
        "critical ganglion types",
        "redundancy: mean [min–max]",
        "opposite-preference rate",
        "ganglion types explaining the decision",
    ]
    lines = ["", "## Summary", "", "Completed runs only; mean ± sd across seeds.", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for circuit in summary.index:
        one = emergence.sel(circuit=circuit)
        red = redundancy.sel(circuit=circuit)
        cells = [
            f"`{circuit}`",
            str(int(one["n"])),
            _cell(summary, circuit, "accuracy_alpha_2", 3),
            _rate(one),
            _rate(pair.sel(circuit=circuit)),
            _cell(summary, circuit, "n_critical", 2),
            _range(float(red["mean"]), float(red["min"]), float(red["max"])),
            _cell(summary, circuit, "opposite_preferences", 2),
            _cell(summary, circuit, "sufficient_types", 2),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _rate(one) -> str:
    """``k/n = rate [low, high]`` of one circuit of :func:`population.emergence`."""
    k, n = int(one["k"]), int(one["n"])
    if not n:
        return "—"
    return f"{k}/{n} = {float(one['rate']):.2f} [{float(one['low']):.2f}, {float(one['high']):.2f}]"


def _critical_table(ds) -> list[str]:
    counts = population.critical_counts(ds)
    values = [int(v) for v in counts["n_critical"].values]
    lines = [
        "",
        "## Critical ganglion types per seed",
        "",
        "Seeds with this many critical types.",
        "",
    ]
    lines += ["| circuit | " + " | ".join(map(str, values)) + " |"]
    lines += ["|" + "---|" * (len(values) + 1)]
    for circuit in counts["circuit"].values:
        cells = [str(int(v)) for v in counts.sel(circuit=circuit).values]
        lines.append(f"| `{circuit}` | " + " | ".join(cells) + " |")
    return lines


def _pairs_table(ds) -> list[str]:
    pairs = population.direction_pairs(ds)
    fraction = population.fraction_ds_critical(ds)
    lines = [
        "",
        "## Preferred-direction pairs",
        "",
        "Critical direction-selective types (DSI ≥ 0.3) by preferred side (R: rightward, "
        "L: leftward), over the seeds that solve the task (unlesioned accuracy ≥ the "
        "threshold); the last column pools the critical types of every completed seed.",
        "",
        "| circuit | solved seeds | with an R + L pair | solved seeds by (R, L) "
        "| critical types that are DS |",
        "|---|---|---|---|---|",
    ]
    for circuit in pairs["circuit"].values:
        one = pairs.sel(circuit=circuit)
        paired = int(one.sel(n_right=slice(1, None), n_left=slice(1, None)).sum())
        solved = int(ds["solved"].sel(circuit=circuit).sum())
        spread = ", ".join(
            f"{r}R+{left}L: {int(one.sel(n_right=r, n_left=left))}"
            for r in one["n_right"].values
            for left in one["n_left"].values
            if int(one.sel(n_right=r, n_left=left)) > 0
        )
        share = float(fraction.sel(circuit=circuit))
        lines.append(
            f"| `{circuit}` | {solved} | {paired}/{solved} | {spread or '—'} | "
            f"{'—' if not np.isfinite(share) else f'{share:.2f}'} |"
        )
    return lines


def _accuracy_tables(ok: pd.DataFrame, ds) -> list[str]:
    band = population.accuracy_band(ds)
    alphas = [float(a) for a in ds["alpha"].values]
    lines = ["", "## Accuracy by α", "", "Mean [min–max] over seeds.", ""]
    lines += ["| circuit | " + " | ".join(f"α = {a:g}" for a in alphas) + " |"]
    lines += ["|" + "---|" * (len(alphas) + 1)]
    for circuit in band["circuit"].values:
        one = band.sel(circuit=circuit)
        cells = [
            _range(
                float(one["mean"].sel(alpha=a)),
                float(one["min"].sel(alpha=a)),
                float(one["max"].sel(alpha=a)),
                3,
            )
            for a in alphas
        ]
        lines.append(f"| `{circuit}` | " + " | ".join(cells) + " |")
    summary = summarise(ok)
    columns = [c for c in ok.columns if c.startswith("accuracy_s_decile_")]
    lines += ["", f"## Accuracy by slow-speed decile (α = {max(alphas):g})", ""]
    lines += ["Mean ± sd over seeds; decile 1 has the slowest dots.", ""]
    lines += ["| circuit | " + " | ".join(c.rsplit("_", 1)[1] for c in columns) + " |"]
    lines += ["|" + "---|" * (len(columns) + 1)]
    for circuit in summary.index:
        cells = [_cell(summary, circuit, c, 3) for c in columns]
        lines.append("| " + " | ".join([f"`{circuit}`", *cells]) + " |")
    return lines


def _runs_table(table: pd.DataFrame) -> list[str]:
    lines = [
        "",
        "## Runs",
        "",
        "| circuit | seed | status | critical types: DSI (preferred direction) | DS emergence "
        "| opposite DS pair explaining the decision | opposite preferences | redundancy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.to_dict("records"):
        status = row["status"] if row["status"] != "failed" else f"failed: {row.get('error')}"
        seed = "—" if row.get("reference") is True else row["seed"]
        cells = (
            _text(row.get(key))
            for key in (
                "critical_tuning",
                "ds_emergence",
                "sufficient_ds_pair",
                "opposite_preferences",
            )
        )
        redundancy = row.get("redundancy")
        red = (
            f"{redundancy:.2f}"
            if isinstance(redundancy, float) and np.isfinite(redundancy)
            else "—"
        )
        lines.append(f"| `{row['circuit']}` | {seed} | {status} | {' | '.join(cells)} | {red} |")
    return lines


def _range(mean: float, low: float, high: float, digits: int = 2) -> str:
    if not np.isfinite(mean):
        return "—"
    if low == high:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}–{high:.{digits}f}]"


def _text(value: Any) -> str:
    """A table cell: ``—`` for missing values."""
    return (
        "—"
        if value is None or value == "" or (isinstance(value, float) and np.isnan(value))
        else str(value)
    )
