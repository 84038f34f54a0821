"""The memory one training step needs, estimated from the spec before anything is allocated
(refused with the numbers when it does not fit; see :mod:`retinasim.util.resources`)."""

from __future__ import annotations

from typing import Any

from retinasim.spec.graph import layer_sizes
from retinasim.task import task_generator
from retinasim.util.resources import BYTES, check_memory, stimulus_bytes

BACKWARD_FACTOR = 3
"""Activity is kept for the backward pass and its gradient made: about 3 × the forward."""


def circuit_step_bytes(spec: Any, stimuli: int, *, backward: bool = True) -> float:
    """Bytes of one forward (and backward) pass of ``spec`` on ``stimuli`` stimuli: the
    input and every layer's activity (``stimuli × n_types × frames × H × W`` values), times
    :data:`BACKWARD_FACTOR` with a backward pass, plus the weights (with gradients and Adam's
    two moments when training)."""
    frames = spec.input.frames
    sizes = layer_sizes(spec)
    height, width = spec.input.size
    values = float(spec.input.channels) * frames * height * width
    types = {layer.name: layer.n_types for layer in spec.layers}
    types["input"] = spec.input.channels
    for layer in spec.layers:
        h, w = sizes[layer.name]
        values += float(layer.n_types) * frames * max(h, 0) * max(w, 0)
    weights = 0.0
    for connection in spec.connections:
        kh, kw = connection.kernel
        weights += float(types[connection.source]) * types[connection.target] * kh * kw
    activity = float(stimuli) * values * BYTES * (BACKWARD_FACTOR if backward else 1)
    return activity + weights * BYTES * (4 if backward else 1)


def check_training_memory(spec: Any, processes: int = 1) -> None:
    """Refuse a training run whose largest step does not fit in the available memory
    (all ``processes`` of this machine together; each trains on its share of the batch)."""
    training = spec.training
    share = max(1, training.batch_size // max(processes, 1))
    generator = task_generator(spec)
    per_process = max(
        circuit_step_bytes(spec, share) + stimulus_bytes(generator, share),
        circuit_step_bytes(spec, training.init_stimuli, backward=False)
        + stimulus_bytes(generator, training.init_stimuli),
        circuit_step_bytes(spec, min(training.batch_size, training.validation_size), backward=False)
        + stimulus_bytes(generator, min(training.batch_size, training.validation_size)),
    )
    height, width = spec.input.size
    check_memory(
        per_process * max(processes, 1),
        f"training {spec.name} (batch {training.batch_size} of {spec.input.channels} x "
        f"{spec.input.frames} x {height} x {width} stimuli over {processes} process(es))",
        "use a smaller batch_size (--batch-size), a smaller circuit or fewer processes",
    )
