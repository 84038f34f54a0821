"""Stimuli for training and evaluation: which stimuli each step (and each process) draws.

Every draw is a pure function of ``(seed, step)``: step ``k`` of a run uses stimuli
``k * batch_size ... (k + 1) * batch_size - 1`` of the training seed (or, with a fixed
``train_size``, those positions of a per-epoch permutation seeded by ``(seed, epoch)``), so a
resumed run sees exactly the stimuli an uninterrupted run would. With several processes, rank
``r`` of ``world`` takes the ``r``-th contiguous share of the global batch.
"""

from __future__ import annotations

import numpy as np
import torch

from retinasim.spec.training import TrainingSpec
from retinasim.training.errors import TrainingError


def derived_seed(*parts: int) -> int:
    """A 63-bit seed that is a pure function of the integers ``parts`` (SeedSequence hash)."""
    state = np.random.SeedSequence([int(p) for p in parts]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def train_indices(training: TrainingSpec, step: int, rank: int = 0, world: int = 1) -> torch.Tensor:
    """Indices (into the training seed's set) of the stimuli of ``step`` for process ``rank``
    of ``world`` (its contiguous share of the global batch): int64 ``(batch_size // world,)``."""
    size = training.batch_size
    if size % world:
        raise TrainingError(
            f"batch_size {size} does not split evenly over {world} processes; "
            f"use a multiple of {world}"
        )
    positions = step * size + torch.arange(size, dtype=torch.int64)
    if training.train_size is not None:
        n = training.train_size
        epochs = positions // n
        indices = torch.empty_like(positions)
        for epoch in torch.unique(epochs).tolist():
            generator = torch.Generator().manual_seed(
                derived_seed(training.stimulus_seeds.train, epoch)
            )
            order = torch.randperm(n, generator=generator)
            chosen = epochs == epoch
            indices[chosen] = order[positions[chosen] % n]
        positions = indices
    share = size // world
    return positions[rank * share : (rank + 1) * share]
