"""The base of every stimulus generator: validated frozen parameters and seeded batch generation.

Conventions shared by every generator of :mod:`retinasim.stimuli`:

- **Video**: ``(batch, 1, frames, height, width)``, luminance in ``[0, 1]`` (0 black, 1 white);
  row 0 is the top of the screen, column 0 its left edge; pixel ``(row i, column j)`` covers
  ``[j, j + 1) x [i, i + 1)`` in pixel coordinates.
- **Direction**: degrees, counter-clockwise as seen on the screen; 0° moves toward +x
  (rightward, increasing column), 90° moves up the screen (decreasing row), 180° leftward,
  270° down.
- **Time**: frames; ``frame_rate_hz`` (default 30 Hz, our convention: the paper gives none)
  converts temporal frequencies in Hz to cycles per frame.
- **Speed**: pixels per frame.
- **Randomness**: stimulus ``index`` of a set with ``seed`` is a pure function of
  ``(seed, index, parameters)`` (see :mod:`retinasim.stimuli.rng`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from retinasim.errors import StimulusError
from retinasim.plugins.stimulus_kind import StimulusParams, describe_validation_error
from retinasim.stimuli.batch import StimulusBatch

__all__ = [
    "DIRECTION_CONVENTION",
    "Indices",
    "RenderRequest",
    "Rendered",
    "StimulusGenerator",
    "StimulusParams",
    "check_device",
    "check_indices",
    "check_seed",
    "describe_validation_error",
]

DIRECTION_CONVENTION = (
    "degrees counter-clockwise on screen: 0 = rightward (+x, increasing column), "
    "90 = up the screen (decreasing row), 180 = leftward, 270 = down"
)
_MAX_SEED = 2**63
_MAX_INDEX = 2**62
Indices = Sequence[int] | range | np.ndarray | torch.Tensor
Rendered = tuple[torch.Tensor, dict[str, np.ndarray], torch.Tensor | None]
"""What :meth:`StimulusGenerator._render` returns: video, per-trial metadata, labels (or None)."""


@dataclass(frozen=True)
class RenderRequest:
    """What :meth:`StimulusGenerator.generate` asks a generator's :meth:`_render` for, checked:
    stimulus ``indices`` (CPU int64 ``(batch,)``, non-negative, any order, repeats allowed) of
    the set ``seed``, the ``device`` and floating-point ``dtype`` of the video, and ``out``, a
    contiguous ``(batch, 1, frames, height, width)`` tensor of them to render into, if given.
    """

    indices: torch.Tensor
    seed: int
    device: torch.device
    dtype: torch.dtype
    out: torch.Tensor | None = None

    @property
    def count(self) -> int:
        """Number of stimuli requested (the batch size)."""
        return len(self.indices)

    def zeros(self, frames: int, height: int, width: int) -> torch.Tensor:
        """A zeroed video ``(count, 1, frames, height, width)``: ``out`` when given."""
        if self.out is not None:
            return self.out.zero_()
        shape = (self.count, 1, frames, height, width)
        return torch.zeros(shape, dtype=self.dtype, device=self.device)


class StimulusGenerator(StimulusParams):
    """Parameters of one kind of stimulus, and the method that renders them.

    Subclasses set :attr:`kind`, declare their parameters as fields (or inherit them from a
    torch-free :class:`~retinasim.plugins.StimulusParams` model) and implement
    ``_render(self, request: RenderRequest) -> Rendered``.
    """

    def generate(
        self,
        indices: Indices,
        *,
        seed: int,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
        out: torch.Tensor | None = None,
    ) -> StimulusBatch:
        """Render the stimuli ``indices`` (non-negative, any order, repeats allowed) of the set
        ``seed`` (``0 <= seed < 2**63``) on ``device`` (default CPU) in ``dtype``.

        ``out``, a contiguous ``(batch, 1, frames, height, width)`` tensor of ``dtype`` on
        ``device``, is rendered into (overwritten; returned as ``video``), so a loop can reuse
        one buffer. Returns a :class:`StimulusBatch` whose trial ``k`` is stimulus
        ``indices[k]``, identical bits whatever else is in the batch.
        """
        index_tensor = check_indices(indices)
        seed = check_seed(seed)
        target = check_device(device)
        if not dtype.is_floating_point:
            raise StimulusError(f"dtype must be a floating-point torch dtype, got {dtype}")
        if out is not None:
            self._check_out(out, len(index_tensor), target, dtype)
        request = RenderRequest(index_tensor, seed, target, dtype, out)
        video, metadata, labels = self._render(request)
        if out is not None and video.data_ptr() != out.data_ptr():
            video = out.copy_(video)
        metadata = {
            "seed": np.full(len(index_tensor), seed, dtype=np.int64),
            "index": index_tensor.numpy().copy(),
            **metadata,
        }
        return StimulusBatch(
            video=video,
            metadata=metadata,
            labels=labels,
            classes=self.classes,
            attrs=self.attrs(seed),
        )

    def generate_range(self, start: int, count: int, *, seed: int, **options: Any) -> StimulusBatch:
        """Render stimuli ``start, start + 1, ..., start + count - 1`` of the set ``seed``."""
        if count < 1 or start < 0:
            raise StimulusError(f"need start >= 0 and count >= 1, got start={start}, count={count}")
        return self.generate(range(start, start + count), seed=seed, **options)

    def attrs(self, seed: int) -> dict[str, Any]:
        """Batch-level attributes: kind, frame rate, units, conventions, parameters, seed."""
        return {
            "kind": self.kind,
            "frame_rate_hz": self.frame_rate_hz,
            "units": {
                "video": "luminance, 0 = black, 1 = white",
                "time": "frames",
                "space": "pixels",
                **self.units,
            },
            "direction_convention": DIRECTION_CONVENTION,
            "parameters": self.model_dump(mode="json"),
            "seed": seed,
        }

    def _check_out(
        self, out: torch.Tensor, count: int, device: torch.device, dtype: torch.dtype
    ) -> None:
        shape = (count, 1, self.frames, self.height, self.width)
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != shape:
            found = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise StimulusError(f"out must be a tensor of shape {shape}, got {found}")
        if out.dtype != dtype or out.device.type != device.type or not out.is_contiguous():
            raise StimulusError(
                f"out must be a contiguous {dtype} tensor on {device}, got {out.dtype} on "
                f"{out.device}{'' if out.is_contiguous() else ' (not contiguous)'}"
            )

    def _render(self, request: RenderRequest) -> Rendered:
        """Video ``(batch, 1, frames, height, width)``, metadata, labels (or None) for the
        checked ``request``; :meth:`generate` copies a video not drawn into ``request.out``."""
        raise NotImplementedError


def check_seed(seed: Any) -> int:
    """``seed`` as a Python int in ``[0, 2**63)``, else :class:`StimulusError`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise StimulusError(f"seed must be an integer, got {seed!r}")
    if not 0 <= int(seed) < _MAX_SEED:
        raise StimulusError(f"seed must satisfy 0 <= seed < 2**63, got {seed}")
    return int(seed)


