"""The comparison report: ``comparison.csv`` (a row per run), ``comparison_types.csv`` (a row
per run and ganglion type), ``comparison.nc`` (:mod:`retinasim.compare.dataset`), the figures
and ``comparison.md``, from the jinja2 template ``templates/comparison.md.j2``, whose filters
escape every label (:func:`markdown_code`, :func:`markdown_text`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd

from retinasim.compare import population
from retinasim.compare.dataset import TYPE_FLAGS, TYPE_VALUES, comparison_dataset
from retinasim.compare.dissect import DSI_THRESHOLD
from retinasim.compare.figures import SUMMARY
from retinasim.dissect.lesions import CRITICAL_THRESHOLD
from retinasim.util.files import make_folder
from retinasim.util.netcdf import write_netcdf

if TYPE_CHECKING:
    import xarray as xr

TYPE_COLUMNS = [*TYPE_VALUES, *TYPE_FLAGS]


def write_report(rows: list[dict[str, Any]], out: str | Path, *, settings: dict) -> pd.DataFrame:
    """Write the report files into ``out`` (``settings``: the report's settings table, with
    the evaluation's ``alphas``); returns the per-run table (``comparison.csv``)."""
    from retinasim.compare.figures import write_figures

    out = Path(out)
    make_folder(out)
    table = pd.DataFrame(rows).drop(columns=["traceback", "cell_types"], errors="ignore")
    table.to_csv(out / "comparison.csv", index=False)
    type_table(rows).to_csv(out / "comparison_types.csv", index=False)
    ok = _numeric(table[table["status"] == "completed"] if "status" in table else table)
    dataset = comparison_dataset(rows, alphas=settings["alphas"], settings=settings)
    write_netcdf(dataset, out / "comparison.nc")
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


TEMPLATE = "comparison.md.j2"
FIGURE_TITLES = {
    "summary": "Summary measures (bars: mean ± sd over seeds; dots: seeds)",
    "critical": "Critical ganglion types per seed",
    "directions": "Preferred direction and DSI of every critical ganglion type",
    "accuracy": "Accuracy over α (mean, min–max band over seeds)",
    "redundancy": "Redundancy per seed",
}
Table = dict[str, list]
"""A table whose header depends on the data: ``header`` and ``rows`` (texts; first: circuit)."""


def markdown_code(text: Any, *, in_table: bool = True) -> str:
    """``text`` as a Markdown code span: one line, fenced by more backticks than it holds, and,
    ``in_table``, ``|`` escaped (a table cell's code span shows ``\\|`` as ``|``)."""
    text = " ".join(str(text).splitlines())
    if in_table:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def markdown_text(text: Any) -> str:
    """``text`` as plain Markdown in a table cell: backslashes, ``|`` and backticks escaped,
    line breaks made spaces."""
    text = " ".join(str(text).splitlines())
    for char in ("\\", "|", "`"):
        text = text.replace(char, "\\" + char)
    return text


@cache
def _environment() -> jinja2.Environment:
    """The Markdown templates of ``retinasim/compare/templates`` (labels: ``code``, ``cell``)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("retinasim.compare", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(code=markdown_code, cell=markdown_text)
    return environment


def _markdown(
    table: pd.DataFrame, ok: pd.DataFrame, ds: xr.Dataset, settings: dict, figures: dict[str, str]
) -> str:
    """The text of ``comparison.md``."""
    context: dict[str, Any] = {
        "settings": list(settings.items()),
        "version": ds.attrs.get("retinasim_version", "?"),
        "threshold": f"{float(ds.attrs.get('threshold', CRITICAL_THRESHOLD)):g}",
        "dsi_threshold": f"{float(ds.attrs.get('dsi_threshold', DSI_THRESHOLD)):g}",
        "summary": _summary_rows(ok, ds) if len(ok) else None,
        "figures": [
            {"key": key, "name": name, "title": FIGURE_TITLES[key]} for key, name in figures.items()
        ],
        "runs": _runs_rows(table),
    }
    if len(ok):
        context.update(
            critical=_critical_table(ds),
            pairs=_pairs_rows(ds),
            by_alpha=_alpha_table(ds),
            by_decile=_decile_table(ok),
            decile_alpha=f"{float(ds['alpha'].max()):g}",
        )
    return _environment().get_template(TEMPLATE).render(context)


def _summary_rows(ok: pd.DataFrame, ds: xr.Dataset) -> list[list]:
    summary = summarise(ok)
    emergence = population.emergence(ds)
    pair = population.emergence(ds, "sufficient_ds_pair")
    redundancy = population.redundancy(ds)
    return [
        [
            circuit,
            str(int(emergence["n"].sel(circuit=circuit))),
            _cell(summary, circuit, "accuracy_alpha_2", 3),
            _rate(emergence.sel(circuit=circuit)),
            _rate(pair.sel(circuit=circuit)),
            _cell(summary, circuit, "n_critical", 2),
            _range(redundancy.sel(circuit=circuit)),
            _cell(summary, circuit, "opposite_preferences", 2),
            _cell(summary, circuit, "sufficient_types", 2),
        ]
        for circuit in summary.index
    ]


def _rate(one: xr.Dataset) -> str:
    """``k/n = rate [low, high]`` of one circuit of :func:`population.emergence`."""
    k, n = int(one["k"]), int(one["n"])
    if not n:
        return "—"
    return f"{k}/{n} = {float(one['rate']):.2f} [{float(one['low']):.2f}, {float(one['high']):.2f}]"


def _critical_table(ds: xr.Dataset) -> Table:
    counts = population.critical_counts(ds)
    rows = [
        [str(circuit), *(str(int(v)) for v in counts.sel(circuit=circuit).values)]
        for circuit in counts["circuit"].values
    ]
    return {
        "header": ["circuit", *(str(int(v)) for v in counts["n_critical"].values)],
        "rows": rows,
    }


def _pairs_rows(ds: xr.Dataset) -> list[list]:
    pairs = population.direction_pairs(ds)
    fraction = population.fraction_ds_critical(ds)
    rows = []
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
        share = _text(float(fraction.sel(circuit=circuit)), ".2f")
        rows.append([str(circuit), str(solved), f"{paired}/{solved}", spread or "—", share])
    return rows


def _alpha_table(ds: xr.Dataset) -> Table:
    band = population.accuracy_band(ds)
    alphas = [float(a) for a in ds["alpha"].values]
    rows = [
        [str(circuit), *(_range(band.sel(circuit=circuit, alpha=a), 3) for a in alphas)]
        for circuit in band["circuit"].values
    ]
    return {"header": ["circuit", *(f"α = {a:g}" for a in alphas)], "rows": rows}


def _decile_table(ok: pd.DataFrame) -> Table:
    summary = summarise(ok)
    columns = [c for c in ok.columns if c.startswith("accuracy_s_decile_")]
    rows = [
        [circuit, *(_cell(summary, circuit, c, 3) for c in columns)] for circuit in summary.index
    ]
    return {"header": ["circuit", *(c.rsplit("_", 1)[1] for c in columns)], "rows": rows}


def _runs_rows(table: pd.DataFrame) -> list[list]:
    flags = ("critical_tuning", "ds_emergence", "sufficient_ds_pair", "opposite_preferences")
    rows = []
    for row in table.to_dict("records"):
        status = row["status"] if row["status"] != "failed" else f"failed: {row.get('error')}"
        seed = "—" if row.get("reference") is True else row["seed"]
        red = _text(row.get("redundancy"), ".2f")
        rows.append([row["circuit"], seed, status, *(_text(row.get(k)) for k in flags), red])
    return rows


def _range(band: xr.Dataset, digits: int = 2) -> str:
    """``mean [min–max]`` of a band of :mod:`~retinasim.compare.population` (equal: the mean)."""
    mean, low, high = (float(band[key]) for key in ("mean", "min", "max"))
    if not np.isfinite(mean):
        return "—"
    if low == high:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}–{high:.{digits}f}]"


def _text(value: Any, spec: str = "") -> str:
    """A table cell: ``—`` for missing values (None, "" or NaN), else ``value`` in ``spec``."""
    missing = value is None or value == "" or (isinstance(value, float) and np.isnan(value))
    return "—" if missing else format(value, spec)
