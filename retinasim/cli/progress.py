"""Progress of the phases of a command: live rich bars on a terminal, log lines otherwise.

``progress(task, done, total)`` is the one callback every phase reports through (the
dissection's steps, the figures). On a terminal each task gets a rich bar on stderr; in a
log (stderr not a terminal) each task prints plain timestamped lines with its count and rate:
when it starts, at most every :data:`LOG_EVERY_S` seconds while it runs, and when it ends::

    12:04:31 lesion scan: 0/128
    12:04:34 lesion scan: 128/128 in 2.9 s (44.1/s)
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

LOG_EVERY_S = 10.0
"""Seconds between two log lines of a running task."""


def log_line(text: str, stream: TextIO | None = None) -> None:
    """Print ``HH:MM:SS text`` on ``stream`` (stderr), flushed."""
    print(f"{time.strftime('%H:%M:%S')} {text}", file=stream or sys.stderr, flush=True)


class PlainProgress:
    """Timestamped lines per task (see the module docstring)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.started: dict[str, float] = {}
        self.logged: dict[str, float] = {}

    def __call__(self, task: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if task not in self.started:
            self.started[task] = self.logged[task] = now
            if done < total:
                log_line(f"{task}: {done}/{total}", self.stream)
        if done >= total:
            if self.logged.get(task) != -1.0:
                seconds = now - self.started[task]
                rate = f" ({done / seconds:.1f}/s)" if seconds > 0 else ""
                log_line(f"{task}: {done}/{total} in {seconds:.1f} s{rate}", self.stream)
                self.logged[task] = -1.0  # finished: said once
        elif now - self.logged[task] >= LOG_EVERY_S:
            seconds = now - self.started[task]
            log_line(f"{task}: {done}/{total} ({done / seconds:.1f}/s)", self.stream)
            self.logged[task] = now

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class BarProgress:
    """A rich bar per task on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.tasks: dict[str, Any] = {}

    def __call__(self, task: str, done: int, total: int) -> None:
        if task not in self.tasks:
            self.tasks[task] = self.progress.add_task(task, total=total)
        self.progress.update(self.tasks[task], completed=done, total=total)

    def __enter__(self) -> BarProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()


def phase_progress() -> PlainProgress | BarProgress:
    """Bars when stderr is a terminal, else log lines (use as a context manager)."""
    return BarProgress() if sys.stderr.isatty() else PlainProgress()
