"""A self-contained ``report.html`` of a run folder (SVG figures, tables, provenance), read
from its saved results: the jinja2 template ``templates/report.html.j2``, autoescaped, with
the SVG figures as images (``data:`` URLs), never as markup.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from retinasim.dissect.errors import DissectionError
from retinasim.dissect.lesions import CRITICAL_THRESHOLD
from retinasim.report.paper_numbers import comparison
from retinasim.run_folder import read_json, read_netcdf, read_table
from retinasim.util.files import atomic_write_text

REPORT = "report.html"
TEMPLATE = "report.html.j2"


CAPTIONS = {
    "fig3a_psychometric": "Fig. 3A: accuracy vs α, full and ablated model",
    "fig3b_accuracy_vs_s": "Fig. 3B: accuracy vs slow speed s, by fast direction",
    "fig3c_lesions": "Fig. 3C: accuracy with each cell type lesioned alone",
    "fig3d_ablated_accuracy_vs_s": "Fig. 3D: the ablated model's accuracy vs s",
    "fig4a_amplitudes": "Figs. 4A/5A/6A: response amplitude of every type vs s",
    "fig4b_lesions_within_ablated": "Figs. 4B/5B-C/6B: lesions within the ablated model",
    "fig4d_temporal_kernels": "Figs. 4D/6D: temporal kernels",
    "fig5_deepvis_xt": "Fig. 5D-G: deep visualization of the critical types",
    "fig7_units": "Fig. 7: bipolar–amacrine units over s",
}
PREFIXES = {
    "fig4c_spatial_": "Figs. 4C/6C/6E-F: spatial kernels, ",
    "fig4_kept_": "Fig. 4: kept input-layer type ",
    "fig5_kept_": "Fig. 5: kept readout type ",
    "fig6_kept_": "Fig. 6: kept inner type ",
}


def _caption(stem: str) -> str:
    """What a figure file shows, by the paper panel it reproduces."""
    if stem in CAPTIONS:
        return CAPTIONS[stem]
    for prefix, text in PREFIXES.items():
        if stem.startswith(prefix):
            return text + stem.removeprefix(prefix).replace("_to_", " → ")
    return stem


def _image(data: bytes) -> str:
    """An SVG file as a ``data:`` URL for an ``<img>``: the report stays one file, and a
    browser runs no script and loads nothing an image-embedded SVG may carry, so a figure
    file planted in a run folder cannot act in the page."""
    return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")


def _is_wide(svg: str) -> bool:
    """Whether a Matplotlib SVG is wider than 6 inches (432 pt): shown full width."""
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    return match is not None and float(match.group(1)) > 432


def _text(value: Any) -> str:
    """A table cell as text: floats to 3 significant digits (``NaN`` for missing)."""
    if isinstance(value, float | np.floating):
        return "NaN" if np.isnan(value) else f"{value:.3g}"
    return str(value)


def _table(frame: pd.DataFrame, *, index: bool = True) -> dict[str, Any]:
    """A frame as the template's table: ``columns``, ``index_name`` (``None``: no index
    column) and ``rows`` of ``index`` and ``cells``, every value as text (escaped there)."""
    rows = [
        {"index": _text(label), "cells": [_text(v) for v in values]}
        for label, values in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    name = (frame.index.name or "") if index else None
    return {"columns": [str(c) for c in frame.columns], "index_name": name, "rows": rows}


@cache
def _environment() -> jinja2.Environment:
    """The templates shipped in ``retinasim/report/templates``, HTML-autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("retinasim.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _figures(run_dir: Path) -> list[dict[str, Any]]:
    """Every SVG of ``figures/``, sorted: an image ``src``, caption and whether it is wide."""
    figures = []
    for path in sorted((run_dir / "figures").glob("*.svg")):
        if not path.is_file():
            continue  # a folder, FIFO or dangling link named *.svg
        data = path.read_bytes()
        head = data[:2000].decode("utf-8", errors="replace")
        figures.append(
            {"src": _image(data), "caption": _caption(path.stem), "wide": _is_wide(head)}
        )
    return figures


def _provenance(run_dir: Path, provenance: dict, config: dict) -> pd.DataFrame:
    """Training metrics, provenance and the analysis settings, one ``value`` per row."""
    metrics = read_json(run_dir / "metrics.json", {})
    details = {
        **{f"training {k}": v for k, v in metrics.items() if not isinstance(v, dict | list)},
        **provenance,
        **{f"analysis {k}": v for k, v in config.items()},
    }
    return pd.DataFrame({"value": [str(v) for v in details.values()]}, index=list(details))


MECHANISM_COLUMNS = {
    "layer": "layer",
    "mechanism": "mechanism",
    "carriers": "carried by",
    "response_dsi": "DSI",
    "excitation_dsi": "excitation DSI",
    "inhibition_dsi": "inhibition DSI",
    "drive_dsi": "net drive DSI",
}


def mechanism_table(analysis: Path) -> pd.DataFrame | None:
    """The mechanism (``mechanism.nc``) of the critical direction-selective types
    (``critical.json``; every DS type where it is missing), one row per type; None without
    ``mechanism.nc`` or without such a type."""
    mechanism = read_netcdf(analysis / "mechanism.nc")
    if mechanism is None or mechanism.sizes["cell_type"] == 0:
        return None
    critical = read_json(analysis / "critical.json", {}).get("critical")
    pairs = zip(mechanism["layer"].values, mechanism["type_index"].values, strict=True)
    keep = [critical is None or [str(layer), int(index)] in critical for layer, index in pairs]
    if not any(keep):
        return None
    rows = mechanism.isel(cell_type=np.flatnonzero(keep))
    frame = pd.DataFrame(
        {header: rows[name].values for name, header in MECHANISM_COLUMNS.items()},
        index=pd.Index([str(n) for n in rows["cell_type"].values], name="cell type"),
    )
    return frame


def report_html(run_dir: str | Path) -> str:
    """The text of ``report.html`` for ``run_dir`` (see the module docstring)."""
    run_dir = Path(run_dir)
    analysis = run_dir / "analysis"
    if not analysis.is_dir():
        raise DissectionError(
            f"{run_dir} has no analysis/ folder: run `retinasim analyze {run_dir}` first"
        )
    provenance = read_json(run_dir / "provenance.json", {})
    config = read_json(analysis / "config.json", {})
    cell_types = read_table(analysis / "cell_types.csv")
    mechanism = mechanism_table(analysis)
    context = {
        "run_name": run_dir.name,
        "circuit": str(provenance.get("circuit", run_dir.name)),
        "critical_threshold": config.get("critical_threshold", CRITICAL_THRESHOLD),
        "comparison": _table(comparison(analysis), index=False),
        "sentences": read_json(analysis / "summary.json", {}).get("sentences") or [],
        "figures": _figures(run_dir),
        "cell_types": _table(cell_types) if cell_types is not None else None,
        "mechanism": None if mechanism is None else _table(mechanism),
        "provenance": _table(_provenance(run_dir, provenance, config)),
    }
    return _environment().get_template(TEMPLATE).render(context)


def build_report(run_dir: str | Path) -> Path:
    """Write ``RUN_DIR/report.html`` from the saved results; return its path."""
    text = report_html(run_dir)
    target = Path(run_dir) / REPORT
    atomic_write_text(target, text)
    return target
