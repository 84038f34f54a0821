"""Stimulus sets for ``torch.utils.data``: rendered on the fly from ``(generator, seed)``.

A set is a generator's parameters, a ``seed`` and a range of indices: nothing is stored, and
train, validation and test sets are kept apart by giving them different seeds (or disjoint
index ranges of one seed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from retinasim.errors import StimulusError
from retinasim.stimuli import rng
from retinasim.stimuli.base import StimulusGenerator, check_seed
from retinasim.stimuli.batch import StimulusBatch
from retinasim.stimuli.moving_dots import MovingDots


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise StimulusError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _check_source(generator: Any, seed: Any) -> tuple[StimulusGenerator, int]:
    if not isinstance(generator, StimulusGenerator):
        raise StimulusError(
            f"generator must be a StimulusGenerator, got {type(generator).__name__}"
        )
    return generator, check_seed(seed)


class StimulusDataset(Dataset):
    """Map-style set: item ``i`` is stimulus ``start + i`` of the set ``seed``.

    Items are ``(video, label)`` for a task (video ``(1, frames, height, width)``, label an
    int64 scalar) and ``video`` alone otherwise, so the default ``DataLoader`` collation gives
    ``(batch, 1, frames, height, width)`` videos. ``__getitems__`` renders a whole ``DataLoader``
    batch in one vectorised call.
    """

    def __init__(
        self,
        generator: StimulusGenerator,
        seed: int,
        length: int,
        *,
        start: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.generator, self.seed = _check_source(generator, seed)
        self.length = _check_count("length", length, 1)
        self.start = _check_count("start", start, 0)
        self.dtype = dtype

    def __len__(self) -> int:
        return self.length

    def _indices(self, positions: Sequence[int]) -> list[int]:
        for position in positions:
            if not 0 <= position < self.length:
                raise IndexError(f"item {position} out of range for a set of {self.length}")
        return [self.start + int(position) for position in positions]

    def batch(self, positions: Sequence[int]) -> StimulusBatch:
        """Items ``positions`` as one :class:`StimulusBatch` (with metadata)."""
        return self.generator.generate(self._indices(positions), seed=self.seed, dtype=self.dtype)

    def __getitems__(self, positions: Sequence[int]) -> list[Any]:
        batch = self.batch(positions)
        if batch.labels is None:
            return list(batch.video)
        return list(zip(batch.video, batch.labels, strict=True))

    def __getitem__(self, position: int) -> Any:
        return self.__getitems__([position])[0]


class MovingDotsDataset(StimulusDataset):
    """The moving-dots task as a map-style set: item ``i`` is ``(video, label)``.

    ``video`` has shape ``(1, frames, height, width)``; ``label`` is the index of the fast
    direction in ``("left", "right")``. The paper's set is ``MovingDotsDataset(MovingDots(),
    seed, 1000)``.
    """

    def __init__(
        self,
        task: MovingDots | None = None,
        seed: int = 0,
        length: int = 1000,
        *,
        start: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        task = MovingDots() if task is None else task
        if not isinstance(task, MovingDots):
            raise StimulusError(f"task must be a MovingDots generator, got {type(task).__name__}")
        super().__init__(task, seed, length, start=start, dtype=dtype)


class StimulusBatches(IterableDataset):
    """Yields :class:`StimulusBatch` es of ``batch_size`` disjoint stimuli, rendered on the fly.

    Batch ``k`` holds stimuli ``start + k * batch_size ...`` (or, with ``shuffle``, the ``k``-th
    slice of a permutation of the set drawn from ``(seed, epoch)``; call :meth:`set_epoch`).
    With ``length=None`` the stream is endless: every batch is new stimuli. Under a
    ``DataLoader`` with several workers (``batch_size=None``), worker ``w`` of ``W`` renders
    batches ``w, w + W, ...``, so no stimulus is produced twice.
    """

    def __init__(
        self,
        generator: StimulusGenerator,
        *,
        seed: int,
        batch_size: int,
        length: int | None = None,
        start: int = 0,
        shuffle: bool = False,
        drop_last: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.generator, self.seed = _check_source(generator, seed)
        self.batch_size = _check_count("batch_size", batch_size, 1)
        self.length = None if length is None else _check_count("length", length, 1)
        self.start = _check_count("start", start, 0)
        if shuffle and length is None:
            raise StimulusError("shuffle needs a finite length")
        if drop_last and self.length is not None and self.length < self.batch_size:
            raise StimulusError(
                f"drop_last with length {length} < batch_size {batch_size} yields nothing"
            )
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.device = device
        self.dtype = dtype
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the permutation used when ``shuffle`` is on."""
        self.epoch = _check_count("epoch", epoch, 0)

    def __len__(self) -> int:
        if self.length is None:
            raise TypeError("an endless StimulusBatches has no length")
        full, rest = divmod(self.length, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def _order(self) -> torch.Tensor | None:
        if not self.shuffle:
            return None
        key = rng.stimulus_keys(self.seed, torch.tensor([self.epoch]))
        generator = torch.Generator().manual_seed(int(key[0]))
        return self.start + torch.randperm(self.length, generator=generator)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[StimulusBatch]:
        worker = get_worker_info()
        number, step = (0, 1) if worker is None else (worker.id, worker.num_workers)
        order = self._order()
        while self.length is None or number < len(self):
            first = number * self.batch_size
            last = min(first + self.batch_size, self.length or first + self.batch_size)
            indices = (
                range(self.start + first, self.start + last) if order is None else order[first:last]
            )
            yield self.generator.generate(
                indices, seed=self.seed, device=self.device, dtype=self.dtype
            )
            number += step
