"""The training loop: Adam on the readout frame's cross-entropy, with exact resume.

Every step is a pure function of ``(spec, step)`` and the state before it (stimuli from
:func:`~retinasim.training.data.train_indices`, dropout masks seeded with ``(seed, step,
rank)``, the learning rate from :mod:`~retinasim.training.schedule`), so a resumed run reaches
bit-identical weights (on the same device and thread count) as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from retinasim.circuit import Circuit
from retinasim.compile import compile_circuit
from retinasim.provenance import provenance
from retinasim.run_folder import HISTORY, METRICS, PROVENANCE, RunFolder
from retinasim.spec import CircuitSpec, spec_hash
from retinasim.spec.training import Initialisation
from retinasim.task import task_generator
from retinasim.training import distributed
from retinasim.training.activity import ActivityMeter
from retinasim.training.checkpoint import load_checkpoint, restore, save_checkpoint
from retinasim.training.data import derived_seed, train_indices
from retinasim.training.errors import (
    DivergenceError,
    TrainingError,
    TrainingInterrupted,
)
from retinasim.training.inference import predict, training_loss
from retinasim.training.normalise import normalise_drives
from retinasim.training.schedule import dropout_probability, learning_rate
from retinasim.util.cpu import release_freed_memory, tune_cpu_allocator
from retinasim.util.lock import run_folder_lock
from retinasim.util.progress import Progress, silent

logger = logging.getLogger(__name__)

TASK = "training"
"""The progress task of a training run: steps done of all steps."""

MAX_LEARNING_RATE = 1e3
"""Larger peak learning rates are refused up front (Adam's steps overflow long before)."""


def train(
    spec: CircuitSpec,
    out: str | Path,
    *,
    device: str = "cpu",
    resume: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
    stop_after: int | None = None,
    processes: int = 1,
    threads: int | None = None,
) -> TrainedRun:
    """Train ``spec`` (its ``training`` section) into the run folder ``out``
    (:mod:`retinasim.run_folder`); return the trained run.

    ``device``: ``cpu`` or ``cuda`` (under torchrun one GPU per process). ``resume``
    continues the run in ``out`` from its checkpoint (if any); ``overwrite`` replaces it.
    ``progress`` is told the steps done (task :data:`TASK`) at the start and at every logged
    step, with loss, accuracy and speed as its note. ``stop_after`` stops after this many
    steps of this session as if killed (for tests of ``resume``). ``processes`` > 1 spawns
    that many data-parallel CPU processes, each training on ``batch_size / processes``
    stimuli of every step (ignored under torchrun). ``threads``: PyTorch threads of each
    process (default: 1 per spawned process, else unchanged). Raises RunFolderError,
    CheckpointError, DivergenceError or TrainingError.
    """
    from retinasim.training.memory import check_training_memory
    from retinasim.util.resources import check_threads

    rate = spec.training.learning_rate
    if not math.isfinite(rate) or rate > MAX_LEARNING_RATE:  # Adam's steps would overflow
        raise TrainingError(
            f"learning_rate {rate:g} is absurd (more than {MAX_LEARNING_RATE:g}); Adam moves "
            "each weight by about the learning rate per step: use e.g. 1e-3 to 1e-2"
        )
    if str(device).partition(":")[0] == "cpu":
        tune_cpu_allocator()  # up to 2x faster steps (retinasim.util.cpu); harmless if repeated
    check_threads("processes", processes)
    check_threads("threads", threads)
    launched = distributed.launched()
    if not launched:
        check_training_memory(spec, processes)
    writer = not launched or os.environ.get("RANK", "0") == "0"
    with run_folder_lock(out) if writer else contextlib.nullcontext():
        if processes > 1 and not launched:
            # Refuse a bad folder here, with its own error; the processes then resume from it.
            RunFolder(out).prepare(spec, resume=resume, overwrite=overwrite)
            with _handlers(_forward_signals()):
                metrics = distributed.spawn_local(
                    train,
                    spec,
                    processes,
                    threads_per_process=threads or 1,
                    out=out,
                    resume=True,
                    progress=progress,
                    stop_after=stop_after,
                )
            from retinasim.training.evaluate import load_trained

            history = RunFolder(out).read_json(HISTORY, [])
            return TrainedRun(Path(out), metrics, history, load_trained(out))
        if threads is not None:
            torch.set_num_threads(threads)
        stop = _Stop(escalate=not launched)
        with _handlers(stop):
            context = distributed.setup(device)
            try:
                shown = progress if progress and context.is_main else silent
                run = _Run(spec, RunFolder(out), context, shown, stop)
                try:
                    metrics = run.go(resume, overwrite, stop_after)
                except TrainingInterrupted:
                    if context.is_main:
                        raise
                    metrics = {}  # rank 0 reports it; the others leave quietly
                else:
                    distributed.barrier(context)  # no rank leaves the group while another uses it
                return TrainedRun(Path(out), metrics, run.history, run.circuit.eval())
            finally:
                distributed.teardown(context)


@dataclass
class TrainedRun:
    """What :func:`train` returns: the run folder, the final metrics (``metrics.json``; empty
    on a non-main process of an interrupted run), the history (``history.json``, one row per
    logged step) and the trained circuit in eval mode."""

    path: Path
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    circuit: Circuit


def _summary(row: dict[str, Any]) -> str:
    """The progress note of a history row: loss, accuracy, speed, learning rate, dropout."""
    parts = [f"loss {row['loss']:.4f}", f"acc {row['train_accuracy']:.3f}"]
    if row.get("validation_accuracy") is not None:
        parts.append(f"val {row['validation_accuracy']:.3f}")
    parts.append(f"{row['stimuli_per_s']:.1f} stim/s")
    parts.append(f"lr {row['learning_rate']:.2e}")
    if row.get("dropout"):
        parts.append(f"dropout {row['dropout']:.2f}")
    return "  ".join(parts)


class _Stop:
    """Set by SIGINT/SIGTERM: the loop finishes its step, checkpoints and stops."""

    def __init__(self, escalate: bool) -> None:
        self.signal: int | None = None
        self.escalate = escalate

    def __call__(self, signum: int, frame: Any) -> None:
        if self.signal is not None and self.escalate:
            raise KeyboardInterrupt  # a second Ctrl-C: stop at once
        self.signal = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signal).name if self.signal is not None else "a signal"


