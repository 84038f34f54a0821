"""The one progress protocol of the library: ``progress(task, done, total, note="")``.

A function that reports progress takes ``progress: Progress | None`` and calls it with the
work's name (``"lesion scan"``), the units done and in all (the task ends when ``done ==
total``) and a short ``note``; :mod:`retinasim.cli.progress` renders the calls."""

from __future__ import annotations

import time
from typing import Protocol


class Progress(Protocol):
    """Told how far a task has got (see the module docstring)."""

    def __call__(self, task: str, done: int, total: int, note: str = "") -> None:
        """``done`` of ``total`` units of ``task`` are finished; ``note`` sums up the state."""


def silent(task: str, done: int, total: int, note: str = "") -> None:
    """A :class:`Progress` that reports nothing."""


def as_task(progress: Progress | None, task: str) -> Progress | None:
    """``progress`` reporting every call under the name ``task`` (None stays None): the
    caller knows what the work is for, the function doing it only that it runs stimuli."""
    if progress is None:
        return None
    reporter, name = progress, task

    def renamed(task: str, done: int, total: int, note: str = "") -> None:
        reporter(name, done, total, note)

    return renamed


CALIBRATION_S = 5.0
"""Seconds a task runs before :class:`TimeBudget` projects its length from its rate."""


class TimeBudget:
    """A :class:`Progress` that passes every call on to ``progress`` and stops a task whose
    projected length exceeds ``max_hours``.

    Once per task, after it has run ``calibration_s`` seconds and finished a unit, the time
    so far plus the units left at the rate so far is compared with ``max_hours``; a task that
    would take longer raises :class:`~retinasim.util.resources.ResourceError` naming its size,
    its rate and the projection. ``None`` sets no limit."""

    def __init__(
        self, progress: Progress, max_hours: float | None, calibration_s: float = CALIBRATION_S
    ) -> None:
        self.progress, self.max_hours, self.calibration_s = progress, max_hours, calibration_s
        self.started: dict[str, tuple[float, int]] = {}  # task: (time, units done) at its start
        self.checked: set[str] = set()

    def __call__(self, task: str, done: int, total: int, note: str = "") -> None:
        self.progress(task, done, total, note)
        now = time.perf_counter()
        if task not in self.started or done < self.started[task][1]:  # new, or run again
            self.started[task] = (now, done)
            self.checked.discard(task)
            return
        began, first = self.started[task]
        seconds, counted = now - began, done - first
        if self.max_hours is None or task in self.checked or seconds < self.calibration_s:
            return
        if counted <= 0:
            return
        self.checked.add(task)
        projected = seconds + (total - done) * seconds / counted
        if projected > self.max_hours * 3600:
            from retinasim.util.resources import ResourceError

            raise ResourceError(
                f"{task}: {total} at {counted / seconds:.3g}/s would take about "
                f"{_duration(projected)}, more than the limit of "
                f"{_duration(self.max_hours * 3600)}; ask for less, or raise the limit: "
                f"`retinasim --max-hours H COMMAND ...` (or {MAX_HOURS_VARIABLE}=H)"
            )


MAX_HOURS_VARIABLE = "RETINASIM_MAX_HOURS"
"""Environment variable with the default of ``retinasim --max-hours``."""


def _duration(seconds: float) -> str:
    """``3.2 h``, ``41 days``, ``1.2e+06 years``."""
    hours = seconds / 3600
    if hours < 48:
        return f"{hours:.3g} h"
    days = hours / 24
    return f"{days:.3g} days" if days < 730 else f"{days / 365.25:.3g} years"
