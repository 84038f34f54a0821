"""Learning-rate schedule: linear warm-up, then constant, cosine or linear decay.

A pure function of the step, so a resumed run follows exactly the same schedule.
"""

from __future__ import annotations

import math

from retinasim.spec.training import Schedule, TrainingSpec


def learning_rate(training: TrainingSpec, step: int) -> float:
    """Learning rate of optimizer step ``step`` (0-based) of a run of ``total_steps()``.

    Warm-up: ``peak * (step + 1) / (warmup_steps + 1)`` for ``step < warmup_steps``; then
    the peak decays to ``final_lr_fraction * peak`` at the last step (cosine or linear), or
    stays (constant).
    """
    peak = training.learning_rate
    warmup = training.warmup_steps
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    if training.schedule is Schedule.constant:
        return peak
    decay_steps = max(training.total_steps() - warmup - 1, 1)
    progress = min((step - warmup) / decay_steps, 1.0)
    final = training.final_lr_fraction
    if training.schedule is Schedule.cosine:
        shape = 0.5 * (1.0 + math.cos(math.pi * progress))
    else:
        shape = 1.0 - progress
    return peak * (final + (1.0 - final) * shape)
