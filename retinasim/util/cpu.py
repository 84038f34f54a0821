"""Process-level CPU settings (never imports torch): the C allocator and the training layout.

**Allocator.** glibc serves blocks above its mmap threshold with a fresh ``mmap`` each time, so
a murray2021 training step faults in and zeroes over a gigabyte again and again (2-4× slower).
:func:`tune_cpu_allocator` raises the thresholds so freed blocks are reused; being process-wide,
it is never called on import (:func:`retinasim.train` on the CPU and the command line call it).

**Layout.** Data-parallel processes of 1 thread each use the cores better than threads on these
small convolutions (``docs/performance.md``); :func:`cpu_layout` chooses the split.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
from dataclasses import dataclass

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP_BELOW_BYTES = 1 << 30  # blocks up to 1 GiB come from the heap and are reused
_TRIM_ABOVE_BYTES = (1 << 31) - 1  # keep up to 2 GiB of freed memory instead of trimming
MAX_PROCESSES = 8
"""At most this many data-parallel CPU processes by default (each holds its own activations)."""
MIN_VALUES_PER_PROCESS = 1 << 20
"""A process is worth starting only if its share of a step is at least this many input values
(pixels × frames × stimuli): below that, start-up and gradient exchange cost more than they
save (a tiny test circuit trains faster in one process)."""


def tune_cpu_allocator() -> bool:
    """Keep freed large blocks in the process for reuse; returns whether the allocator is
    tuned (glibc on Linux only; elsewhere nothing is done). Calling it again is harmless."""
    libc = _glibc()
    if libc is None:
        return False
    ok = libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BELOW_BYTES) == 1
    return libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE_BYTES) == 1 and ok


def release_freed_memory() -> bool:
    """Hand the freed heap memory kept by :func:`tune_cpu_allocator` back to the system
    (``malloc_trim``) after a one-off peak; returns whether it could (glibc on Linux only)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
    return libc is not None


def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc on Linux, else None."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CpuLayout:
    """How a CPU training run spreads over the cores: data-parallel ``processes`` (each
    trains on ``batch_size / processes`` stimuli of a step) of ``threads`` PyTorch threads each
    (None: PyTorch's default)."""

    processes: int
    threads: int | None


def cpu_layout(
    batch_size: int,
    *,
    stimulus_values: int | None = None,
    processes: int | None = None,
    threads: int | None = None,
    cores: int | None = None,
) -> CpuLayout:
    """The layout of a CPU training run; by default one 1-thread process per core.

    Without ``processes``: as many as fit ``cores // threads`` (at most :data:`MAX_PROCESSES`),
    divide ``batch_size`` and, given ``stimulus_values`` (input values of one stimulus), leave
    each :data:`MIN_VALUES_PER_PROCESS` per step. Without ``threads``: ``OMP_NUM_THREADS`` when
    set, else the cores left to each process. ``cores`` defaults to :func:`usable_cores`."""
    cores = usable_cores() if cores is None else max(1, cores)
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if not threads and omp.isdecimal():
        threads = int(omp) or None  # the user's or the batch system's choice
    if processes is None:
        limit = min(cores // (threads or 1), MAX_PROCESSES, batch_size)
        if stimulus_values is not None:
            limit = min(limit, batch_size * stimulus_values // MIN_VALUES_PER_PROCESS)
        limit = max(1, limit)
        processes = max(p for p in range(1, limit + 1) if batch_size % p == 0)
    return CpuLayout(processes, threads or max(1, cores // processes))
