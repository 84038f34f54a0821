"""This run's numbers beside the reference paper's, as rows of a comparison table.

Columns: ``quantity``; ``paper / authors' stored`` — the paper's statement, or where the
authors published the number (``retinasim/authors/data``) their stored result for their own
model; ``retinasim on the authors' model`` — the same analysis that made this run's column,
run by retinasim on the authors' imported weights (:mod:`retinasim.authors.reference`,
shipped precomputed); ``this run``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from retinasim.dissect.summary import motion_word
from retinasim.training.run_folder import read_json, read_netcdf


def _open(path: Path) -> xr.Dataset | None:
    return read_netcdf(path)


def _at(curve: xr.Dataset | None, alpha: float) -> str:
    if curve is None or alpha not in curve["alpha"].values:
        return "—"
    return f"{float(curve['accuracy'].sel(alpha=alpha)):.2f}"


PAPER = "paper / authors' stored"
REFERENCE = "retinasim on the authors' model"
THIS_RUN = "this run"


def _stored() -> dict[str, str]:
    """The authors' stored numbers for the rows that have one (their own model)."""
    from retinasim.authors import load_results

    results = load_results()
    full = results["accuracy"].sel(model="full")
    truncated = results["accuracy"].sel(model="truncated")
    lesions = results["lesion_accuracy"]
    ganglion = lesions.sel(layer="ganglion").values
    critical = [i for i, value in enumerate(ganglion) if value < 0.95]
    return {
        "accuracy at α = 2": f"{float(full.sel(alpha=2.0)):.2f}",
        "accuracy at α = 1 (chance)": f"{float(full.sel(alpha=1.0)):.2f}",
        "critical types (lesioned accuracy)": ", ".join(
            f"ganglion_{i} → {ganglion[i]:.2f}" for i in critical
        ),
        "worst single bipolar lesion": f"{float(lesions.sel(layer='bipolar').min()):.2f}",
        "worst single amacrine lesion": f"{float(lesions.sel(layer='amacrine').min()):.2f}",
        "ablated model accuracy at α = 2": f"{float(truncated.sel(alpha=2.0)):.2f}",
        "ablated model accuracy at α = 4": f"{float(truncated.sel(alpha=4.0)):.2f}",
    }


def comparison(analysis: Path, *, reference: bool = True) -> pd.DataFrame:
    """The comparison table (module docstring) from the saved results in ``analysis``.

    ``reference=False`` leaves out the column of retinasim's analysis of the authors' model
    (used to make that column).
    """
    rows = _rows(analysis)
    stored = _stored()
    table = pd.DataFrame(
        [(q, stored.get(q, paper), this) for q, paper, this in rows],
        columns=["quantity", PAPER, THIS_RUN],
    )
    if reference:
        from retinasim.authors.reference import reference_column

        column = reference_column()
        table.insert(2, REFERENCE, [column.get(q, "—") for q in table["quantity"]])
    return table.replace({np.nan: "—"})


def _rows(analysis: Path) -> list[tuple[str, str, str]]:
    """``(quantity, the paper's statement, this run)`` rows from ``analysis``."""
    full = _open(analysis / "psychometric.nc")
    ablated = _open(analysis / "ablated_psychometric.nc")
    scan = _open(analysis / "lesion_scan.nc")
    by_s = _open(analysis / "accuracy_by_s.nc")
    tuning = _open(analysis / "tuning.nc")
    rows = [
        ("accuracy at α = 2", "1.00", _at(full, 2.0)),
        ("accuracy at α = 1 (chance)", "0.47", _at(full, 1.0)),
    ]
    if full is not None:
        good = full["alpha"].values[full["accuracy"].values >= 0.95]
        rows.append(
            ("smallest α with accuracy ≥ 0.95", "1.7", f"{good.min():.2f}" if len(good) else "none")
        )
    if by_s is not None:
        accuracy = by_s["accuracy"].mean("fast_direction")
        rows.append(
            ("accuracy at the lowest s (hard)", "> 0.80", f"{float(accuracy.isel(s=0)):.2f}")
        )
        rows.append(
            ("accuracy at the highest s (easy)", "1.00", f"{float(accuracy.isel(s=-1)):.2f}")
        )
    critical = analysis / "critical.json"
    if scan is not None and critical.exists():
        pairs = read_json(critical)["critical"]
        names = [
            str(
                scan["cell_type"].values[
                    (scan["layer"].values == lay) & (scan["type_index"].values == i)
                ][0]
            )
            for lay, i in pairs
        ]
        lesioned = [f"{n} → {float(scan['accuracy'].sel(cell_type=n)):.2f}" for n in names]
        rows.append(
            (
                "critical types (lesioned accuracy)",
                "ganglion 0 → 0.56, ganglion 2 → 0.91",
                ", ".join(lesioned) or "none",
            )
        )
        for layer, paper in (("bipolar", "≥ 0.96"), ("amacrine", "≥ 0.99")):
            chosen = scan["accuracy"].values[scan["layer"].values == layer]
            if len(chosen):
                rows.append((f"worst single {layer} lesion", paper, f"{chosen.min():.2f}"))
        if tuning is not None:
            ds = [
                _ds_text(tuning.sel(cell_type=n))
                for n in names
                if n in tuning["cell_type"].values
                and str(scan["layer"].sel(cell_type=n).values) == str(scan["layer"].values[-1])
            ]
            rows.append(
                (
                    "critical ganglion types: DSI, preferred direction",
                    "direction selective, opposite directions",
                    "; ".join(ds) or "—",
                )
            )
    deepvis = _open(analysis / "deepvis.nc")
    if deepvis is not None:
        moves = []
        for target in deepvis["target"].values:
            panel = deepvis.sel(target=target)
            text = f"{target}: free x–t {float(panel['velocity']):+.2f} px/frame"
            if "preferred_velocity" in panel:
                preferred = float(panel["preferred_velocity"])
                text += (
                    f", best moving pattern {preferred:+.1f} px/frame ({motion_word(preferred)})"
                )
            if "moving_decoder" in panel:
                logits = panel["moving_decoder"].values
                text += f", decoder → {panel['class'].values[int(np.argmax(logits))]}"
            moves.append(text)
        rows.append(
            (
                "deep visualization of the critical types: motion",
                "fades toward each type's direction (opposite for the two)",
                "; ".join(moves),
            )
        )
    ablated_json = analysis / "ablated.json"
    if ablated_json.exists():
        best = read_json(ablated_json)
        rows.append(
            (
                "best ablated model (kept types)",
                "bipolar 4 + amacrine 2 (+ ganglion 0, 2)",
                str(best.get("kept")),
            )
        )
    rows.append(("ablated model accuracy at α = 2", "0.69", _at(ablated, 2.0)))
    rows.append(("ablated model accuracy at α = 4", "0.94", _at(ablated, 4.0)))
    return rows


def _ds_text(row) -> str:
    """One type's single-unit direction selectivity (``retinasim.analysis.direction_protocol``;
    an older tuning.nc without its variables gives DSI and direction only)."""
    text = f"{row.cell_type.item()}: DSI {float(row['dsi']):.2f}"
    if "vector_dsi" in row:
        text += f", vector DSI {float(row['vector_dsi']):.2f}"
    if "p_value" in row:
        text += f" (p {float(row['p_value']):.3f})"
    text += f", {float(row['preferred_direction_deg']):.0f}°"
    if "preferred_speed" in row:
        text += (
            f" at {float(row['preferred_speed']):g} px/frame, {float(row['preferred_width']):g} px"
        )
    return text
