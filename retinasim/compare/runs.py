"""Train, evaluate and dissect every (circuit, seed) of a comparison, resumably and in parallel.

``OUT/runs/<circuit>/seed<k>/`` is a run folder plus ``evaluation.nc`` and ``dissection.json``;
a reference model is imported (not trained) into ``OUT/reference/<name>/``. A finished run is
not retrained, an interrupted one resumes from its checkpoint, evaluation and dissection are
redone only when missing, damaged or made with other settings; a failed run becomes a failed
row. Locally each run has a worker process of its own (:func:`run_all`): one that dies is
started once more, and every worker dies with the comparison.
"""

from __future__ import annotations

import json
import logging
import os
import reprlib
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from retinasim.compare.rows import summary_row
from retinasim.compare.settings import RunSettings
from retinasim.errors import RunFolderError
from retinasim.util.cpu import usable_cores
from retinasim.util.files import append_line, atomic_write_text, make_folder
from retinasim.util.fingerprint import source_hash

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)

DISSECTION = "dissection.json"
RETRIES = 1
"""How many more times a run whose worker process died is started before it is a failed row."""
TERMINATE_GRACE_S = 10.0
"""Seconds a stopped comparison waits for each worker to checkpoint before it kills it."""
DISSECTION_CODE = ("retinasim.compare.dissect", "retinasim.dissect", "retinasim.analysis")
"""The code a light dissection runs: a saved ``dissection.json`` records the hash of its
source (:func:`dissection_code`) beside its settings, and is redone when either differs."""
REFERENCES = {"authors": "murray2021"}
"""``--reference`` names: ``authors`` is the authors' trained model of the paper (``model.pt``);
any name of :data:`retinasim.authors.MODELS` is accepted too."""


@dataclass(frozen=True)
class RunJob:
    """One (circuit, seed) of a comparison and how to process it."""

    circuit_file: str
    label: str
    seed: int
    out: str
    settings: RunSettings = field(default_factory=RunSettings)
    threads: int = 1
    reference: str | None = None
    """A shipped authors' model (:data:`REFERENCES` or a name of
    :data:`retinasim.authors.MODELS`) imported instead of training ``circuit_file``."""

    @property
    def folder(self) -> Path:
        """The run folder of this job."""
        if self.reference is not None:
            return Path(self.out) / "reference" / self.reference
        return Path(self.out) / "runs" / self.label / f"seed{self.seed}"


def reference_job(
    reference: str,
    out: str | Path,
    *,
    seed: int = 0,
    settings: RunSettings | None = None,
    threads: int = 1,
) -> RunJob:
    """The job that imports, evaluates and dissects a reference model: its row's circuit is
    ``"<reference> (reference)"`` and its ``seed`` a placeholder (no training happened)."""
    from retinasim.authors import MODELS

    model = REFERENCES.get(reference, reference)
    if model not in MODELS:
        known = ", ".join([*REFERENCES, *MODELS])
        raise ValueError(f"--reference {reprlib.repr(reference)}: unknown model (known: {known})")
    label = f"{reference} (reference)"
    return RunJob("", label, seed, str(out), settings or RunSettings(), threads, reference)


def run_job(job: RunJob) -> dict[str, Any]:
    """Train (or resume), evaluate and dissect one run; a JSON-ready summary row (never
    raises: a failure is a ``status: failed`` row with the error)."""
    try:
        return _run(job)
    except Exception as error:  # one bad run must not stop the comparison
        row = failed_row(job, f"{type(error).__name__}: {error}")
        return {**row, "traceback": traceback.format_exc(limit=5)}


def _run(job: RunJob) -> dict[str, Any]:
    import torch

    from retinasim.spec import load_circuit
    from retinasim.training import apply_overrides, evaluate_run, train
    from retinasim.util.cpu import tune_cpu_allocator

    torch.set_num_threads(job.threads)
    tune_cpu_allocator()  # a spawned worker starts with the default allocator
    folder = job.folder
    metrics = _read_json(folder / "metrics.json")
    trained_now = metrics.get("status") != "completed"
    if trained_now and job.reference is not None:
        from retinasim.authors import import_authors

        make_folder(folder.parent)  # the authors' rendering of the dots, in its circuit.yaml
        model = REFERENCES.get(job.reference, job.reference)
        import_authors(model, folder, overwrite=folder.exists(), rendering="authors")
        metrics = _read_json(folder / "metrics.json")
    elif trained_now:
        overrides = {**job.settings.overrides, "seed": job.seed}
        spec = apply_overrides(load_circuit(job.circuit_file), overrides)
        make_folder(folder.parent)
        _log_attempt(folder)
        metrics = train(spec, folder, resume=True).metrics
    evaluation = _evaluation(job, folder, fresh=trained_now)
    if evaluation is None:
        evaluation = evaluate_run(folder, alphas=job.settings.alphas, n=job.settings.n_eval)
    dissection = _dissection(job, folder, fresh=trained_now)
    return summary_row(job, metrics, evaluation, dissection)


