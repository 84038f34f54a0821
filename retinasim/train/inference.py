"""Decisions of a circuit on a stimulus set (validation during training, evaluation after)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from retinasim.spec import CircuitSpec
from retinasim.stimuli.moving_dots import MovingDots
from retinasim.train.data import circuit_input


def decision_logits(logits: torch.Tensor, spec: CircuitSpec) -> torch.Tensor:
    """The readout frame's logits: ``(batch, frames, classes)`` → ``(batch, classes)``."""
    frame = spec.readout.frame
    return logits[:, -1] if frame == "last" else logits[:, int(frame)]


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


@torch.no_grad()
def predict(
    circuit: torch.nn.Module,
    spec: CircuitSpec,
    generator: MovingDots,
    *,
    seed: int,
    count: int,
    device: torch.device | str = "cpu",
    batch_size: int = 16,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run stimuli ``0 .. count - 1`` of set ``seed`` through ``circuit`` in eval mode.

    ``on_batch(n_done)`` is called after every batch (for progress bars).

    Returns
    -------
    dict
        ``correct`` bool ``(count,)``; ``logits`` float ``(count, classes)`` at the readout
        frame; ``labels`` int ``(count,)``; and the generator's per-trial metadata (``s`` in
        pixels/frame, ``fast_direction``, ...), each ``(count,)``.
    """
    was_training = circuit.training
    circuit.eval()
    parts: list[dict[str, np.ndarray]] = []
    try:
        for start in range(0, count, batch_size):
            batch = generator.generate(
                range(start, min(start + batch_size, count)), seed=seed, device=device
            )
            logits = decision_logits(circuit(circuit_input(batch.video, spec.training)), spec)
            if on_batch is not None:
                on_batch(min(start + batch_size, count))
            assert batch.labels is not None
            parts.append(
                {
                    "logits": logits.float().cpu().numpy(),
                    "labels": batch.labels.cpu().numpy(),
                    "correct": (logits.argmax(1) == batch.labels).cpu().numpy(),
                    **batch.metadata,
                }
            )
    finally:
        circuit.train(was_training)
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