@contextlib.contextmanager
def _handlers(handler: Any) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; leave them alone
        return
    before = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, previous in before.items():
            signal.signal(number, previous)


def _forward_signals() -> Callable[[int, Any], None]:
    """The signal handler of the process that spawned the training processes: it passes
    SIGINT/SIGTERM on to them (they checkpoint and stop; rank 0 reports); a second one kills
    them."""
    import multiprocessing

    received: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        for child in multiprocessing.active_children():
            with contextlib.suppress(OSError):
                if child.pid is not None:  # (an active child has started)
                    os.kill(child.pid, signal.SIGKILL if received else signal.SIGTERM)
        if received:
            raise KeyboardInterrupt
        received.append(signum)

    return forward


class _Run:
    def __init__(
        self,
        spec: CircuitSpec,
        run: RunFolder,
        context: distributed.Context,
        progress: Progress,
        stop: _Stop,
    ) -> None:
        self.spec, self.run, self.context, self.progress = spec, run, context, progress
        self.stop = stop
        self.training = spec.training
        self.hash = spec_hash(spec)
        self.total = self.training.total_steps()
        self.circuit = compile_circuit(spec, seed=self.training.seed, device=context.device)
        # this training run's dropout (the circuit's unless the training section sets one)
        self.dropout = self.circuit.dropout_p
        if self.training.dropout is not None:
            self.dropout = self.circuit.dropout_p = self.training.dropout
        self.optimizer = torch.optim.Adam(
            [{"params": [p], "lr_factor": 1.0} for p in self.circuit.parameters()],
            lr=self.training.learning_rate,
            betas=self.training.betas,
            weight_decay=self.training.weight_decay,
        )
        self.history: list[dict[str, Any]] = []
        self.step = 0
        self.train_time = 0.0

    # -- setup -------------------------------------------------------------------------
    def _restore(self, resume: bool, overwrite: bool) -> None:
        if self.context.is_main:
            self.run.prepare(self.spec, resume=resume, overwrite=overwrite)
        distributed.barrier(self.context)
        if not (resume and self.run.checkpoint.is_file()):
            self._initialise()
            return
        # (no random-number state to restore: every step seeds its own dropout masks)
        state = restore(self.circuit, self.run.checkpoint, self.spec, self.optimizer)
        self.step = int(state["step"])
        # Rows are logged at every checkpoint step, so the history up to the checkpoint is
        # whole; each row's window_steps says how many steps its loss and accuracy average.
        self.history = [row for row in self.run.read_json(HISTORY, []) if row["step"] <= self.step]
        if self.context.is_main:
            logger.info("resuming %s from step %d", self.run.path, self.step)

    def _initialise(self) -> None:
        training = self.training
        if self.context.is_main:  # the other processes receive the same weights from it
            if training.init_readout_scale != 1.0:
                with torch.no_grad():
                    self.circuit.readout.weight.mul_(training.init_readout_scale)
            if training.init is Initialisation.normalised:
                batch = task_generator(self.spec).generate(
                    range(training.init_stimuli),
                    seed=training.stimulus_seeds.train,
                    device=self.context.device,
                )
                normalise_drives(
                    self.circuit,
                    batch.video,
                    target_std=training.init_drive_std,
                    active_fraction=training.init_active_fraction,
                )
                del batch
                release_freed_memory()  # the one-off peak would otherwise stay resident
        distributed.broadcast_parameters(self.circuit, self.context)
        if training.relative_lr:
            for group in self.optimizer.param_groups:
                (parameter,) = group["params"]
                rms = float(parameter.detach().pow(2).mean().sqrt())
                group["lr_factor"] = rms if parameter.ndim > 1 and rms > 0 else 1.0

    def _write_provenance(self, status: str, wall: float) -> None:
        record = provenance(
            seed=self.training.seed,
            spec_hash=self.hash,
            device=str(self.context.device),
            wall_time_s=wall,
            spec=self.spec,
            train_time_s=round(self.train_time, 3),
            world_size=self.context.world,
            threads=torch.get_num_threads(),
            layout=f"{self.context.world} process(es) x {torch.get_num_threads()} thread(s)",
            circuit=self.spec.name,
            status=status,
        )
        self.run.write_json(PROVENANCE, record)

    # -- the loop ------------------------------------------------------------------------
    def go(self, resume: bool, overwrite: bool, stop_after: int | None) -> dict[str, Any]:
        self._restore(resume, overwrite)
        main = self.context.is_main
        last = self.history[-1] if self.history else {}
        wall0, self.train_time = last.get("wall_time_s", 0.0), last.get("train_time_s", 0.0)
        started = time.perf_counter()
        if main:
            self._write_provenance("running", wall0)
        model = distributed.wrap(self.circuit, self.context)
        self.meter = ActivityMeter(self.circuit)
        self.warned_silent = False
        generator = task_generator(self.spec)
        window = [0.0, 0.0, 0.0, 0]  # loss sum, correct, seconds, steps
        self.progress(TASK, self.step, self.total)
        interrupted = False
        training = self.training
        last_step = self.total if stop_after is None else min(self.total, self.step + stop_after)
        try:
            while self.step < last_step:
                tic = time.perf_counter()
                loss_sum, correct, interrupted = self._one_step(model, generator)
                seconds = time.perf_counter() - tic
                for k, value in enumerate((loss_sum, correct, seconds, 1)):
                    window[k] += value
                self.train_time += seconds
                end = self.step == self.total
                checkpoint = self.step % training.checkpoint_every == 0 or end or interrupted
                if self.step % training.log_every == 0 or checkpoint:
                    self._log(window, wall0 + time.perf_counter() - started)
                    window = [0.0, 0.0, 0.0, 0]
                if checkpoint:
                    self._checkpoint()
                if interrupted:
                    break
        except DivergenceError:
            raise  # its files already say "diverged"
        except BaseException as error:
            if main:  # out of memory or time, a second Ctrl-C: the run is not running any more
                status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
                self._write_provenance(status, wall0 + time.perf_counter() - started)
            raise
        finally:
            self.meter.close()
        wall = wall0 + time.perf_counter() - started
        metrics = self._final_metrics(wall)
        if main:
            self.run.write_json(METRICS, metrics)
            self._write_provenance(metrics["status"], wall)
        if interrupted and metrics["status"] == "interrupted":
            stopped = TrainingInterrupted(
                f"{self.run.path}: interrupted by {self.stop.name} at step {self.step} of "
                f"{self.total}; checkpoint saved, continue with `retinasim train CIRCUIT "
                f"--out {self.run.path} --resume`"
            )
            stopped.exit_code = 128 + (self.stop.signal or signal.SIGINT)  # 130, 143 for TERM
            raise stopped
        return metrics

    def _clean_loss(self, video: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The batch's loss without dropout (``clean_loss_weight``), through the bare circuit
        (a second pass of the DistributedDataParallel wrapper before its backward would confuse
        its gradient bookkeeping; the one backward of the summed loss reaches every parameter)."""
        dropout, self.circuit.dropout_p = self.circuit.dropout_p, 0.0
        try:
            return training_loss(self.circuit(video), labels, self.spec)[0]
        finally:
            self.circuit.dropout_p = dropout

    def _one_step(self, model: torch.nn.Module, generator: Any) -> tuple[float, float, bool]:
        training, context = self.training, self.context
        rate = learning_rate(training, self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = rate * group["lr_factor"]
        self.circuit.dropout_p = dropout_probability(training, self.step, self.dropout)
        indices = train_indices(training, self.step, context.rank, context.world)
        batch = generator.generate(
            indices, seed=training.stimulus_seeds.train, device=context.device
        )
        torch.manual_seed(derived_seed(training.seed, self.step, context.rank))
        model.train()
        video = batch.video
        with self.meter.watching():
            output = model(video)
        loss, logits = training_loss(output, batch.labels, self.spec)
        if training.clean_loss_weight > 0 and self.circuit.dropout_p > 0:
            loss = loss + training.clean_loss_weight * self._clean_loss(video, batch.labels)
        correct = (logits.argmax(1) == batch.labels).sum()
        # Every rank learns whether any was asked to stop, so that all stop at the same step.
        loss_sum, correct_sum, stops = distributed.global_sums(
            context,
            [loss.item() * len(indices), float(correct), float(self.stop.signal is not None)],
        )
        if not math.isfinite(loss_sum):
            self._diverged(loss_sum / training.batch_size, rate)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if training.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), training.grad_clip)
        try:
            self.optimizer.step()
        except (OverflowError, ZeroDivisionError):
            self._diverged(float("inf"), rate, "optimizer step")
        self.circuit.project_constraints()
        self.step += 1
        return loss_sum, correct_sum, stops > 0

    # -- outputs ---------------------------------------------------------------------------
    def _validation_accuracy(self) -> float | None:
        training = self.training
        due = training.eval_every and self.step % training.eval_every == 0
        if not (due or self.step == self.total) or not self.context.is_main:
            return None
        result = predict(
            self.circuit,
            task_generator(self.spec),
            seed=training.stimulus_seeds.validation,
            count=training.validation_size,
            device=self.context.device,
            batch_size=training.batch_size,
        )
        return float(result["correct"].mean())

    def _log(self, window: list[float], wall: float) -> None:
        activity = self.meter.take(distributed.global_sums(self.context, self.meter.totals()))
        validation = self._validation_accuracy()
        stimuli = int(window[3]) * self.training.batch_size
        row = {
            "step": self.step,
            "stimuli_seen": self.step * self.training.batch_size,
            "wall_time_s": round(wall + 0.0, 3),
            "train_time_s": round(self.train_time, 3),
            "learning_rate": learning_rate(self.training, self.step - 1),
            "dropout": dropout_probability(self.training, self.step - 1, self.dropout),
            "loss": window[0] / stimuli,
            "train_accuracy": window[1] / stimuli,
            "stimuli_per_s": stimuli / max(window[2], 1e-9),
            "window_steps": int(window[3]),
            "validation_accuracy": validation,
            **activity,
        }
        self.history.append(row)
        self._warn_if_silent(row)
        if self.context.is_main:
            self.run.write_json(HISTORY, self.history)
        self.progress(TASK, self.step, self.total, _summary(row))

    def _warn_if_silent(self, row: dict[str, Any]) -> None:
        """Say once when no cell of the readout layer fired over a whole log window."""
        layer = self.spec.readout.layer
        if self.warned_silent or row["active_fraction"].get(layer) != 0.0:
            return
        self.warned_silent = True
        if not self.context.is_main:  # every process has the same row; one says it
            return
        logger.warning(
            "no %s cell was active in steps %d-%d: the decoder sees a constant, and the loss "
            "stays at ln 2 unless cells come back (history.json: active_fraction; "
            "docs/training.md, 'Collapse')",
            layer,
            row["step"] - row["window_steps"] + 1,
            row["step"],
        )

    def _checkpoint(self) -> None:
        if not self.context.is_main:
            return
        if not all(torch.isfinite(p).all() for p in self.circuit.parameters()):
            self._diverged(float("nan"), learning_rate(self.training, self.step - 1), "weights")
        save_checkpoint(
            self.run.checkpoint,
            model=self.circuit,
            optimizer=self.optimizer,
            step=self.step,
            spec_hash=self.hash,
        )

    def _diverged(self, value: float, rate: float, what: str = "loss") -> None:
        kept = "no checkpoint was written yet"
        if self.run.checkpoint.is_file():
            step = load_checkpoint(self.run.checkpoint)["step"]
            kept = f"the last good checkpoint (step {step}) is kept in {self.run.checkpoint}"
        message = (
            f"training stopped: the {what} became {value} at step {self.step + 1} "
            f"(learning rate {rate:g}); {kept}. Lower the learning rate or set grad_clip."
        )
        if self.context.is_main:
            self.run.write_json(HISTORY, self.history)
            self.run.write_json(METRICS, {**self._final_metrics(None), "status": "diverged"})
            wall = self.history[-1].get("wall_time_s", 0.0) if self.history else 0.0
            self._write_provenance("diverged", wall)
        raise DivergenceError(message)

    def _final_metrics(self, wall: float | None) -> dict[str, Any]:
        last = self.history[-1] if self.history else {}
        validations = [r.get("validation_accuracy") for r in self.history]
        return {
            "status": "completed" if self.step >= self.total else "interrupted",
            "steps": self.step,
            "total_steps": self.total,
            "stimuli_seen": self.step * self.training.batch_size,
            "loss": last.get("loss"),
            "train_accuracy": last.get("train_accuracy"),
            "validation_accuracy": next((v for v in reversed(validations) if v is not None), None),
            "validation_size": self.training.validation_size,
            "wall_time_s": None if wall is None else round(wall, 3),
            "train_time_s": round(self.train_time, 3),
            "spec_hash": self.hash,
        }
