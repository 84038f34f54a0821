"""Run a comparison's (circuit, seed) jobs on Dask distributed: an existing scheduler, or a
batch-system cluster started through dask-jobqueue (SLURM, PBS, SGE, LSF). A task lost with
its worker runs again elsewhere and resumes from its checkpoint. See ``docs/cluster.md``.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from retinasim.compare.settings import KINDS, scheduler_address
from retinasim.errors import RetinasimError
from retinasim.util.assignments import parse_assignment

if TYPE_CHECKING:
    from dask_jobqueue.core import JobQueueCluster

CONNECT_TIMEOUT_S = 10
"""How long ``--scheduler`` waits for the scheduler before giving up."""


_LISTS = {"job-extra": "job_extra_directives", "prologue": "job_script_prologue"}
_INTEGERS = {"cores", "processes", "jobs"}
_TEXTS = {"queue", "account", "project", "interface", "local-directory", "log-directory"}
_TEXTS |= {"python", "name", "resource-spec"}
OPTION_KEYS = sorted({*_LISTS, *_INTEGERS, *_TEXTS, "memory", "walltime"})
"""Keys accepted by ``--cluster-option KEY=VALUE`` (``job-extra``, ``prologue`` repeatable)."""
MAX_INTEGER = 4096
"""Largest ``cores``, ``processes`` or ``jobs`` accepted."""
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_.,:=@+/~%-]+")
"""What a name, queue, account or path may hold: these go into the batch script and the
worker command line as they are, so no space, quote, ``$``, backtick, ``;`` or newline."""


class ClusterError(RetinasimError):
    """A Dask scheduler or batch-system cluster that cannot be used as asked."""

    exit_code = 2


def parse_cluster_options(texts: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` texts as keyword arguments of a dask-jobqueue cluster (plus ``jobs``);
    ClusterError for text without ``=``, an unknown key, or a value of the wrong kind."""
    options: dict[str, Any] = {}
    for text in texts:
        key, value = parse_assignment(
            text, "--cluster-option", error=ClusterError, require_value=True
        )
        key, value = key.lower().replace("_", "-"), value.strip()
        try:
            if key not in OPTION_KEYS:
                raise ValueError(f"unknown key {key!r} (known: {', '.join(OPTION_KEYS)})")
            options.update(_option(key, value, options))
        except ValueError as problem:
            raise ClusterError(f"--cluster-option {text!r}: {problem}") from None
    return options


