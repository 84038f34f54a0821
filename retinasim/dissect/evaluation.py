"""Fixed evaluation stimuli and decisions of a (possibly lesioned) circuit: thin names over
:mod:`retinasim.engine` (:func:`evaluation_set` is :func:`~retinasim.engine.moving_dots_set`;
analyses that test many lesion sets run :meth:`~retinasim.engine.Engine.run` once with all).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from retinasim.engine import Engine, Lesions, StimulusSet, moving_dots_set

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

evaluation_set = moving_dots_set

__all__ = ["Lesions", "StimulusSet", "decisions", "evaluation_set", "lesion_label"]


def decisions(
    circuit: Circuit,
    stimuli: StimulusSet,
    *,
    lesions: Lesions | None = None,
    batch_size: int = 16,
) -> np.ndarray:
    """Whether the circuit picks the correct class on each stimulus: bool ``(n,)``.

    ``lesions`` are added to the circuit's current lesions for this call only.
    """
    result = Engine(circuit, batch_size=batch_size).run(stimuli, [lesions])
    return result.correct[0]


@contextlib.contextmanager
def evaluating(circuit: Circuit) -> Iterator[None]:
    """``circuit`` in eval mode for the block, its mode restored after."""
    was_training = circuit.training
    circuit.eval()
    try:
        yield
    finally:
        circuit.train(was_training)


def lesion_label(lesions: Lesions | None, type_names: Mapping[str, Sequence[str]]) -> str:
    """A readable name of a lesion set, e.g. ``"ganglion_0+ganglion_2"`` (``"none"``)."""
    names = []
    for layer, refs in (lesions or {}).items():
        for ref in refs:
            names.append(ref if isinstance(ref, str) else type_names[layer][ref])
    return "+".join(names) or "none"