def _log_attempt(folder: Path) -> None:
    """Append the host, process and checkpoint step of a (re)started training to
    ``seed<k>.attempts.jsonl`` beside the run folder: where a retried run resumed."""
    import socket

    step = None
    checkpoint = folder / "checkpoint.pt"
    if checkpoint.is_file():
        import torch

        with suppress(Exception):  # unreadable: training itself reports it
            step = int(torch.load(checkpoint, map_location="cpu", weights_only=True)["step"])
    entry = {"time": time.time(), "host": socket.gethostname(), "pid": os.getpid()}
    entry["checkpoint_step"] = step
    append_line(folder.parent / f"{folder.name}.attempts.jsonl", json.dumps(entry))


def _evaluation(job: RunJob, folder: Path, *, fresh: bool) -> xr.Dataset | None:
    """The saved evaluation when it was made with the job's settings (else ``None``: one
    that is damaged is evaluated again too)."""
    from retinasim.run_folder import EVALUATION, read_netcdf

    if fresh:
        return None
    try:
        saved = read_netcdf(folder / EVALUATION)
    except RunFolderError as error:
        logger.warning("%s (evaluating the run again)", error)
        return None
    if saved is None or "alpha" not in saved.coords:
        return None
    alphas = [float(a) for a in job.settings.alphas]
    try:
        n = int(saved.attrs.get("n_trials", -1))
        same = n == job.settings.n_eval and [float(a) for a in saved["alpha"].values] == alphas
    except (TypeError, ValueError):  # a forged attribute: evaluated again
        same = False
    return saved if same else None


def dissection_code() -> str:
    """The hash of the light dissection's source code (:data:`DISSECTION_CODE`)."""
    return source_hash(*DISSECTION_CODE)


def _dissection(job: RunJob, folder: Path, *, fresh: bool) -> dict[str, Any]:
    """The saved light dissection when it was made with the job's settings by the current
    code (else a new one, saved)."""
    from retinasim.compare.dissect import light_dissection

    n, threshold = job.settings.n_dissect, job.settings.threshold
    settings = {"n": n, "threshold": threshold, "code": dissection_code()}
    saved = _read_json(folder / DISSECTION)
    if not fresh and saved.get("settings") == settings:
        return saved
    dissection = light_dissection(folder, n=n, threshold=threshold)
    dissection["settings"] = settings
    atomic_write_text(folder / DISSECTION, json.dumps(dissection, indent=2))
    return dissection


def run_all(
    jobs: list[RunJob],
    *,
    workers: int,
    progress: Callable[[dict[str, Any]], object] | None = None,
) -> list[dict[str, Any]]:
    """Process ``jobs`` with at most ``workers`` processes at once (1: in this process); rows
    in job order. Each job runs in a process of its own, which dies with this one: a process
    that dies (the out-of-memory killer, ``kill -9``) costs only its own run, which is started
    :data:`RETRIES` more time(s) (its training resumes from its checkpoint), then is a failed
    row saying how its process ended."""
    rows: dict[int, dict[str, Any]] = {}
    if workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            rows[i] = run_job(job)
            if progress:
                progress(rows[i])
        return list(rows.values())
    queued, attempts = deque(range(len(jobs))), [0] * len(jobs)
    running: dict[Connection, tuple[int, BaseProcess]] = {}
    try:
        while queued or running:
            while queued and len(running) < workers:
                i = queued.popleft()
                attempts[i] += 1
                reader, process = _start(jobs[i])
                running[reader] = (i, process)
            ready = wait(list(running))
            for reader in [reader for reader in list(running) if reader in ready]:
                i, process = running.pop(reader)
                row = _receive(reader, process)
                if row is None:
                    how = _ended(process.exitcode)
                    if attempts[i] <= RETRIES:
                        job = jobs[i]
                        died = f"{job.label} seed {job.seed}: worker process died ({how})"
                        logger.warning("%s; starting it again", died)
                        queued.append(i)
                        continue
                    times = f" {attempts[i]} times" if attempts[i] > 1 else ""
                    row = failed_row(jobs[i], f"worker process died{times} ({how})")
                rows[i] = row
                if progress:
                    progress(row)
    except BaseException:  # Ctrl-C, SIGTERM (see terminate_on_sigterm): stop the workers too
        _terminate([process for _, process in running.values()])
        raise
    return [rows[i] for i in range(len(jobs))]


