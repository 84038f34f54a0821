"""A self-contained ``report.html`` of a run folder: inline SVG figures, tables, provenance.

Everything is read from the run folder (``analysis/``, ``figures/``, the training files), so
``retinasim report RUN_DIR`` rebuilds it without recomputing anything.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from retinasim.dissect.errors import DissectionError
from retinasim.report.paper_numbers import comparison
from retinasim.training.run_folder import read_json
from retinasim.util.files import atomic_write_text

REPORT = "report.html"
CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.85em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3} figure{display:inline-block;margin:0.5em;vertical-align:top}
figure svg{max-width:530px;height:auto} figure.wide{display:block}
figure.wide svg{max-width:100%} h2{border-bottom:1px solid #ddd;margin-top:2em}
.small{font-size:0.8em;color:#555}
"""


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


def _svg(path: Path) -> str:
    """An SVG file as inline markup (without its XML prolog)."""
    text = path.read_text(encoding="utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else ""


def _is_wide(svg: str) -> bool:
    """Whether a Matplotlib SVG is wider than 6 inches (432 pt): shown full width."""
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    return bool(match) and float(match.group(1)) > 432


def _json(path: Path) -> dict:
    return read_json(path, {})


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
            caption = f"<figcaption class='small'>{html.escape(_caption(path.stem))}</figcaption>"
            svg = _svg(path)
            kind = " class='wide'" if _is_wide(svg) else ""
            parts.append(f"<figure{kind}>{svg}{caption}</figure>")
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
