"""The one progress protocol of the library: ``progress(task, done, total, note="")``.

Every library function that reports how far it has got takes ``progress: Progress | None``
and calls it with the name of the piece of work (``"lesion scan"``), the units done and the
units in all; a task starts with its first call and ends when ``done == total``. ``note`` is a
short summary of the latest state (training's loss and accuracy). The library never renders
progress: the command line turns these calls into rich bars on a terminal and timestamped
lines in a log (:mod:`retinasim.cli.progress`); ``None`` reports nothing.

A caller that hands work to a function names it with :func:`as_task`::

    lesion_scan(circuit, stimuli, progress=as_task(progress, "lesion scan"))
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told how far a task has got (see the module docstring)."""

    def __call__(self, task: str, done: int, total: int, note: str = "") -> None:
        """``done`` of ``total`` units of ``task`` are finished; ``note`` sums up the state."""


def silent(task: str, done: int, total: int, note: str = "") -> None:
    """A :class:`Progress` that reports nothing."""


def as_task(progress: Progress | None, task: str) -> Progress | None:
    """``progress`` reporting every call under the name ``task`` (None stays None).

    The caller knows what the work is for (``"ablated psychometric curve"``); the function
    doing it (the engine) only knows that it runs stimuli.
    """
    if progress is None:
        return None
    reporter, name = progress, task

    def renamed(task: str, done: int, total: int, note: str = "") -> None:
        reporter(name, done, total, note)

    return renamed
