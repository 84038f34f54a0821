"""Schedules of a training run: the learning rate (linear warm-up, then constant, cosine or
linear decay) and the dropout probability (off, then a linear ramp to its value).

Pure functions of the step, so a resumed run follows exactly the same schedules.
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


def dropout_probability(training: TrainingSpec, step: int, full: float) -> float:
    """Dropout probability of optimizer step ``step`` (0-based), rising to ``full``.

    0 for ``step < dropout_start``; then ``full * (step - dropout_start + 1) /
    (dropout_ramp_steps + 1)`` until it reaches ``full``, which it keeps; over the last
    ``dropout_cooldown_steps`` steps at most ``full * (steps left) / (cooldown + 1)``,
    falling to ``full / (cooldown + 1)`` at the last step.
    """
    start, ramp = training.dropout_start, training.dropout_ramp_steps
    if step < start:
        return 0.0
    rising = min((step - start + 1) / (ramp + 1), 1.0)
    cooldown = training.dropout_cooldown_steps
    falling = min((training.total_steps() - step) / (cooldown + 1), 1.0) if cooldown else 1.0
    return full * min(rising, falling)
