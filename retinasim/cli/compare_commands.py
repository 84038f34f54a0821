"""``retinasim compare``: train several circuits with several seeds and compare them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer


def compare(
    circuits: Annotated[list[Path], typer.Argument(help="Circuit YAML files to compare.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Comparison folder.")],
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per circuit.")] = 3,
    first_seed: Annotated[int, typer.Option(min=0, help="First seed.")] = 0,
    steps: Annotated[int | None, typer.Option(help="Training steps (quick runs).")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Training override KEY=VALUE for every run (repeatable)."),
    ] = None,
    alpha: Annotated[
        list[float] | None, typer.Option(help="Test α (repeatable; 2 always included).")
    ] = None,
    n: Annotated[int, typer.Option(min=1, help="Held-out test stimuli per α.")] = 1000,
    n_dissect: Annotated[int, typer.Option(min=1, help="Stimuli per lesion measurement.")] = 200,
    threshold: Annotated[
        float,
        typer.Option(
            help="Critical: a lesioned ganglion type's accuracy below this fraction of intact."
        ),
    ] = 0.95,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Processes (default: one per core).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Run on the Dask scheduler at this address (tcp://HOST:8786)."),
    ] = None,
    scheduler_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for the --scheduler to answer.")
    ] = 10.0,
    cluster: Annotated[
        str | None,
        typer.Option(help="Start a Dask cluster on a batch system: slurm, pbs, sge or lsf."),
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
    from retinasim.compare.cluster import job_script
    from retinasim.compare.runs import terminate_on_sigterm
    from retinasim.spec import load_circuit
    from retinasim.training import apply_overrides
    from retinasim.training.overrides import parse_assignment

    options = _engine_options(scheduler, cluster, cluster_option, print_job_script)
    if print_job_script:
        typer.echo(job_script(cluster or "", options).rstrip("\n"))
        return
    overrides: dict[str, Any] = dict(parse_assignment(text) for text in set_ or [])
    if steps is not None:
        overrides["steps"] = steps
    for file in circuits:  # every file and override checked before any training starts
        apply_overrides(load_circuit(file), overrides)
    for name in reference or []:
        _check_reference(name)
    started = time.perf_counter()
    labels = labels_for(circuits)
    references = list(dict.fromkeys(reference or []))
    extra = f" and the reference {', '.join(references)}" if references else ""
    typer.echo(f"comparing {', '.join(labels)} with {seeds} seed(s) each{extra} into {out}")

    finished = [0]
    total = len(labels) * seeds + len(references)

    def progress(row: dict[str, Any]) -> None:
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

    with terminate_on_sigterm():  # a killed comparison takes its workers with it
        rows = run_comparison(
            circuits,
            out,
            seeds=seeds,
            first_seed=first_seed,
            overrides=overrides,
            alphas=tuple(alpha or (1.0, 1.7, 2.0)),
            n_eval=n,
            n_dissect=n_dissect,
            threshold=threshold,
            jobs=jobs,
            progress=progress,
            scheduler=scheduler,
            scheduler_timeout=scheduler_timeout,
            cluster=cluster,
            cluster_options=options,
            reference=references,
        )
    failed = [row for row in rows if row["status"] == "failed"]
    typer.echo(f"wrote {out / 'comparison.md'} ({time.perf_counter() - started:.1f} s)")
    if failed:
        typer.echo(f"{len(failed)} run(s) failed; see {out / 'comparison.md'}", err=True)
        raise typer.Exit(1)


def _check_reference(name: str) -> None:
    """Refuse an unknown ``--reference`` (exit 2) before anything is trained."""
    from retinasim.compare.runs import reference_job

    try:
        reference_job(name, ".")
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--reference") from None


def _engine_options(
    scheduler: str | None, cluster: str | None, texts: list[str] | None, print_script: bool
) -> dict[str, Any]:
    """The checked ``--cluster-option``s; refuses contradictory engine options (exit 2)."""
    from retinasim.compare.cluster import KINDS, ClusterError, parse_cluster_options

    if scheduler is not None and cluster is not None:
        raise ClusterError("--scheduler and --cluster exclude each other: give one")
    if (texts or print_script) and cluster is None:
        raise ClusterError("--cluster-option and --print-job-script need --cluster KIND")
    if cluster is not None and cluster.lower() not in KINDS:
        raise ClusterError(f"--cluster {cluster!r}: unknown kind (known: {', '.join(KINDS)})")
    return parse_cluster_options(texts or [])


def register(app: typer.Typer) -> None:
    """Register ``compare`` on ``app``."""
    app.command()(compare)
