"""Errors of training and evaluation, each a :class:`~retinasim.errors.RetinasimError`.

The command line turns them into one line on stderr and exit code 2.
"""

from __future__ import annotations

from retinasim.errors import RunFolderError, TrainingError

__all__ = [
    "CheckpointError",
    "DivergenceError",
    "RunFolderError",
    "TrainingError",
    "TrainingInterrupted",
]


class CheckpointError(TrainingError):
    """A checkpoint is missing, corrupt, or belongs to another circuit."""


class DivergenceError(TrainingError):
    """The loss became NaN or infinite; the last good checkpoint was kept."""


class TrainingInterrupted(TrainingError):
    """Training was stopped by SIGINT (Ctrl-C) or SIGTERM; the checkpoint and metrics
    (status ``interrupted``) were written. The command line exits with 128 + the signal's
    number (130 for SIGINT, 143 for SIGTERM)."""

    exit_code = 130
