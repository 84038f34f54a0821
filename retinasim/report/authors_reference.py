"""retinasim's full dissection of the authors' own model, shipped as one column of numbers.

The calibration column of every run's report (:mod:`retinasim.report.paper_numbers`): the
``this run`` column of ``retinasim analyze`` (default sizes, the authors' α grid 0 … 4 in
steps of 0.1) on the imported ``model.pt`` with the authors' rendering of the dots, shipped
with its provenance in ``retinasim/authors/data/reference.json``. Regenerate it after a
change to the analyses with::

    python -m retinasim.report.authors_reference          # about 2 minutes on 2 cores
    python -m retinasim.report.authors_reference --keep runs/authors   # and keep the analysed run
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from retinasim.authors import data_file
from retinasim.report.paper_numbers import REFERENCE_FILE, THIS_RUN, comparison

ALPHA_STEP = 0.1
"""The authors' psychometric grid step."""


def compute(folder: Path) -> dict[str, Any]:
    """Import, dissect and tabulate the authors' model in ``folder``; the JSON to ship."""
    from retinasim.authors.importer import import_authors
    from retinasim.dissect.config import AnalysisConfig
    from retinasim.dissect.pipeline import Dissection
    from retinasim.provenance import provenance

    started = time.perf_counter()
    run = folder / "murray2021-authors"
    import_authors("murray2021", run, rendering="authors")
    config = AnalysisConfig(alpha_step=ALPHA_STEP)
    Dissection(run, config).run()
    table = comparison(run / "analysis", reference=False)
    record = provenance(
        seed=None,
        spec_hash=json.loads((run / "metrics.json").read_text())["spec_hash"],
        device="cpu",
        wall_time_s=time.perf_counter() - started,
        model="murray2021 (model.pt)",
        rendering="authors",
    )
    return {
        "column": dict(zip(table["quantity"], table[THIS_RUN], strict=True)),
        "analysis_config": config.to_dict(),
        "provenance": record,
    }


def main(argv: list[str] | None = None) -> None:
    import argparse

    from retinasim.util.cpu import tune_cpu_allocator
    from retinasim.util.files import atomic_write_text

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="keep the imported, analysed run here")
    args = parser.parse_args(argv)
    tune_cpu_allocator()
    with tempfile.TemporaryDirectory() as scratch:
        result = compute(args.keep or Path(scratch))
    target = data_file(REFERENCE_FILE)
    atomic_write_text(target, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    for quantity, value in result["column"].items():
        print(f"{quantity}: {value}")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