def check_indices(indices: Any) -> torch.Tensor:
    """Stimulus indices as a CPU int64 tensor of shape ``(batch,)``, else StimulusError."""
    if isinstance(indices, (int, np.integer)):
        raise StimulusError(
            f"indices must be a sequence of stimulus indices, got the integer {indices}; "
            f"use [{indices}] for one stimulus or generate_range(start, count) for a range"
        )
    try:
        if isinstance(indices, torch.Tensor):
            values = indices.detach().cpu()
        else:
            values = torch.as_tensor(np.asarray(indices))
    except (TypeError, ValueError) as error:
        raise StimulusError(f"indices must be a sequence of integers: {error}") from None
    if values.ndim != 1 or values.numel() == 0:
        raise StimulusError(
            f"indices must be a non-empty 1-D sequence, got shape {tuple(values.shape)}"
        )
    if values.dtype.is_floating_point or values.dtype == torch.bool or values.is_complex():
        raise StimulusError(f"indices must be integers, got dtype {values.dtype}")
    values = values.to(torch.int64)
    if int(values.min()) < 0 or int(values.max()) >= _MAX_INDEX:
        raise StimulusError("indices must satisfy 0 <= index < 2**62")
    return values


def check_device(device: Any) -> torch.device:
    """``device`` as a torch.device that exists here, else StimulusError."""
    try:
        target = torch.device("cpu" if device is None else device)
    except (RuntimeError, TypeError) as error:
        raise StimulusError(f"unknown device {device!r}: {error}") from None
    if target.type == "cuda" and not torch.cuda.is_available():
        raise StimulusError(f"device {device!r} requested but CUDA is not available")
    return target
