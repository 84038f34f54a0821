"""``retinasim import-authors``: the authors' trained models as ordinary run folders."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from retinasim.errors import RetinasimError


class RenderingChoice(str, Enum):
    """Moving-dots rendering written into the imported circuit's training section."""

    authors = "authors"
    antialiased = "antialiased"


def import_authors(
    model: Annotated[
        str | None,
        typer.Argument(
            help="A shipped model's name (murray2021, murray2021-top, "
            "murray2021-top-san-amacrine, murray2021-top-san-bipolar) or one of their "
            ".pt files.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Run folder to write.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing run in --out.")] = False,
    rendering: Annotated[
        RenderingChoice,
        typer.Option(
            help="Stimuli of the imported run (evaluate, analyze): the authors' generator or "
            "retinasim's anti-aliased renderer."
        ),
    ] = RenderingChoice.authors,
    circuit: Annotated[
        Path | None,
        typer.Option(help="Base circuit (default: murray2021.yaml); n_types come from the file."),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the shipped models.")] = False,
) -> None:
    """Import one of the authors' trained models (Murray, Wang & Lynch 2021; MIT) as a run
    folder that evaluate, analyze, report, record and tuning accept."""
    from retinasim.authors import importer

    if list_:
        for name, file in importer.MODELS.items():
            print(f"{name:30s} {file:32s} {importer.MODEL_DESCRIPTIONS[name]}")
        return
    if model is None:
        raise RetinasimError("give a model name or file (see --list)")
    if out is None:
        raise RetinasimError("--out RUN is required: the run folder to write")
    metrics = importer.import_authors(
        model, out, overwrite=overwrite, circuit=circuit, rendering=rendering.value
    )
    print(
        f"{out}: imported {metrics['source_file']} (sha256 {metrics['source_sha256'][:12]}…, "
        f"spec hash {metrics['spec_hash']}, rendering {rendering.value}); "
        f"next: retinasim evaluate {out}"
    )


def register(app: typer.Typer) -> None:
    """Register ``import-authors`` on ``app``."""
    app.command("import-authors")(import_authors)
