"""Training commands: ``train`` (write a run folder) and ``evaluate`` (test it)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from retinasim.cli.settings import count_option
from retinasim.errors import RetinasimError

if TYPE_CHECKING:
    from retinasim.spec import CircuitSpec
    from retinasim.util.cpu import CpuLayout


def train(
    circuit: Annotated[Path, typer.Argument(help="Circuit YAML file (with a training section).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write.")],
    device: Annotated[str, typer.Option(help="cpu or cuda (torchrun: one GPU per process).")] = (
        "cpu"
    ),
    resume: Annotated[bool, typer.Option(help="Continue the run in --out from its checkpoint.")] = (
        False
    ),
    overwrite: Annotated[bool, typer.Option(help="Replace an existing run in --out.")] = False,
    steps: Annotated[int | None, typer.Option(help="Optimizer steps.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs over train_size stimuli.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Global batch size.")] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Peak learning rate.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of initialisation and dropout.")] = None,
    alpha: Annotated[float | None, typer.Option(help="Training fast/slow speed ratio.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override any training field, KEY=VALUE (YAML value), e.g. "
            "--set warmup_steps=20 --set stimulus.dot_radius=4 --set dropout=0",
        ),
    ] = None,
    processes: Annotated[int | None, PROCESSES] = None,
    threads: Annotated[int | None, THREADS] = None,
    stop_after: Annotated[
        int | None, typer.Option(hidden=True, help="Stop after N steps, as if interrupted.")
    ] = None,
) -> None:
    """Train a circuit on the moving-dots task; write checkpoints, metrics and provenance.

    Settings come from the circuit's training section; options override them. Under torchrun
    every process trains on its share of each batch (data parallel) and process 0 writes.
    """
    from retinasim.cli.progress import phase_progress
    from retinasim.spec import load_circuit
    from retinasim.training import train as run_training
    from retinasim.training.overrides import apply_overrides, parse_assignment

    if resume and overwrite:
        raise RetinasimError("--resume and --overwrite exclude each other; choose one")
    overrides: dict[str, Any] = dict(parse_assignment(text) for text in set_ or [])
    options = {
        "steps": steps,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": lr,
        "seed": seed,
        "stimulus.alpha": alpha,
    }
    overrides.update({key: value for key, value in options.items() if value is not None})
    spec = apply_overrides(load_circuit(circuit), overrides)

    layout = training_layout(spec, device, processes, threads)
    with phase_progress() if _is_main() else contextlib.nullcontext() as progress:
        metrics = run_training(
            spec,
            out,
            device=device,
            resume=resume,
            overwrite=overwrite,
            progress=progress,
            stop_after=stop_after,
            processes=layout.processes,
            threads=layout.threads,
        ).metrics
    if metrics and _is_main():
        print(
            f"{out}: {metrics['status']} after {metrics['steps']} steps "
            f"({metrics['stimuli_seen']} stimuli, {metrics['wall_time_s']:.1f} s); "
            f"loss {_fmt(metrics['loss'])}, validation accuracy "
            f"{_fmt(metrics['validation_accuracy'])}"
        )


PROCESSES = typer.Option(
    help="Data-parallel CPU processes (default: one per core that divides the batch)."
)
THREADS = typer.Option(help="CPU threads per process (default: the cores left to each).")


def training_layout(
    spec: CircuitSpec, device: str, processes: int | None, threads: int | None
) -> CpuLayout:
    """The :class:`~retinasim.util.cpu.CpuLayout` of a training command's run.

    On the CPU without torchrun: :func:`~retinasim.util.cpu.cpu_layout` with the user's
    choices; on a GPU or under torchrun: this one process, ``threads`` if given.
    """
    from retinasim.util.cpu import CpuLayout, cpu_layout
    from retinasim.util.resources import check_threads

    for name, value in (("--processes", processes), ("--threads", threads)):
        if value is not None and value < 1:
            raise RetinasimError(f"{name} must be at least 1, got {value}")
        check_threads(name, value)
    if processes is not None and threads is not None:
        check_threads("--processes x --threads", processes * threads)
    batch = spec.training.batch_size
    if processes is not None and batch % processes:
        raise RetinasimError(
            f"--processes {processes} does not divide the batch size {batch}; "
            f"use a divisor of {batch}"
        )
    if device != "cpu" or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        if processes not in (None, 1):
            raise RetinasimError("--processes is for CPU training; use torchrun for GPUs")
        return CpuLayout(1, threads)
    size = spec.input.channels * spec.input.frames * spec.input.size[0] * spec.input.size[1]
    return cpu_layout(batch, stimulus_values=size, processes=processes, threads=threads)


def _is_main() -> bool:
    return os.environ.get("RANK", "0") == "0"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def evaluate(
    ctx: typer.Context,
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by retinasim train.")],
    alpha: Annotated[
        list[float] | None,
        typer.Option(
            help="Speed ratios to test: --alpha 1 1.7 2 (default: 1, 1.7, 2; a task without "
            "a speed ratio: as trained)."
        ),
    ] = None,
    n: Annotated[int, count_option("Held-out test stimuli per alpha.", "--n")] = 1000,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    batch_size: Annotated[
        int, typer.Option(min=1, max=65_536, help="Stimuli per forward pass.")
    ] = 16,
) -> None:
    """Accuracy on held-out test stimuli, overall, by s decile and by fast direction.

    Also saves the labelled result as evaluation.nc (netCDF) in the run folder.
    """
    from rich.console import Console

    from retinasim.cli.progress import phase_progress
    from retinasim.run_folder import EVALUATION, RunFolder
    from retinasim.training.evaluate import evaluate_run, evaluation_alphas
    from retinasim.training.evaluation_table import evaluation_json, evaluation_table
    from retinasim.util.lock import run_folder_lock

    alphas = list(alpha or [])
    for extra in ctx.args:  # the values after the first one of "--alpha 1 1.7 2"
        try:
            alphas.append(float(extra))
        except ValueError:
            raise RetinasimError(f"unexpected argument {extra!r}") from None
    if ctx.args and not alpha:
        raise RetinasimError(f"unexpected arguments {' '.join(ctx.args)}")
    if any(not math.isfinite(a) for a in alphas):
        raise RetinasimError(f"--alpha values must be finite, got {alphas}")

    with run_folder_lock(run_dir, create=False):
        tested = evaluation_alphas(RunFolder(run_dir).load_spec(), alphas or None)
        with phase_progress() as progress:
            dataset = evaluate_run(
                run_dir, alphas=tested, n=n, device=device, batch_size=batch_size, progress=progress
            )
    if json_:
        json.dump(evaluation_json(dataset, run_dir), sys.stdout, indent=2)
        print()
    else:
        console = Console(width=200)
        console.print(evaluation_table(dataset, run_dir))
        console.print(f"saved {run_dir / EVALUATION}")


def register(app: typer.Typer) -> None:
    """Register the training commands on ``app``."""
    app.command()(train)
    app.command(context_settings={"allow_extra_args": True})(evaluate)
