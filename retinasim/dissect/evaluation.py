"""Fixed evaluation stimuli and batched decisions of a (possibly lesioned) circuit.

An :class:`EvaluationSet` is rendered once (stimuli ``0 .. n - 1`` of the test seed for each
condition) and kept as circuit input in float16, so lesion scans and ablation searches only
pay for forward passes. Stimulus ``k``'s slow speed and fast direction do not depend on
``alpha``, so every ``alpha`` is tested on the same dot layouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from retinasim.dissect.errors import DissectionError
from retinasim.train.data import circuit_input, moving_dots
from retinasim.train.inference import decision_logits

Lesions = Mapping[str, Iterable[int | str]]
"""Layer → cell types to silence (indices or names)."""


@dataclass
class EvaluationSet:
    """Rendered moving-dots stimuli with their labels and parameters.

    Attributes
    ----------
    inputs
        Circuit input, float16 ``(n, 1, frames, height, width)``.
    labels
        int64 ``(n,)``: index of the fast direction in the readout's classes.
    alpha, s
        ``(n,)`` fast/slow speed ratio and slow speed (pixels/frame).
    fast_direction
        ``(n,)`` strings, ``"left"`` or ``"right"``.
    """

    inputs: torch.Tensor
    labels: torch.Tensor
    alpha: np.ndarray
    s: np.ndarray
    fast_direction: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, positions: slice) -> EvaluationSet:
        """The stimuli at ``positions`` (a view, nothing is copied)."""
        return EvaluationSet(
            self.inputs[positions],
            self.labels[positions],
            self.alpha[positions],
            self.s[positions],
            self.fast_direction[positions],
        )


def evaluation_set(
    spec,
    *,
    alphas: Sequence[float] = (2.0,),
    s_values: Sequence[float] | None = None,
    n: int = 100,
    seed: int | None = None,
) -> EvaluationSet:
    """Render ``n`` stimuli per condition (every ``alpha`` × every ``s``).

    Parameters
    ----------
    spec
        The circuit spec (input size, training stimulus parameters, test seed).
    alphas
        Fast/slow speed ratios.
    s_values
        Fixed slow speeds, pixels/frame; None draws ``s`` from the training ``s_range``.
    n
        Stimuli per condition.
    seed
        Stimulus set; default the spec's ``training.stimulus_seeds.test``.
    """
    if n < 1:
        raise DissectionError(f"the number of evaluation stimuli must be at least 1, got {n}")
    if not len(alphas) or any(not np.isfinite(a) or a < 0 for a in alphas):
        raise DissectionError(f"alpha values must be finite and >= 0, got {list(alphas)}")
    if s_values is not None and (not len(s_values) or min(s_values) < 0):
        raise DissectionError(f"s values must be >= 0 pixels/frame, got {list(s_values)}")
    seed = spec.training.stimulus_seeds.test if seed is None else seed
    parts = []
    for alpha in alphas:
        for s in s_values if s_values is not None else [None]:
            generator = moving_dots(spec, alpha=alpha)
            if s is not None:
                generator = generator.model_copy(update={"s": float(s)})
            batch = generator.generate(range(n), seed=seed)
            parts.append((batch, alpha))
    inputs = torch.cat([circuit_input(b.video, spec.training).half() for b, _ in parts])
    return EvaluationSet(
        inputs=inputs,
        labels=torch.cat([b.labels for b, _ in parts]),
        alpha=np.concatenate([np.full(len(b), a, dtype=float) for b, a in parts]),
        s=np.concatenate([np.asarray(b.metadata["s"], dtype=float) for b, _ in parts]),
        fast_direction=np.concatenate([np.asarray(b.metadata["fast_direction"]) for b, _ in parts]),
    )


@torch.no_grad()
def decisions(
    circuit,
    spec,
    stimuli: EvaluationSet,
    *,
    lesions: Lesions | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Whether the circuit picks the fast direction on each stimulus: bool ``(n,)``.

    ``lesions`` are added to the circuit's current lesions for this call only.
    """
    was_training = circuit.training
    circuit.eval()
    correct = []
    try:
        with circuit.lesioned(lesions or {}):
            for start in range(0, len(stimuli), batch_size):
                video = stimuli.inputs[start : start + batch_size].float()
                logits = decision_logits(circuit(video), spec)
                labels = stimuli.labels[start : start + batch_size]
                correct.append((logits.argmax(1) == labels).numpy())
    finally:
        circuit.train(was_training)
    return np.concatenate(correct)


def lesion_label(lesions: Lesions | None, type_names: Mapping[str, Sequence[str]]) -> str:
    """A readable name of a lesion set, e.g. ``"ganglion_0+ganglion_2"`` (``"none"``)."""
    names = []
    for layer, refs in (lesions or {}).items():
        for ref in refs:
            names.append(ref if isinstance(ref, str) else type_names[layer][ref])
    return "+".join(names) or "none"
