"""``retinasim compare``: train several circuits with several seeds and compare them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from retinasim.cli.settings import settings_options
from retinasim.compare.settings import CompareSettings


@settings_options(CompareSettings, exclude=("overrides", "alphas", "cluster_options", "reference"))
def compare(
    circuits: Annotated[list[Path], typer.Argument(help="Circuit YAML files to compare.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Comparison folder.")],
    steps: Annotated[int | None, typer.Option(help="Training steps (quick runs).")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Training override KEY=VALUE for every run (repeatable)."),
    ] = None,
    alpha: Annotated[
        list[float] | None, typer.Option(help="Test α (repeatable; 2 always included).")
    ] = None,
    cluster_option: Annotated[
        list[str] | None,
        typer.Option(
            help="--cluster setting KEY=VALUE (repeatable): cores, memory, walltime, queue, "
            "account, job-extra, jobs, ... (docs/cluster.md)."
        ),
    ] = None,
    print_job_script: Annotated[
        bool, typer.Option(help="Print the --cluster batch script and exit.")
    ] = False,
    reference: Annotated[
        list[str] | None,
        typer.Option(
            help="Add a reference model as one more circuit (one seed, no training): "
            "'authors' (the authors' trained model.pt, their rendering of the dots) or a "
            "shipped model name of 'retinasim import-authors' (repeatable)."
        ),
    ] = None,
    *,
    settings: CompareSettings,
) -> None:
    """Train each circuit with SEEDS seeds (resumable), evaluate, dissect lightly, report.

    Writes OUT/runs/<circuit>/seed<k>/ (run folders), OUT/comparison.{csv,nc,md,png},
    OUT/comparison_types.csv and the report's figures (docs/compare.md). Rerunning skips
    finished runs and resumes interrupted ones. --reference authors adds the authors' model,
    dissected the same way, as the row 'authors (reference)'. --scheduler or --cluster run
    every (circuit, seed) as a Dask task instead of in local processes (docs/cluster.md).
    """
    from retinasim.compare import compare as run_comparison
    from retinasim.compare import labels_for
    from retinasim.compare.cluster import ClusterError, job_script, parse_cluster_options
    from retinasim.compare.runs import reference_job, terminate_on_sigterm
    from retinasim.spec import load_circuit
    from retinasim.training import apply_overrides
    from retinasim.training.overrides import parse_assignment

    if print_job_script and settings.cluster is None:
        raise ClusterError("--cluster-option and --print-job-script need --cluster KIND")
    overrides: dict[str, Any] = dict(parse_assignment(text) for text in set_ or [])
    if steps is not None:
        overrides["steps"] = steps
    settings = CompareSettings.from_options(  # type: ignore[assignment]  # (same class)
        {
            **settings.model_dump(),
            "overrides": overrides,
            "alphas": tuple(alpha or CompareSettings().alphas),
            "cluster_options": parse_cluster_options(cluster_option or []),
            "reference": tuple(reference or ()),
        }
    )
    if print_job_script:
        typer.echo(job_script(settings.cluster or "", dict(settings.cluster_options)).rstrip())
        return
    for file in circuits:  # every file and override checked before any training starts
        apply_overrides(load_circuit(file), overrides)
    for name in settings.reference:  # an unknown one refused (exit 2) before any training
        try:
            reference_job(name, ".")
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--reference") from None
    started = time.perf_counter()
    labels = labels_for(circuits)
    extra = f" and the reference {', '.join(settings.reference)}" if settings.reference else ""
    typer.echo(
        f"comparing {', '.join(labels)} with {settings.seeds} seed(s) each{extra} into {out}"
    )
    total = len(labels) * settings.seeds + len(settings.reference)
    with terminate_on_sigterm():  # a killed comparison takes its workers with it
        rows = run_comparison(circuits, out, settings, progress=_row_printer(total, started))
    failed = [row for row in rows if row["status"] == "failed"]
    typer.echo(f"wrote {out / 'comparison.md'} ({time.perf_counter() - started:.1f} s)")
    if failed:
        typer.echo(f"{len(failed)} run(s) failed; see {out / 'comparison.md'}", err=True)
        raise typer.Exit(1)


def _row_printer(total: int, started: float) -> Callable[[dict[str, Any]], None]:
    """Prints one line per finished run: its place, the rate, and its key numbers."""
    finished = [0]

    def show(row: dict[str, Any]) -> None:
        finished[0] += 1
        rate = finished[0] / max((time.perf_counter() - started) / 60, 1e-9)
        head = (
            f"{time.strftime('%H:%M:%S')} run {finished[0]}/{total} ({rate:.2f} runs/min): "
            f"{row['circuit']} seed {row['seed']}"
        )
        if row["status"] == "failed":
            typer.echo(f"{head}: {row['error']}")
            return
        typer.echo(
            f"{head}: accuracy(α=2) {row['accuracy_alpha_2']:.3f}, critical {row['n_critical']}, "
            f"DS emergence {row['ds_emergence']}, opposite DS pair explaining the decision "
            f"{row['sufficient_ds_pair']}"
        )

    return show


def register(app: typer.Typer) -> None:
    """Register ``compare`` on ``app``."""
    app.command()(compare)
