"""Fixed stimulus sets: ``n`` stimuli of each of several conditions, rendered on demand.

Stimulus ``k`` of a condition is stimulus ``k`` of the set ``seed`` of that condition's
generator (a pure function of seed, index and parameters), so a set renders the same videos
every time and in any batch size; nothing is kept in memory between batches. For the
moving-dots task the slow speed and the fast direction of stimulus ``k`` do not depend on
``alpha``, so conditions that differ only in ``alpha`` test the same dot layouts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from retinasim.errors import RetinasimError
from retinasim.stimuli import StimulusBatch, StimulusGenerator

if TYPE_CHECKING:
    from retinasim.spec import CircuitSpec


@dataclass(frozen=True)
class Condition:
    """One condition of a set: the generator of its stimuli (with labels for a task) and the
    values added to every trial's metadata (``coords``, e.g. ``{"alpha": 2.0}``)."""

    generator: StimulusGenerator
    coords: Mapping[str, float | str] = field(default_factory=dict)


class StimulusSet:
    """Stimuli ``0 .. n - 1`` of the set ``seed`` for every condition, in condition order."""

    def __init__(self, conditions: Sequence[Condition], n: int, seed: int):
        if n < 1:
            raise RetinasimError(f"a stimulus set needs at least 1 stimulus, got n = {n}")
        if not conditions:
            raise RetinasimError("a stimulus set needs at least one condition")
        self.conditions = list(conditions)
        self.n = int(n)
        self.seed = int(seed)

    def __len__(self) -> int:
        return self.n * len(self.conditions)

    def head(self, count: int) -> StimulusSet:
        """The first ``count`` stimuli of every condition (a smaller set, same stimuli)."""
        return StimulusSet(self.conditions, min(count, self.n), self.seed)

    def batches(
        self, batch_size: int, device: torch.device | str = "cpu"
    ) -> Iterator[tuple[StimulusBatch, dict[str, np.ndarray]]]:
        """Render the set batch by batch (a batch never spans two conditions): yields each
        :class:`~retinasim.stimuli.StimulusBatch` and its per-trial metadata, the condition's
        coordinates added, each ``(len(batch),)``."""
        for condition in self.conditions:
            for start in range(0, self.n, batch_size):
                indices = range(start, min(start + batch_size, self.n))
                batch = condition.generator.generate(indices, seed=self.seed, device=device)
                trials = dict(batch.metadata)
                for name, value in condition.coords.items():
                    trials[name] = np.full(len(indices), value)
                yield batch, trials


def moving_dots_set(
    spec: CircuitSpec,
    *,
    alphas: Sequence[float] = (2.0,),
    s_values: Sequence[float] | None = None,
    n: int = 100,
    seed: int | None = None,
) -> StimulusSet:
    """``n`` stimuli of ``spec``'s task at every ``alpha`` (fast/slow speed ratio) × every
    fixed slow speed of ``s_values`` (pixels/frame; None: ``s`` drawn from the training
    ``s_range``), from the set ``seed`` (default ``training.stimulus_seeds.test``)."""
    from retinasim.task import task_generator

    if not len(alphas) or any(not np.isfinite(a) or a < 0 for a in alphas):
        raise RetinasimError(f"alpha values must be finite and >= 0, got {list(alphas)}")
    if s_values is not None and (not len(s_values) or min(s_values) < 0):
        raise RetinasimError(f"s values must be >= 0 pixels/frame, got {list(s_values)}")
    conditions = []
    for alpha in alphas:
        for s in s_values if s_values is not None else [None]:
            generator = task_generator(spec, alpha=alpha)
            if s is not None:
                generator = generator.model_copy(update={"s": float(s)})
            conditions.append(Condition(generator, {"alpha": float(alpha)}))
    seed = spec.training.stimulus_seeds.test if seed is None else seed
    return StimulusSet(conditions, n, seed)