def _start(job: RunJob) -> tuple[Connection, BaseProcess]:
    """Start a (spawned) worker process on ``job``; the end of the pipe it sends its row to."""
    context = get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_job_process, args=(job, writer, os.getpid()))
    process.start()
    writer.close()  # the reader then sees the end of the pipe when the process dies
    return reader, process


def _job_process(job: RunJob, writer: Connection, parent: int) -> None:
    """A worker process: :func:`run_job`, its row sent through ``writer``; it dies with the
    process ``parent`` that started it."""
    _die_with_parent(parent)
    try:
        row = run_job(job)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the parent reports it
        return
    writer.send(row)
    writer.close()


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux ``PR_SET_PDEATHSIG``),
    elsewhere a thread that polls :func:`os.getppid`: orphans would train on, holding their
    runs' locks."""
    import ctypes

    try:
        pdeathsig = ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL) == 0
    except (OSError, AttributeError):  # no prctl: not Linux
        pdeathsig = False
    if not pdeathsig:

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=watch, daemon=True, name="die-with-parent").start()
    if os.getppid() != parent:  # the parent died before the request
        os.kill(os.getpid(), signal.SIGKILL)


def _receive(reader: Connection, process: BaseProcess) -> dict[str, Any] | None:
    """The row a worker process sent through ``reader`` (None: it died first); waits for it
    to end."""
    try:
        row = reader.recv()
    except (EOFError, OSError):
        row = None
    finally:
        reader.close()
    process.join()
    return row


def _ended(exitcode: int | None) -> str:
    """How a process ended, from its exit code (``killed by signal 9, SIGKILL: out of
    memory?``: the out-of-memory killer sends SIGKILL)."""
    if exitcode is None or exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = "an unknown signal"
    hint = ": out of memory?" if -exitcode == signal.SIGKILL else ""
    return f"killed by signal {-exitcode}, {name}{hint}"


def collect(
    completed: Iterable[Any],
    index: Mapping[Any, int],
    jobs: Sequence[RunJob],
    failure: str,
    progress: Callable[[dict[str, Any]], object] | None,
) -> list[dict[str, Any]]:
    """The rows of ``jobs`` in job order from their futures (``index``: future → job index)
    as they complete; a future that raised becomes a failed row (``failure``: what)."""
    rows: dict[int, dict[str, Any]] = {}
    for future in completed:
        job = jobs[index[future]]
        try:
            row = future.result()
        except Exception as error:
            row = failed_row(job, f"{failure}: {type(error).__name__}: {error}")
        rows[index[future]] = row
        if progress:
            progress(row)
    return [rows[i] for i in range(len(jobs))]


def _terminate(workers: list[BaseProcess]) -> None:
    """Stop the worker processes ``workers`` now; their runs resume from their checkpoints
    later (queued runs were never started)."""
    for process in workers:
        process.terminate()  # a training checkpoints at the end of its step and stops
    for process in workers:
        process.join(timeout=TERMINATE_GRACE_S)
        if process.is_alive():
            process.kill()
            process.join(timeout=TERMINATE_GRACE_S)


@contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit(143)`` in the main thread, so that cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> NoReturn:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def failed_row(job: RunJob, error: str) -> dict[str, Any]:
    """The comparison row of a run that could not finish."""
    return {
        "circuit": job.label,
        "seed": job.seed,
        "status": "failed",
        "reference": job.reference is not None,
        "error": error,
    }


def plan_workers(n_jobs: int, jobs: int | None = None) -> tuple[int, int]:
    """``(processes, torch threads per process)`` for ``n_jobs`` runs on this machine's cores."""
    cores = usable_cores()
    processes = max(1, min(n_jobs, jobs if jobs else cores))
    return processes, max(1, cores // processes)


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object of ``path``; ``{}`` when it is missing or damaged (redone then)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}
