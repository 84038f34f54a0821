"""The one progress protocol of the library: ``progress(task, done, total, note="")``.

A library function that reports progress takes ``progress: Progress | None`` and calls it with
the name of the work (``"lesion scan"``), the units done and in all (a task ends when ``done ==
total``) and a short ``note`` on the latest state. The command line renders these calls
(:mod:`retinasim.cli.progress`); a caller names work it hands on with :func:`as_task`."""

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
