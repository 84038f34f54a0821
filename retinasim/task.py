"""The task a circuit is trained on, as a stimulus generator at the circuit's input.

Beside :mod:`retinasim.compile` (spec → circuit) this is the other place a spec becomes
something that runs: spec → the generator of its ``training.stimulus`` task, used by
training, evaluation, the engine and the dissection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retinasim.errors import TrainingError
from retinasim.plugins import generator_class
from retinasim.spec import CircuitSpec

if TYPE_CHECKING:
    from retinasim.stimuli.base import StimulusGenerator

__all__ = ["EVALUATION_PARAMETERS", "task_generator"]

EVALUATION_PARAMETERS = {"alpha", "s", "s_range"}
"""Parameters a task needs to be evaluated by alpha (its trials' metadata: ``s`` and
``fast_direction``)."""


def task_generator(spec: CircuitSpec, *, alpha: float | None = None) -> StimulusGenerator:
    """The generator of the task ``training.stimulus.kind`` (default ``moving_dots``, any
    registered stimulus kind with labels) at the circuit's input size, frames and frame rate, with
    the training section's params; ``alpha`` overrides the task's fast/slow speed ratio
    (evaluation, the psychometric analyses)."""
    kind = spec.training.task
    if spec.input.channels != 1:
        raise TrainingError(
            f"the {kind} task renders 1 input channel; circuit {spec.name!r} has "
            f"{spec.input.channels}"
        )
    task: type[StimulusGenerator] = generator_class(kind)
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
