"""Runs command lines of ``retinasim`` in forked children, each under a memory limit and a
timeout, and writes what each did as JSON (used by ``test_fuzz_cli.py``).

``python fuzz_driver.py CASES.json RESULTS.json``: CASES is a list of ``{"argv": [...],
"cwd": DIR}``; RESULTS gets, per case, ``{"code": exit status or None, "signal": the
signal that ended it or None, "timed_out": bool, "seconds": wall time, "stderr": text,
"stdout": text}``.

The parent imports the command line and the modules its commands import on first use, so
each forked child starts in milliseconds and runs ``retinasim.cli.main`` as the console
script does; it then collects garbage (finalisers of what the command left, where a
half-closed HDF5 file would crash) and leaves without the interpreter's teardown, which
would cost a second per case (the full-disk tests run whole processes). The child leads its
own process group, so the timeout kills whatever it started.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

PRELOAD = (
    "torch",
    "xarray",
    "h5netcdf",
    "matplotlib.pyplot",
    "retinasim.cli",
    "retinasim.compile",
    "retinasim.training",
    "retinasim.recording",
    "retinasim.dissect",
    "retinasim.compare",
    "retinasim.report",
    "retinasim.figures",
)
MEMORY_LIMIT = int(os.environ.get("FUZZ_MEMORY_LIMIT", str(3 << 30)))
"""Bytes of address space a child may add to what the parent has mapped."""
TIMEOUT = float(os.environ.get("FUZZ_TIMEOUT", "60"))
PARALLEL = int(os.environ.get("FUZZ_PARALLEL", "2"))


def _mapped_bytes() -> int:
    """The address space this process has mapped now (VmSize), bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _child(case: dict, log: Path, limit: int) -> None:
    """Runs one case in this (forked) process and exits with its status."""
    os.setpgid(0, 0)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for fd, name, mode in ((0, os.devnull, os.O_RDONLY), (1, "stdout", 0), (2, "stderr", 0)):
        target = name if fd == 0 else str(log / name)
        flags = mode if fd == 0 else os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        os.dup2(os.open(target, flags, 0o644), fd)
    os.chdir(case["cwd"])
    os.environ.update({"COLUMNS": "120", "OMP_NUM_THREADS": "1"})
    import torch

    torch.set_num_threads(1)
    from retinasim.cli import main

    sys.argv = ["retinasim", *case["argv"]]
    code = main(case["argv"])
    gc.collect()  # what the command left runs its finalisers (a half-closed HDF5 file's, say)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # not the interpreter's teardown of torch & co.: a second per case


def _finish(status: int, started: float, log: Path, timed_out: bool) -> dict:
    def text(name: str) -> str:
        path = log / name
        return path.read_text(errors="replace")[-20_000:] if path.exists() else ""

    return {
        "code": os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "timed_out": timed_out,
        "seconds": round(time.monotonic() - started, 2),
        "stdout": text("stdout"),
        "stderr": text("stderr"),
    }


def run_cases(cases: list[dict], logs: Path) -> list[dict]:
    """Runs the cases, ``PARALLEL`` at a time; their results in the same order."""
    for name in PRELOAD:
        importlib.import_module(name)
    limit = _mapped_bytes() + MEMORY_LIMIT
    results: list[dict] = [{} for _ in cases]
    running: dict[int, tuple[int, float, Path]] = {}
    queue = list(enumerate(cases))
    while queue or running:
        while queue and len(running) < PARALLEL:
            index, case = queue.pop(0)
            log = logs / str(index)
            log.mkdir(parents=True, exist_ok=True)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(case, log, limit)
            running[pid] = (index, time.monotonic(), log)
        time.sleep(0.02)
        for pid, (index, started, log) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            timed_out = False
            if not done and time.monotonic() - started > TIMEOUT:
                timed_out = True
                os.killpg(pid, signal.SIGKILL)
                done, status = os.waitpid(pid, 0)
            if done:
                with contextlib.suppress(ProcessLookupError):  # what it started dies too
                    os.killpg(pid, signal.SIGKILL)
                results[index] = _finish(status, started, log, timed_out)
                del running[pid]
    return results


if __name__ == "__main__":
    cases_file, results_file = map(Path, sys.argv[1:3])
    cases = json.loads(cases_file.read_text())
    results = run_cases(cases, results_file.parent / "logs")
    results_file.write_text(json.dumps(results))
