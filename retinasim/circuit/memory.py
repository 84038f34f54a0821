"""Process-level tuning of the C allocator for large CPU tensors.

PyTorch allocates CPU tensors with ``malloc``; glibc serves every block above its mmap
threshold (at most 32 MiB by default) with a fresh ``mmap`` and returns it with ``munmap`` when
freed. A training step of the murray2021 circuit allocates and frees over a gigabyte of such
blocks, and every page of every block is faulted in and zeroed by the kernel again, step after
step: measured here, that made a step 2-4× slower. :func:`tune_cpu_allocator` raises the
thresholds so that freed blocks stay in the process and are reused. It changes global state of
the process, so it is never called implicitly: training loops, benchmarks and the command line
call it once at start-up.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP_BELOW_BYTES = 1 << 30  # blocks up to 1 GiB come from the heap and are reused
_TRIM_ABOVE_BYTES = (1 << 31) - 1  # keep up to 2 GiB of freed memory instead of trimming


def tune_cpu_allocator() -> bool:
    """Keep freed large blocks in the process for reuse (glibc on Linux only).

    Returns
    -------
    bool
        Whether the allocator is tuned (False on other platforms or C libraries, where this
        does nothing). Calling it again is harmless.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    ok = libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BELOW_BYTES) == 1
    return libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE_BYTES) == 1 and ok
