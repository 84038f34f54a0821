"""Memory estimates checked before a command allocates: an absurd request is refused at
once with the numbers instead of growing until the machine stops it. The estimates count the
largest float32 tensors of a step from the shapes, roughly (a factor for temporaries)."""

from __future__ import annotations

import os
import re
from typing import Any

from retinasim.errors import RetinasimError

BYTES = 4
"""float32."""
RENDER_FACTOR = 3
"""A rendered video's temporaries (coverage, luminance, the output) against its size."""
DOT_BYTES = 64
"""Bytes per dot slot of a moving-dots layout (positions, speeds, rows, flags)."""


class ResourceError(RetinasimError):
    """A request needs more memory (or threads) than this machine has."""


def available_memory() -> int | None:
    """Bytes this process can still allocate (None if unknown): the least of the machine's
    ``MemAvailable`` (``/proc/meminfo``; the free physical pages elsewhere), what the address
    space limit (``ulimit -v``) leaves above the process's current size, and what the cgroup's
    memory limit (containers, batch jobs) leaves above its current use."""
    limits = [_meminfo_available(), _address_space_left(), _cgroup_left()]
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _address_space_left() -> int | None:
    """``RLIMIT_AS`` minus the process's mapped size (VmSize), or None without a limit."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/status", encoding="ascii") as status:
            size = next(
                int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")
            )
        return max(0, limit - size)
    except (ImportError, OSError, ValueError, StopIteration):
        return None


def _cgroup_left() -> int | None:
    """The cgroup (v2, else v1) memory limit minus its current use, or None without one."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with (
                open(limit_file, encoding="ascii") as limit,
                open(usage_file, encoding="ascii") as usage,
            ):
                text = limit.read().strip()
                if text == "max" or int(text) >= 1 << 60:  # v1 writes "no limit" as a huge number
                    return None
                return max(0, int(text) - int(usage.read().strip()))
        except (OSError, ValueError):
            continue
    return None


def out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is an allocation failure (``MemoryError``, torch's out-of-memory
    errors on CPU and GPU), not a fault of the code that asked."""
    text = str(error)
    return (
        isinstance(error, MemoryError)
        or type(error).__name__ == "OutOfMemoryError"
        or (
            isinstance(error, RuntimeError)
            and ("can't allocate memory" in text or "out of memory" in text)
        )
    )


def allocation(error: BaseException) -> str:
    """What an out-of-memory ``error`` asked for (``74.5 GiB``), or its first line."""
    asked = re.search(r"allocate (\d+) bytes", str(error))
    if asked:
        return human(int(asked[1]))
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def human(nbytes: float) -> str:
    """``1.5 GiB``-style size."""
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            return f"{value:.3g} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.3g} PiB"  # pragma: no cover


CHECK_MEMORY = True
"""Whether :func:`check_memory` refuses; ``retinasim --no-memory-check`` (or
``RETINASIM_MEMORY_CHECK=0``) turns it off for people who know better than the estimate."""


def check_memory(nbytes: float, what: str, hint: str) -> None:
    """Refuse ``what`` (:class:`ResourceError`, ending in ``hint``) if it needs more than
    the available memory (unless :data:`CHECK_MEMORY` is off)."""
    available = available_memory()
    if CHECK_MEMORY and available is not None and nbytes > available:
        raise ResourceError(
            f"{what} needs about {human(nbytes)} of memory but only {human(available)} "
            f"{'is' if available < 2 else 'are'} available; {hint} (or, at your own risk, "
            "`retinasim --no-memory-check ...`)"
        )


def stimulus_bytes(generator: Any, count: int) -> float:
    """Bytes to render ``count`` stimuli of ``generator`` at once (video and temporaries,
    plus a moving-dots layout's dot slots)."""
    frames = int(getattr(generator, "frames", 1))
    pixels = int(getattr(generator, "height", 1)) * int(getattr(generator, "width", 1))
    video = float(count) * frames * pixels * BYTES * RENDER_FACTOR
    dots = float(getattr(generator, "dots_per_scene", None) or 0.0)  # moving dots only
    # Poisson counts: allow 2 x the mean; each slot is touched on every frame while rendering.
    return video + float(count) * 2 * dots * DOT_BYTES * max(1, frames // 8)


def check_threads(name: str, value: int | None) -> None:
    """Refuse more than 4 × the machine's cores of ``name`` (``--threads``, ``--processes``)."""
    if value is None:
        return
    cores = os.cpu_count() or 1
    limit = 4 * cores
    if value > limit:
        raise ResourceError(
            f"{name} {value} is more than 4 x this machine's {cores} CPU core(s) "
            f"(at most {limit}); use at most {cores}"
        )
