"""Training, evaluation and checkpoints of circuits: :func:`train` writes a run folder,
:func:`evaluate_run` tests it on held-out stimuli, :func:`load_trained` reads its circuit back.
Heavy modules are imported on first use.
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
