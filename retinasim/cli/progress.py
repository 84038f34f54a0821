"""Progress on screen (a :class:`~retinasim.util.progress.Progress`): live rich bars on a
terminal, else timestamped log lines per task with its count and rate: when it starts, at
every call with a note, at most every :data:`LOG_EVERY_S` seconds otherwise, and at its end::

    12:04:31 lesion scan: 0/128
    12:04:34 lesion scan: 128/128 in 2.9 s (44.1/s)
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from retinasim.util.progress import Progress, TimeBudget

logger = logging.getLogger(__name__)

LOG_EVERY_S = 10.0
"""Seconds between two log lines of a running task."""


@dataclass
class _Task:
    """When a task started (and at which count), and when it last logged a line."""

    started: float
    first_done: int
    logged: float
    finished: bool = False

    def rate(self, done: int, now: float) -> str:
        """`` (R/s)``: units per second since the start ("" before any time or unit)."""
        seconds, counted = now - self.started, done - self.first_done
        return f" ({counted / seconds:.1f}/s)" if seconds > 0 and counted > 0 else ""


class PlainProgress:
    """Timestamped log lines per task (see the module docstring)."""

    def __init__(self) -> None:
        self.tasks: dict[str, _Task] = {}

    def __call__(self, task: str, done: int, total: int, note: str = "") -> None:
        now = time.perf_counter()
        state = self.tasks.get(task)
        if state is not None and state.finished and done >= total:
            return  # the end is said once
        start = state is None or state.finished  # a new task, or one run again
        if start:
            state = self.tasks[task] = _Task(now, done, now)
        assert state is not None
        tail = f"  {note}" if note else ""
        if done >= total:
            seconds = now - state.started
            logger.info(
                "%s: %d/%d in %.1f s%s%s", task, done, total, seconds, state.rate(done, now), tail
            )
            state.finished = True
        elif start or note or now - state.logged >= LOG_EVERY_S:
            rate = "" if start else state.rate(done, now)
            logger.info("%s: %d/%d%s%s", task, done, total, rate, tail)
            state.logged = now

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class BarProgress:
    """A rich bar per task on stderr (its note after the bar)."""

    def __init__(self, console: Any = None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from retinasim.cli.output import stderr_console

        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}"),
            console=console or stderr_console(),
        )
        self.tasks: dict[str, Any] = {}

    def __call__(self, task: str, done: int, total: int, note: str = "") -> None:
        if task not in self.tasks:
            self.tasks[task] = self.progress.add_task(task, total=total, completed=done, note=note)
        else:
            fields: dict[str, Any] = {"note": note} if note else {}  # no note: the last one stays
            self.progress.update(self.tasks[task], completed=done, total=total, **fields)

    def __enter__(self) -> BarProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()


MAX_HOURS = 168.0
"""Longest projected task (hours) a command runs; ``retinasim --max-hours`` sets it."""


@contextlib.contextmanager
def phase_progress() -> Iterator[Progress]:
    """Bars when stderr is a terminal, else log lines; a task projected to run longer than
    :data:`MAX_HOURS` is stopped (:class:`~retinasim.util.progress.TimeBudget`)."""
    with BarProgress() if sys.stderr.isatty() else PlainProgress() as renderer:
        yield TimeBudget(renderer, MAX_HOURS)
