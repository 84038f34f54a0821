"""The end-to-end commands: ``run`` (train → evaluate → analyze → figures → report),
``analyze`` (all or some analysis steps of a trained run) and ``report`` (rebuild the
figures and ``report.html`` from saved results)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retinasim.cli.settings import count_option, merged, settings_options
from retinasim.cli.train_commands import PROCESSES, THREADS
from retinasim.dissect.config import AnalysisConfig
from retinasim.errors import RetinasimError

ONLY = typer.Option(
    help="Run only these steps (repeatable): behaviour, lesions, ablation, amplitude, tuning, "
    "deepvis, summary."
)


def _check_run_dir(run_dir: Path, command: str) -> None:
    """Refuse what is not a trained run folder, saying what it is instead."""
    from retinasim.run_folder import RunFolder

    if not run_dir.exists():
        raise RetinasimError(f"{run_dir}: no such run folder")
    if not run_dir.is_dir():
        raise RetinasimError(
            f"{run_dir}: is a file, not a run folder; `retinasim {command}` takes the folder "
            "that `retinasim train` or `retinasim run` wrote (their --out)"
        )
    if not RunFolder(run_dir).is_run():
        raise RetinasimError(
            f"{run_dir}: not a run folder (no circuit.yaml); train one first with "
            f"`retinasim run CIRCUIT --out {run_dir}`"
        )


def _analyze(run_dir: Path, config, steps: tuple[str, ...]) -> Path:
    from retinasim.cli.progress import phase_progress
    from retinasim.dissect.pipeline import Dissection
    from retinasim.figures import make_figures
    from retinasim.report import build_report
    from retinasim.run_folder import check_run_files

    # Every saved result this command reads but does not rewrite, checked before writing.
    check_run_files(run_dir, skip_steps=steps)
    with phase_progress() as bars:
        analysis = Dissection(run_dir, config, progress=bars)
        analysis.run(steps)
        bars("figures", 0, 1)
        make_figures(run_dir, circuit=analysis.circuit)
        bars("figures", 1, 1)
    return build_report(run_dir)


@settings_options(AnalysisConfig)
def run(
    circuit: Annotated[Path, typer.Argument(help="Circuit YAML file (with a training section).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write.")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing run in --out.")] = False,
    resume: Annotated[bool, typer.Option(help="Continue training the run in --out.")] = False,
    evaluation_n: Annotated[int, count_option("Held-out stimuli of evaluate.")] = 200,
    processes: Annotated[int | None, PROCESSES] = None,
    threads: Annotated[int | None, THREADS] = None,
    *,
    settings: AnalysisConfig,
) -> None:
    """Train a circuit, evaluate it, run every analysis, draw the figures, write report.html."""
    from retinasim.cli.progress import phase_progress
    from retinasim.cli.train_commands import training_layout
    from retinasim.dissect.pipeline import STEPS
    from retinasim.spec import load_circuit
    from retinasim.training import evaluate_run
    from retinasim.training import train as run_training
    from retinasim.util.lock import run_folder_lock

    if resume and overwrite:
        raise RetinasimError("--resume and --overwrite exclude each other; choose one")

    spec = load_circuit(circuit)
    layout = training_layout(spec, "cpu", processes, threads)
    with run_folder_lock(out):
        with phase_progress() as progress:
            run_training(
                spec,
                out,
                resume=resume,
                overwrite=overwrite,
                progress=progress,
                processes=layout.processes,
                threads=layout.threads,
            )
            evaluate_run(out, n=evaluation_n, progress=progress)
        report = _analyze(out, settings, STEPS)
    typer.echo(f"{out}: report written to {report}")


@settings_options(AnalysisConfig, keep_unset=True)
def analyze(
    run_dir: Annotated[Path, typer.Argument(help="A trained run folder.")],
    only: Annotated[list[str] | None, ONLY] = None,
    *,
    settings: dict,
) -> None:
    """Run the analyses of a trained run (results in RUN_DIR/analysis), then figures and report.

    Sizes not given are those of the run's earlier analysis (analysis/config.json), else
    the defaults (those of `retinasim run`); rerunning some steps with other sizes than the
    saved results is refused (rerun every step instead).
    """
    from retinasim.dissect.pipeline import STEPS
    from retinasim.run_folder import ANALYSIS, read_json
    from retinasim.util.lock import run_folder_lock

    steps = tuple(only) if only else STEPS
    unknown = [step for step in steps if step not in STEPS]
    if unknown:
        raise RetinasimError(f"unknown --only step(s) {unknown}; steps: {', '.join(STEPS)}")
    _check_run_dir(run_dir, "analyze")
    with run_folder_lock(run_dir, create=False):
        saved = read_json(run_dir / ANALYSIS / "config.json", {})
        report = _analyze(run_dir, merged(AnalysisConfig, saved, settings), steps)
    typer.echo(f"{run_dir}: {', '.join(steps)} done; report written to {report}")


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder with analysis results.")],
) -> None:
    """Redraw the figures and rebuild report.html from the saved results (no recomputation)."""
    from retinasim.figures import make_figures
    from retinasim.report import build_report
    from retinasim.run_folder import check_run_files
    from retinasim.training import load_trained
    from retinasim.util.lock import run_folder_lock

    _check_run_dir(run_dir, "report")
    if not (run_dir / "analysis").is_dir():
        raise RetinasimError(
            f"{run_dir} has no analysis/ folder: run `retinasim analyze {run_dir}`"
        )
    with run_folder_lock(run_dir, create=False):
        check_run_files(run_dir)  # a damaged file stops it before any figure is redrawn
        circuit = load_trained(run_dir)
        make_figures(run_dir, circuit=circuit)
        typer.echo(f"report written to {build_report(run_dir)}")


def register(app: typer.Typer) -> None:
    """Add ``run``, ``analyze`` and ``report`` to the command line."""
    app.command()(run)
    app.command()(analyze)
    app.command()(report)
