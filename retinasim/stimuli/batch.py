"""The :class:`StimulusBatch`: videos plus the per-trial parameters that made them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from retinasim.errors import StimulusError


@dataclass
class StimulusBatch:
    """A batch of stimuli and everything needed to label a recording made with them.

    ``video``: luminance ``(batch, 1, frames, height, width)`` in ``[0, 1]`` (0 = black, row
    0 the top of the screen), float32 unless another dtype was asked for. ``metadata``: the
    per-trial stimulus parameters, arrays of shape ``(batch,)`` in the fields' units, always
    with ``seed`` and ``index`` (they become coordinates along ``trial``). ``labels``: for a
    task, int64 ``(batch,)`` indexing ``classes``. ``attrs``: the whole batch's ``kind``,
    ``frame_rate_hz``, ``units``, ``direction_convention``, generator ``parameters`` and
    ``seed``.
    """

    video: torch.Tensor
    metadata: dict[str, np.ndarray]
    labels: torch.Tensor | None = None
    classes: tuple[str, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.video.ndim != 5 or self.video.shape[1] != 1:
            raise StimulusError(
                f"video must have shape (batch, 1, frames, height, width), got "
                f"{tuple(self.video.shape)}"
            )
        size = self.video.shape[0]
        for name, values in self.metadata.items():
            if np.shape(values) != (size,):
                raise StimulusError(
                    f"metadata {name!r} must have shape ({size},), got {np.shape(values)}"
                )
        if self.labels is not None and tuple(self.labels.shape) != (size,):
            raise StimulusError(f"labels must have shape ({size},), got {tuple(self.labels.shape)}")

    def __len__(self) -> int:
        return self.video.shape[0]

    @property
    def frames(self) -> int:
        """Number of frames of every video."""
        return self.video.shape[2]

    @property
    def device(self) -> torch.device:
        """Device of the videos (and labels)."""
        return self.video.device

    def select(self, positions: Sequence[int] | slice | np.ndarray) -> StimulusBatch:
        """The trials at ``positions`` (positions in this batch, not stimulus indices)."""
        if isinstance(positions, slice):
            chosen = np.arange(len(self))[positions]
        else:
            chosen = np.asarray(positions, dtype=np.int64).reshape(-1)
        picker = torch.as_tensor(chosen, dtype=torch.int64, device=self.video.device)
        return replace(
            self,
            video=self.video.index_select(0, picker),
            metadata={name: values[chosen] for name, values in self.metadata.items()},
            labels=None if self.labels is None else self.labels.index_select(0, picker),
            attrs=dict(self.attrs),
        )

    def to(self, device: torch.device | str) -> StimulusBatch:
        """The same batch with video and labels on ``device``."""
        labels = None if self.labels is None else self.labels.to(device)
        return replace(self, video=self.video.to(device), labels=labels)

    @classmethod
    def concatenate(cls, batches: Sequence[StimulusBatch]) -> StimulusBatch:
        """Join batches made by the same generator along the trial axis."""
        if not batches:
            raise StimulusError("cannot concatenate an empty list of batches")
        first = batches[0]
        for other in batches[1:]:
            if other.attrs.get("parameters") != first.attrs.get("parameters") or (
                other.metadata.keys() != first.metadata.keys()
            ):
                raise StimulusError("can only concatenate batches of the same generator")
        labels = None
        if first.labels is not None:
            labels = torch.cat([batch.labels for batch in batches])  # type: ignore[misc]
        attrs = dict(first.attrs)
        if len({batch.attrs.get("seed") for batch in batches}) > 1:
            attrs.pop("seed", None)  # seeds differ: the per-trial ``seed`` metadata holds them
        return cls(
            video=torch.cat([batch.video for batch in batches]),
            metadata={
                name: np.concatenate([batch.metadata[name] for batch in batches])
                for name in first.metadata
            },
            labels=labels,
            classes=first.classes,
            attrs=attrs,
        )
