"""The comparison report: ``comparison.csv``, ``comparison.nc``, ``comparison.md`` and a figure.

One row per (circuit, seed) in the CSV and the netCDF (dims ``circuit``, ``seed``); the
Markdown report has one row per circuit with mean ± sd across seeds of the accuracy at α = 2,
the number of critical ganglion types, the DS-emergence rate (fraction of seeds whose critical
types are direction selective with opposite preferences) and the fewest ganglion types that
explain the decision, plus accuracies at every α and by slow-speed decile, and the figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SUMMARY = {
    "accuracy_alpha_2": "accuracy (α = 2)",
    "n_critical": "critical ganglion types",
    "ds_emergence": "DS emergence rate",
    "opposite_preferences": "opposite-preference rate",
    "sufficient_types": "ganglion types explaining the decision",
}


def write_report(rows: list[dict[str, Any]], out: str | Path, *, settings: dict) -> pd.DataFrame:
    """Write the report files into ``out``; returns the per-run table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows).drop(columns=["traceback"], errors="ignore")
    table.to_csv(out / "comparison.csv", index=False)
    ok = _numeric(table[table["status"] == "completed"] if "status" in table else table)
    _write_netcdf(ok, out / "comparison.nc", settings)
    figure = _figure(ok, out / "comparison.png")
    (out / "comparison.md").write_text(_markdown(table, ok, settings, figure))
    return table


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


def _markdown(table: pd.DataFrame, ok: pd.DataFrame, settings: dict, figure: str | None) -> str:
    lines = ["# Comparison of circuits", ""]
    lines += [f"- {key}: `{value}`" for key, value in settings.items()]
    lines += ["", "Mean ± sd across seeds (completed runs only).", ""]
    if len(ok):
        summary = summarise(ok)
        header = ["circuit", "seeds", *SUMMARY.values()]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for circuit in summary.index:
            seeds = int(summary["n"].loc[circuit, "accuracy_alpha_2"])
            cells = [
                _cell(summary, circuit, column, 2 if column != "accuracy_alpha_2" else 3)
                for column in SUMMARY
            ]
            lines.append("| " + " | ".join([f"`{circuit}`", str(seeds), *cells]) + " |")
        accuracy_columns = [c for c in ok.columns if c.startswith("accuracy_")]
        lines += ["", "## Accuracy by α and by slow-speed decile (highest α)", ""]
        lines += [
            "| circuit | " + " | ".join(accuracy_columns) + " |",
            "|" + "---|" * (len(accuracy_columns) + 1),
        ]
        for circuit in summary.index:
            cells = [_cell(summary, circuit, c, 3) for c in accuracy_columns]
            lines.append("| " + " | ".join([f"`{circuit}`", *cells]) + " |")
    if figure:
        lines += ["", f"![comparison]({figure})"]
    lines += [
        "",
        "## Runs",
        "",
        "| circuit | seed | status | critical types: DSI (preferred direction) | DS emergence "
        "| opposite preferences |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.to_dict("records"):
        status = row["status"] if row["status"] != "failed" else f"failed: {row.get('error')}"
        cells = (
            _text(row.get(key))
            for key in ("critical_tuning", "ds_emergence", "opposite_preferences")
        )
        lines.append(f"| `{row['circuit']}` | {row['seed']} | {status} | {' | '.join(cells)} |")
    lines += [
        "",
        "Critical type: its lesion drops the α = 2 accuracy below the threshold. DSI and "
        "preferred direction (0° rightward, 180° leftward) from dot-sized bars in 8 "
        "directions at 2 pixels/frame. DS emergence: the critical types with DSI ≥ 0.3 "
        "include one preferring a rightward and one a leftward direction; opposite "
        "preferences: the same whatever the DSI. Types explaining the decision: the fewest "
        "ganglion types that, kept alone, hold accuracy ≥ the threshold (added in order of "
        "their lesion's damage). A run whose own accuracy is below the threshold has every "
        "type critical: read these columns for runs that solve the task "
        "(`dissection_accuracy` in comparison.csv).",
        "",
    ]
    return "\n".join(lines)


def _text(value: Any) -> str:
    """A table cell: ``—`` for missing values."""
    return (
        "—"
        if value is None or value == "" or (isinstance(value, float) and np.isnan(value))
        else str(value)
    )


def _write_netcdf(ok: pd.DataFrame, path: Path, settings: dict) -> None:
    import xarray as xr

    numeric = ok.select_dtypes(include=["number", "bool"]).astype(float)
    numeric["circuit"] = ok["circuit"]
    numeric["seed"] = ok["seed"].astype(int)
    dataset = xr.Dataset.from_dataframe(numeric.set_index(["circuit", "seed"]))
    dataset.attrs = {key: str(value) for key, value in settings.items()}
    temporary = path.with_suffix(".nc.tmp")
    dataset.to_netcdf(temporary, engine="h5netcdf")
    temporary.replace(path)


def _figure(ok: pd.DataFrame, path: Path) -> str | None:
    if not len(ok):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarise(ok)
    circuits = list(summary.index)
    fig, axes = plt.subplots(1, len(SUMMARY), figsize=(3.2 * len(SUMMARY), 3.4))
    for ax, (column, title) in zip(axes, SUMMARY.items(), strict=True):
        mean = summary["mean"].get(column, pd.Series(np.nan, index=circuits))
        sd = summary["sd"].get(column, pd.Series(np.nan, index=circuits)).fillna(0)
        ax.bar(range(len(circuits)), mean.values, yerr=sd.values, capsize=3, color="0.6")
        for x, circuit in enumerate(circuits):
            values = ok.loc[ok["circuit"] == circuit, column].astype(float)
            ax.plot([x] * len(values), values, "k.", ms=4)
        ax.set_xticks(range(len(circuits)), circuits, rotation=45, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path.name
