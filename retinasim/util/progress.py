"""The one progress protocol of the library: ``progress(task, done, total, note="")``.

A function that reports progress takes ``progress: Progress | None`` and calls it with the
work's name (``"lesion scan"``), the units done and in all (the task ends when ``done ==
total``) and a short ``note``; :mod:`retinasim.cli.progress` renders the calls."""

from __future__ import annotations

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
