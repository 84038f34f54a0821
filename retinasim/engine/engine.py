"""Run a circuit over a :class:`~retinasim.engine.StimulusSet` under many lesion sets at once.

Each batch is rendered and run once with the circuit's own lesions (keeping a pass cache);
every lesion set then recomputes the pass only from the first layer it lesions
(:meth:`~retinasim.circuit.Circuit.rerun`), so in murray2021 no lesion repeats the bipolar
cells' convolution of the full video, most of a pass. The cache lives for one batch; results
equal a plain forward pass of the lesioned circuit (tested).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from retinasim.circuit.lesions import resolve_lesions
from retinasim.engine.stimulus_set import StimulusSet
from retinasim.util.progress import Progress, silent

if TYPE_CHECKING:
    from retinasim.circuit import Circuit
    from retinasim.spec import CircuitSpec

Lesions = Mapping[str, Iterable[int | str]]
"""Layer → cell types to silence (indices or names)."""
TASK = "simulation"
"""The name the engine reports its progress under."""


def decision_logits(logits: torch.Tensor, spec: CircuitSpec) -> torch.Tensor:
    """The readout frame's logits: ``(batch, frames, classes)`` → ``(batch, classes)``."""
    frame = spec.readout.frame
    return logits[:, -1] if frame == "last" else logits[:, int(frame)]


@dataclass
class EngineResult:
    """Decisions of a circuit on a stimulus set, for every lesion set: ``logits`` float32
    ``(lesion_set, trial, class)`` at the decision frame, ``labels`` int64 ``(trial,)`` (the
    correct class) and the per-trial stimulus metadata ``trials``, each ``(trial,)`` (``s`` in
    pixels/frame, ``fast_direction``, ``alpha``, ``index``, ``seed``, ...)."""

    logits: np.ndarray
    labels: np.ndarray
    trials: dict[str, np.ndarray]

    @property
    def correct(self) -> np.ndarray:
        """bool ``(lesion_set, trial)``: whether the decision was the correct class."""
        return self.logits.argmax(-1) == self.labels[None, :]

    def accuracy(self) -> np.ndarray:
        """``(lesion_set,)`` fraction correct."""
        return self.correct.mean(axis=1)


class Engine:
    """Decisions of ``circuit`` (in eval mode, under ``torch.no_grad``) on stimulus sets.

    The circuit's own lesions stay in place, every lesion set is added to them, and its mode
    is restored after each run. ``batch_size`` stimuli are rendered (on ``device``, default
    the circuit's) and run together; murray2021 needs about 60 MB a stimulus.
    """

    def __init__(
        self,
        circuit: Circuit,
        *,
        batch_size: int = 16,
        device: torch.device | str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.circuit = circuit
        self.spec = circuit.spec
        self.batch_size = batch_size
        self.device = device or circuit.readout.weight.device

    def run(
        self,
        stimuli: StimulusSet,
        lesion_sets: Sequence[Lesions | None] = (None,),
        *,
        progress: Progress | None = None,
    ) -> EngineResult:
        """Decisions on every stimulus of ``stimuli`` for each lesion set (None: intact).

        ``progress`` (:mod:`retinasim.util.progress`) is told the stimuli done after every
        batch, as the task :data:`TASK` (callers rename it with ``as_task``).
        """
        if not lesion_sets:
            raise ValueError("no lesion sets to run (pass [None] for the intact circuit)")
        circuit = self.circuit
        restarts = [self._first_lesioned_layer(lesions) for lesions in lesion_sets]
        needed = {layer for layer in restarts if layer is not None}
        logits: list[np.ndarray] = []
        labels: list[np.ndarray] = []
        trials: list[dict[str, np.ndarray]] = []
        done = 0
        progress = progress or silent
        progress(TASK, 0, len(stimuli))
        was_training = circuit.training
        circuit.eval()
        try:
            with torch.no_grad():
                for batch, batch_trials in stimuli.batches(self.batch_size, self.device):
                    output, cache = circuit.run_cached(batch.video, needed)
                    intact = decision_logits(output.logits, self.spec)
                    per_set = []
                    for lesions, restart in zip(lesion_sets, restarts, strict=True):
                        if restart is None or lesions is None:  # (no lesions: no restart)
                            per_set.append(intact)
                            continue
                        with circuit.lesioned(lesions):
                            rerun = circuit.rerun(cache, restart)
                        per_set.append(decision_logits(rerun.logits, self.spec))
                    del cache
                    logits.append(torch.stack(per_set).float().cpu().numpy())
                    assert batch.labels is not None, "the engine needs a task with labels"
                    labels.append(batch.labels.cpu().numpy())
                    trials.append(batch_trials)
                    done += len(batch_trials["index"])
                    progress(TASK, done, len(stimuli))
        finally:
            circuit.train(was_training)
        return EngineResult(
            logits=np.concatenate(logits, axis=1),
            labels=np.concatenate(labels),
            trials={name: np.concatenate([t[name] for t in trials]) for name in trials[0]},
        )

    def _first_lesioned_layer(self, lesions: Lesions | None) -> str | None:
        """The first layer (in pass order) where ``lesions`` silence a type not already
        silenced; None when they add nothing to the circuit's lesions."""
        if not lesions:
            return None
        current = self.circuit.lesions
        added = resolve_lesions(lesions, self.circuit.type_names)
        for layer in self.circuit.layer_names:
            if set(added.get(layer, [])) - set(current.get(layer, [])):
                return layer
        return None
