"""A self-contained ``report.html`` of a run folder: inline SVG figures, tables, provenance.

Everything is read from the run folder (``analysis/``, ``figures/``, the training files), so
``retinasim report RUN_DIR`` rebuilds it without recomputing anything.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from retinasim.dissect.errors import DissectionError
from retinasim.report.paper_numbers import comparison
from retinasim.util.files import atomic_write_text

REPORT = "report.html"
CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.85em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3} figure{display:inline-block;margin:0.5em;vertical-align:top}
figure svg{max-width:520px;height:auto} h2{border-bottom:1px solid #ddd;margin-top:2em}
.small{font-size:0.8em;color:#555}
"""


def _svg(path: Path) -> str:
    """An SVG file as inline markup (without its XML prolog)."""
    text = path.read_text(encoding="utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else ""


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _table(frame: pd.DataFrame, **options) -> str:
    return frame.to_html(border=0, float_format=lambda v: f"{v:.3g}", **options)


def build_report(run_dir: str | Path) -> Path:
    """Write ``RUN_DIR/report.html`` from the saved results; return its path."""
    run_dir = Path(run_dir)
    analysis = run_dir / "analysis"
    if not analysis.is_dir():
        raise DissectionError(
            f"{run_dir} has no analysis/ folder: run `retinasim analyze {run_dir}` first"
        )
    title = f"retinasim report: {html.escape(run_dir.name)}"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{title}</title><style>{CSS}</style></head><body>",
    ]
    provenance = _json(run_dir / "provenance.json")
    metrics = _json(run_dir / "metrics.json")
    circuit = provenance.get("circuit", run_dir.name)
    parts.append(f"<h1>retinasim report: {html.escape(str(circuit))}</h1>")
    parts.append("<h2>This run against the paper</h2>")
    parts.append(
        "<p class='small'>Paper: Murray, Wang &amp; Lynch 2021 and the numbers of the "
        "authors' public code. Type numbers depend on the seed; the structure is what "
        "should reproduce.</p>"
    )
    parts.append(_table(comparison(analysis), index=False))
    summary = _json(analysis / "summary.json")
    if summary.get("sentences"):
        parts.append("<h2>Critical cell types</h2><ul>")
        parts += [f"<li>{html.escape(s)}</li>" for s in summary["sentences"]]
        parts.append("</ul>")
    figures = sorted((run_dir / "figures").glob("*.svg"))
    if figures:
        parts.append("<h2>Figures</h2>")
        for path in figures:
            caption = f"<figcaption class='small'>{html.escape(path.stem)}</figcaption>"
            parts.append(f"<figure>{_svg(path)}{caption}</figure>")
    table = analysis / "cell_types.csv"
    if table.exists():
        parts.append("<h2>Cell types</h2>")
        parts.append(
            "<p class='small'>DSI and preferred direction (0° = rightward, 180° = leftward) "
            "from full-field moving bars; threshold_s in pixels/frame; accuracies as "
            "fractions correct.</p>"
        )
        parts.append(_table(pd.read_csv(table, index_col=0)))
    parts.append("<h2>Provenance</h2>")
    details = {
        **{f"training {k}": v for k, v in metrics.items() if not isinstance(v, dict | list)},
        **provenance,
        **{f"analysis {k}": v for k, v in _json(analysis / "config.json").items()},
    }
    rows = pd.DataFrame({"value": [str(v) for v in details.values()]}, index=list(details))
    parts.append(_table(rows))
    parts.append("</body></html>")
    target = run_dir / REPORT
    atomic_write_text(target, "\n".join(parts))
    return target