def _option(key: str, value: str, options: dict[str, Any]) -> dict[str, Any]:
    """The keyword argument of one ``--cluster-option`` (ValueError: what is wrong)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{key} must be one line of text")
    if key in _LISTS:  # whole lines of the batch script, as the user writes them
        name = _LISTS[key]
        return {name: [*options.get(name, []), value]}
    if key in _INTEGERS:
        if not (value.isdigit() and len(value) <= 6 and 1 <= int(value) <= MAX_INTEGER):
            raise ValueError(f"{key} must be an integer from 1 to {MAX_INTEGER}")
        return {key: int(value)}
    if key in _TEXTS and not _SAFE_TEXT.fullmatch(value):
        raise ValueError(
            f"{key} may hold letters, digits and _.,:=@+/~%- only "
            "(it goes into the batch script as it is)"
        )
    if key == "memory":
        from dask.utils import parse_bytes

        try:
            size = parse_bytes(value) if _SAFE_TEXT.fullmatch(value) else 0
        except (ValueError, TypeError):
            size = 0
        if not 0 < size < 2**60:
            raise ValueError("memory must be a positive size such as 4GB or 3500MiB")
    if key == "walltime" and not re.fullmatch(r"(\d+-)?\d+(:\d{2}){0,2}", value):
        raise ValueError("walltime must read [D-]HH:MM[:SS] (e.g. 02:00:00)")
    return {key.replace("-", "_"): value}


def _jobqueue_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """dask-jobqueue arguments: 1 core, 3 GB per core, 1 worker process per core unless asked."""
    kwargs = {key: value for key, value in options.items() if key != "jobs"}
    kwargs.setdefault("cores", 1)
    kwargs.setdefault("memory", f"{3 * kwargs['cores']}GB")  # a training peaks near 1.6 GB
    kwargs.setdefault("processes", kwargs["cores"])  # 1 thread per worker: one run each
    if kwargs["processes"] > kwargs["cores"]:
        raise ClusterError(
            f"--cluster-option processes={kwargs['processes']} exceeds cores={kwargs['cores']}"
        )
    if "name" in kwargs:
        kwargs["job_name"] = kwargs.pop("name")
    return kwargs


def make_cluster(
    kind: str, options: dict[str, Any], *, scheduler_host: str | None = None
) -> JobQueueCluster:
    """A dask-jobqueue cluster of ``kind`` (a key of :data:`KINDS`, checked by
    :class:`~retinasim.compare.settings.CompareSettings`); no jobs submitted yet."""
    try:
        import dask_jobqueue
    except ImportError:
        raise ClusterError(
            "--cluster needs dask-jobqueue, which is not installed: "
            "python -m pip install dask-jobqueue (or retinasim[cluster])"
        ) from None
    kwargs = _jobqueue_kwargs(options)
    if scheduler_host is not None:
        kwargs["scheduler_options"] = {
            "host": scheduler_host,
            "dashboard_address": f"{scheduler_host}:0",
        }
    try:
        return getattr(dask_jobqueue, KINDS[kind])(**kwargs)
    except (TypeError, ValueError) as error:
        raise ClusterError(f"--cluster {kind}: {error}") from None


def job_script(kind: str, options: dict[str, Any]) -> str:
    """The batch script one job of the cluster would run (nothing is submitted); its
    scheduler address is a loopback placeholder, which ``--cluster`` fills in."""
    cluster = make_cluster(kind, options, scheduler_host="127.0.0.1")
    try:
        shebang, _, rest = cluster.job_script().partition("\n")
    finally:
        cluster.close()
    note = "# (printed by retinasim: the scheduler address below is set when the cluster starts)"
    return f"{shebang}\n{note}\n{rest}"


@contextmanager
def dask_client(
    *,
    scheduler: str | None,
    cluster: str | None,
    options: dict[str, Any],
    n_runs: int,
    timeout: float = CONNECT_TIMEOUT_S,
) -> Iterator[Any]:
    """A client of the ``scheduler`` at ``tcp://HOST:PORT``, or of a new ``cluster`` scaled to
    run every run at once (``options['jobs']`` batch jobs if given), closed at the end."""
    if scheduler is not None:
        with _connect(scheduler, timeout) as client:
            yield client
        return
    with make_cluster(cluster or "", options) as started:
        per_job = _jobqueue_kwargs(options)["processes"]
        started.scale(jobs=options.get("jobs") or math.ceil(n_runs / per_job))
        from distributed import Client

        with Client(started, set_as_default=False) as client:
            yield client


def _connect(scheduler: str, timeout: float) -> Any:
    """A client of the Dask scheduler at ``scheduler``, once :func:`_check_scheduler` found
    one answering there; ClusterError (one line) for anything else."""
    try:
        scheduler_address(scheduler)
    except ValueError as problem:
        raise ClusterError(f"--scheduler {scheduler!r}: {problem}") from None
    _check_scheduler(scheduler, timeout)
    from distributed import Client

    try:  # a scheduler answered just now: this connects at once
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except Exception as error:  # it went away meanwhile, or refuses this client's versions
        raise ClusterError(
            f"--scheduler {scheduler}: the Dask scheduler there refused a client "
            f"({type(error).__name__}: {error})"
        ) from None


def _check_scheduler(scheduler: str, timeout: float) -> None:
    """Ask what answers at ``scheduler``, in a thread of its own, for ``timeout`` s (plus 1 s
    for an answer); ClusterError unless a Dask scheduler does. Dask itself would wait for
    ever on a service that never answers (an HTTP server), or read other bytes as the
    length of a message (a MemoryError for exabytes)."""
    from distributed.comm import CommClosedError

    outcome: dict[str, Any] = {}

    def ask() -> None:
        try:
            outcome["reply"] = asyncio.run(
                asyncio.wait_for(_identity(scheduler, timeout), timeout + 1)
            )
        except BaseException as error:  # reported by the caller, whatever it is
            outcome["error"] = error

    thread = threading.Thread(target=ask, name="retinasim-scheduler-check", daemon=True)
    thread.start()
    thread.join(timeout + 2)  # a thread stuck past its own deadline is left behind
    error, reply = outcome.get("error"), outcome.get("reply")
    where = f"--scheduler {scheduler}"
    # refused, or no connection in time; TimeoutError: connected, but no answer came
    if isinstance(error, OSError) and not isinstance(error, (CommClosedError, TimeoutError)):
        raise ClusterError(
            f"{where}: cannot reach a Dask scheduler there within {timeout:g} s "
            f"({type(error).__name__}: {error}); start one with `dask scheduler` and pass "
            "the address it prints (tcp://HOST:8786)"
        )
    if not isinstance(reply, dict) or "type" not in reply:
        raise ClusterError(
            f"{where}: no Dask scheduler answered there within {timeout:g} s (is it the "
            "dashboard port? the scheduler listens on 8786 by default)"
        )
    if reply["type"] in ("Worker", "Nanny"):
        raise ClusterError(
            f"{where}: a Dask {reply['type'].lower()} answers there, not the scheduler; "
            "pass the scheduler's address (tcp://HOST:8786)"
        )


async def _identity(address: str, timeout: float) -> Any:
    """What the Dask server at ``address`` says it is (``{'type': 'Scheduler', ...}``), asked
    with the connection settings a client has (TLS from the Dask configuration, if any)."""
    from distributed.comm import connect
    from distributed.security import Security

    comm = await connect(address, timeout=timeout, **Security().get_connection_args("client"))
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def run_on_dask(
    jobs: Sequence[Any],
    client: Any,
    *,
    progress: Callable[[dict[str, Any]], None] | None = None,
    retries: int = 2,
) -> list[dict[str, Any]]:
    """Submit every job to ``client``'s cluster; rows in job order, reported as they finish.

    ``retries``: times a task that raised is run again (the scheduler itself reschedules a
    lost worker's task); a task that still fails becomes a ``failed`` row.
    """
    from distributed import as_completed

    from retinasim.compare.runs import collect, run_job

    token = uuid.uuid4().hex[:8]  # keys unique to this comparison on a shared scheduler
    futures = {
        client.submit(
            run_job, job, pure=False, retries=retries, key=f"{job.label}-seed{job.seed}-{token}"
        ): i
        for i, job in enumerate(jobs)
    }
    try:  # a task whose every worker died, or that was lost, makes a failed row
        completed = as_completed(list(futures), loop=client.loop)
        return collect(completed, futures, jobs, "Dask task failed", progress)
    except BaseException:  # Ctrl-C, SIGTERM: queued runs are dropped (running ones finish)
        client.cancel(list(futures))
        raise
