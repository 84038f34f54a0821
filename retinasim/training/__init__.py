"""Training, evaluation and checkpoints of circuits on the moving-dots task.

Public API: :func:`train` (write a run folder; returns a :class:`TrainedRun` with the trained
circuit, metrics and history in memory), :func:`evaluate_run` (held-out accuracy as an
xarray Dataset), :func:`load_trained` (a run's circuit with its trained weights),
:func:`apply_overrides` and the errors :class:`TrainingError`, :class:`RunFolderError`,
:class:`CheckpointError`, :class:`DivergenceError`. Heavy modules are imported on first use.
"""

from __future__ import annotations

from retinasim.training.errors import (
    CheckpointError,
    DivergenceError,
    RunFolderError,
    TrainingError,
)
from retinasim.util.lazy import lazy_exports

__all__ = [
    "CheckpointError",
    "DivergenceError",
    "RunFolderError",
    "TrainedRun",
    "TrainingError",
    "apply_overrides",
    "evaluate_run",
    "load_trained",
    "train",
]

_LAZY = {
    "train": "retinasim.training.loop",
    "TrainedRun": "retinasim.training.loop",
    "evaluate_run": "retinasim.training.evaluate",
    "load_trained": "retinasim.training.evaluate",
    "apply_overrides": "retinasim.training.overrides",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
