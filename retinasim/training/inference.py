"""Decisions of a circuit on a stimulus set (validation during training, evaluation after)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from retinasim.engine.engine import decision_logits
from retinasim.spec import CircuitSpec
from retinasim.util.progress import Progress

if TYPE_CHECKING:
    from retinasim.circuit import Circuit
    from retinasim.stimuli import StimulusGenerator

__all__ = ["decision_logits", "predict", "training_loss"]


def training_loss(
    logits: torch.Tensor, labels: torch.Tensor, spec: CircuitSpec
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy averaged over the last ``training.loss_frames`` frames up to the decision
    frame, and the decision frame's logits ``(batch, classes)``."""
    decision = decision_logits(logits, spec)
    count = spec.training.loss_frames
    if count == 1:
        return F.cross_entropy(decision, labels), decision
    frame = spec.readout.frame
    end = logits.shape[1] if frame == "last" else int(frame) + 1
    window = logits[:, max(end - count, 0) : end]
    repeated = labels[:, None].expand(-1, window.shape[1])
    return F.cross_entropy(window.flatten(0, 1), repeated.flatten()), decision


def predict(
    circuit: Circuit,
    generator: StimulusGenerator,
    *,
    seed: int,
    count: int,
    device: torch.device | str = "cpu",
    batch_size: int = 16,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Run stimuli ``0 .. count - 1`` of set ``seed`` through ``circuit`` in eval mode
    (one run of the :class:`~retinasim.engine.Engine`); ``progress`` is told the stimuli done
    after every batch.

    Returns ``correct`` bool ``(count,)``; ``logits`` float ``(count, classes)`` at the
    readout frame; ``labels`` int ``(count,)``; and the generator's per-trial metadata (``s``
    in pixels/frame, ``fast_direction``, ...), each ``(count,)``.
    """
    from retinasim.engine import Condition, Engine, StimulusSet

    stimuli = StimulusSet([Condition(generator)], count, seed)
    engine = Engine(circuit, batch_size=batch_size, device=device)
    result = engine.run(stimuli, progress=progress)
    return {
        "logits": result.logits[0],
        "labels": result.labels,
        "correct": result.correct[0],
        **result.trials,
    }
