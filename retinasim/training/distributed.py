"""Data-parallel training through ``torch.distributed`` (DistributedDataParallel).

Under ``torchrun`` (backend ``gloo`` on CPU, ``nccl`` with one process per GPU) or
:func:`spawn_local` (CPU processes on this machine, their log records and progress relayed
back), each rank trains on its share of every global batch; only rank 0 writes files.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from retinasim.training.errors import TrainingError
from retinasim.util.cpu import tune_cpu_allocator
from retinasim.util.progress import Progress


@dataclass(frozen=True)
class Context:
    """Where this process sits in a (possibly single-process) run."""

    rank: int
    world: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and reports progress."""
        return self.rank == 0


def setup(device: str) -> Context:
    """Join the process group if launched by torchrun (``WORLD_SIZE > 1``), else run alone;
    ``device`` is ``cpu``, ``cuda`` (each rank takes GPU ``LOCAL_RANK``) or ``cuda:N``."""
    target = check_device(device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        if target.type == "cuda" and target.index is None:
            target = torch.device("cuda", torch.cuda.current_device())
        return Context(0, 1, target)
    rank = int(os.environ["RANK"])
    if target.type == "cuda":
        target = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(target)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if target.type == "cuda" else "gloo")
    return Context(rank, world, target)


def launched() -> bool:
    """Whether this process is one of several started by torchrun or :func:`spawn_local`."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def check_device(device: str) -> torch.device:
    """``device`` as a torch.device, if it is ``cpu`` or an available ``cuda[:N]``."""
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError):
        target = None
    if target is None or target.type not in {"cpu", "cuda"}:
        raise TrainingError(f"--device {device}: expected cpu or cuda")
    if target.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"--device {device}: CUDA is not available on this machine")
    return target


def teardown(context: Context) -> None:
    """Leave the process group (if any), after freeing the DDP wrappers that use it (a
    reducer outliving its group can abort the process at exit)."""
    if context.world > 1 and dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()


def barrier(context: Context) -> None:
    """Wait for every rank."""
    if context.world > 1:
        dist.barrier()


def broadcast_parameters(module: torch.nn.Module, context: Context) -> None:
    """Give every rank rank 0's parameters (the data-dependent initialisation runs on rank 0
    only: the same weights, without every process paying its memory peak)."""
    if context.world > 1:
        for parameter in module.parameters():
            dist.broadcast(parameter.data, src=0)


def global_sums(context: Context, values: list[float]) -> list[float]:
    """Sum ``values`` over ranks (a no-op with one process)."""
    if context.world == 1:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=context.device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def wrap(model: torch.nn.Module, context: Context) -> torch.nn.Module:
    """``model`` wrapped in DistributedDataParallel when there are several ranks."""
    if context.world == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [context.device.index] if context.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _worker(
    rank: int,
    world: int,
    port: int,
    entry: Callable[..., Any],
    spec_data: dict[str, Any],
    kwargs: dict,
    relay: tuple[Any, int, bool],
) -> None:
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(kwargs.pop("threads_per_process", 1))
    tune_cpu_allocator()  # a spawned process starts with the default allocator
    from logging.handlers import QueueHandler

    from retinasim.spec import CircuitSpec

    queue, level, relays_progress = relay  # (see _relayed)
    package = logging.getLogger("retinasim")  # its records go to the spawner's handlers
    package.setLevel(level)
    package.addHandler(QueueHandler(queue))
    progress = functools.partial(_relay_progress, queue) if relays_progress else None
    entry(CircuitSpec.model_validate(spec_data), progress=progress, **kwargs)


def _process_error(last_line: str) -> Exception:
    """The error a training process raised, from the last line of its traceback: the same
    retinasim error type and message when it was one (e.g. a diverged loss), else a
    :class:`TrainingError` quoting it."""
    import importlib

    from retinasim.errors import RetinasimError

    name, _, message = last_line.partition(": ")
    module, _, class_name = name.rpartition(".")
    try:
        error_type = getattr(importlib.import_module(module), class_name)
        if isinstance(error_type, type) and issubclass(error_type, RetinasimError):
            return error_type(message)
    except (ImportError, AttributeError, ValueError, TypeError):
        pass
    return TrainingError(f"a training process failed: {last_line}")


def spawn_local(
    entry: Callable[..., Any],
    spec: Any,
    world: int,
    *,
    threads_per_process: int = 1,
    progress: Progress | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Train ``spec`` with ``world`` CPU processes (gloo) on this machine, without torchrun
    (the way in is ``train(spec, out, processes=2)``).

    Each process calls ``entry(spec, progress=..., **kwargs)`` with the torchrun environment
    set; ``progress`` and the ``retinasim`` loggers' records come back here. Returns the run's
    ``metrics.json`` (``{}`` if none); a failed process raises its error or TrainingError.
    """
    import torch.multiprocessing as mp

    from retinasim.run_folder import METRICS, RunFolder

    kwargs = {**kwargs, "threads_per_process": threads_per_process, "device": "cpu"}
    try:
        with _relayed(progress) as relay:
            mp.spawn(
                _worker,
                args=(world, _free_port(), entry, spec.model_dump(mode="json"), kwargs, relay),
                nprocs=world,
                join=True,
            )
    except mp.ProcessRaisedException as error:
        raise _process_error(str(error).strip().splitlines()[-1]) from None
    except mp.ProcessExitedException as error:  # killed, or died before raising
        raise TrainingError(f"a training process failed: {error}") from None
    return RunFolder(kwargs["out"]).read_json(METRICS, {}) or {}


def _relay_progress(queue: Any, task: str, done: int, total: int, note: str = "") -> None:
    """In a spawned process: send a progress call back to the spawner."""
    queue.put((task, done, total, note))


@contextlib.contextmanager
def _relayed(progress: Progress | None) -> Iterator[tuple[Any, int, bool]]:
    """What spawned processes need to send their log records (at this process' level) and
    progress calls here, ``(queue, level, whether to relay progress)``; a thread delivers
    them until the end."""
    import multiprocessing

    queue = multiprocessing.get_context("spawn").Queue()
    level = logging.getLogger("retinasim").getEffectiveLevel()

    def deliver() -> None:  # each record to its logger here, each call to progress
        while (item := queue.get()) is not None:
            if isinstance(item, logging.LogRecord):
                logging.getLogger(item.name).handle(item)
            elif progress is not None:
                progress(*item)

    thread = threading.Thread(target=deliver, daemon=True)
    thread.start()
    try:
        yield queue, level, progress is not None
    finally:
        queue.put(None)  # ends the relay
        thread.join()
        queue.close()
