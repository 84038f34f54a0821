"""The memory one training step needs, estimated from the spec before anything is allocated
(refused with the numbers when it does not fit; see :mod:`retinasim.util.resources`)."""

from __future__ import annotations

from typing import Any

from retinasim.spec.graph import circuit_step_bytes
from retinasim.task import task_generator
from retinasim.util.resources import check_memory, stimulus_bytes


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
