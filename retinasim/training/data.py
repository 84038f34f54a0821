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

from retinasim.spec import CircuitSpec
from retinasim.spec.training import TrainingSpec
from retinasim.stimuli.base import StimulusGenerator
from retinasim.training.errors import TrainingError

EVALUATION_PARAMETERS = {"alpha", "s", "s_range"}
"""Parameters a task needs to be evaluated by alpha (its trials' metadata: ``s`` and
``fast_direction``)."""


def moving_dots(spec: CircuitSpec, *, alpha: float | None = None) -> StimulusGenerator:
    """The task's generator at the circuit's input size, with the training section's params.

    The task is ``training.stimulus.kind`` (default ``moving_dots``), any registered stimulus
    kind with labels (``retinasim plugins``).

    Parameters
    ----------
    spec
        The circuit; its ``input`` sets height, width, frames and frame rate.
    alpha
        Fast/slow speed ratio overriding ``training.stimulus.alpha`` (evaluation, the
        psychometric analyses); the task must have an ``alpha`` parameter.
    """
    from retinasim.plugins import generator_class

    kind = spec.training.task
    if spec.input.channels != 1:
        raise TrainingError(
            f"the {kind} task renders 1 input channel; circuit {spec.name!r} has "
            f"{spec.input.channels}"
        )
    task = generator_class(kind)
    if len(task.classes) != len(spec.readout.classes):
        raise TrainingError(
            f"task {kind!r} has {len(task.classes)} classes ({', '.join(task.classes)}) but "
            f"circuit {spec.name!r}'s readout has {len(spec.readout.classes)}; set "
            f"readout.classes to [{', '.join(task.classes)}]"
        )
    params = {name: value for name, value in spec.training.stimulus.items() if name != "kind"}
    if alpha is not None:
        missing = sorted(EVALUATION_PARAMETERS - set(task.model_fields))
        if missing:
            raise TrainingError(
                f"task {kind!r} has no {' or '.join(missing)} parameter: evaluating by alpha "
                f"(`retinasim evaluate --alpha`, the psychometric analyses) needs a task with a "
                f"fast/slow speed ratio alpha, a slow speed s and its range s_range, like "
                f"moving_dots"
            )
        params["alpha"] = float(alpha)
    height, width = spec.input.size
    return task(
        height=height,
        width=width,
        frames=spec.input.frames,
        frame_rate_hz=spec.input.frame_rate,
        **params,
    )


def derived_seed(*parts: int) -> int:
    """A 63-bit seed that is a pure function of the integers ``parts`` (SeedSequence hash)."""
    state = np.random.SeedSequence([int(p) for p in parts]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def local_share(batch_size: int, rank: int, world: int) -> slice:
    """Positions in the global batch that process ``rank`` of ``world`` trains on."""
    if batch_size % world:
        raise TrainingError(
            f"batch_size {batch_size} does not split evenly over {world} processes; "
            f"use a multiple of {world}"
        )
    share = batch_size // world
    return slice(rank * share, (rank + 1) * share)


def train_indices(training: TrainingSpec, step: int, rank: int = 0, world: int = 1) -> torch.Tensor:
    """Indices (into the training seed's set) of the stimuli of ``step`` for one process.

    Returns
    -------
    torch.Tensor
        int64 ``(batch_size // world,)``.
    """
    size = training.batch_size
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
    return positions[local_share(size, rank, world)]


def circuit_input(video: torch.Tensor, training: TrainingSpec) -> torch.Tensor:
    """What the circuit sees: ``(luminance - input_offset) * input_scale``, same shape."""
    if training.input_offset:
        video = video - training.input_offset
    if training.input_scale != 1.0:
        video = video * training.input_scale
    return video
