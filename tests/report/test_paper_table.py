"""The report's paper table: the authors' stored numbers, retinasim's analysis of their model
(shipped, precomputed) and this run, row by row."""

from __future__ import annotations

import json
from pathlib import Path

from retinasim.authors import data_file, load_results
from retinasim.report.authors_reference import ALPHA_STEP
from retinasim.report.paper_numbers import (
    PAPER,
    REFERENCE,
    REFERENCE_FILE,
    THIS_RUN,
    comparison,
    reference_column,
)


def test_every_row_has_the_authors_model_column_and_their_stored_numbers(run_dir: Path):
    table = comparison(run_dir / "analysis")
    assert list(table.columns) == ["quantity", PAPER, REFERENCE, THIS_RUN]
    column = reference_column()
    missing = [q for q in table["quantity"] if q not in column]
    assert not missing, f"regenerate {REFERENCE_FILE}: python -m retinasim.report.authors_reference"
    rows = table.set_index("quantity")
    stored = load_results()
    full = stored["accuracy"].sel(model="full")
    assert rows.loc["accuracy at α = 2", PAPER] == f"{float(full.sel(alpha=2.0)):.2f}"
    assert rows.loc["accuracy at α = 1 (chance)", PAPER] == f"{float(full.sel(alpha=1.0)):.2f}"
    assert rows.loc["critical types (lesioned accuracy)", PAPER].startswith("ganglion_0 → 0.56")
    # retinasim on their model finds their critical types
    critical = rows.loc["critical types (lesioned accuracy)", REFERENCE]
    assert critical.startswith("ganglion_0 → ") and "ganglion_2 → " in critical


def test_the_shipped_reference_was_made_on_their_alpha_grid_with_provenance():
    shipped = json.loads(data_file(REFERENCE_FILE).read_text())
    assert shipped["analysis_config"]["alpha_step"] == ALPHA_STEP == 0.1
    assert shipped["provenance"]["rendering"] == "authors"
    assert shipped["provenance"]["retinasim_version"]
