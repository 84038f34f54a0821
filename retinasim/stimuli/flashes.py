"""Full-field flashes and steps: the whole screen jumps from a background level to another."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from retinasim.stimuli.base import Rendered, RenderRequest, StimulusGenerator
from retinasim.stimuli.builtin import FlashesParams
from retinasim.stimuli.conditions import ConditionGrid, condition_grid, condition_metadata


class Flashes(ConditionGrid, FlashesParams, StimulusGenerator):
    """Uniform screen at ``background_luminance``, at ``level`` from ``onset_frame`` for
    ``duration_frames`` frames, then back to the background.

    A duration that reaches past the last frame is a *step* (``is_step`` in the metadata).
    Conditions are every combination of ``levels × durations_frames``. Deterministic: ``seed``
    is recorded but changes nothing.

    Parameters
    ----------
    levels : tuple of float
        Luminance during the flash, each in ``[0, 1]`` (default: a white and a black flash).
    durations_frames : tuple of int
        Flash durations, frames (>= 1).
    onset_frame : int or None
        First frame of the flash, in ``[0, frames)``; None: ``frames // 4``.
    background_luminance : float
        Luminance before and after the flash (0.5).
    """

    units: ClassVar[dict[str, str]] = {
        "level": "luminance",
        "contrast": "level minus background luminance",
        "onset_frame": "frames",
        "duration_frames": "frames",
        "offset_frame": "frames (first frame back at background; = frames for a step)",
    }

    @property
    def onset(self) -> int:
        """First frame of the flash (``onset_frame``, or ``frames // 4`` when None)."""
        return self.frames // 4 if self.onset_frame is None else self.onset_frame

    def conditions(self) -> dict[str, np.ndarray]:
        """The condition grid: ``level`` and ``duration_frames``."""
        return condition_grid({"level": self.levels, "duration_frames": self.durations_frames})

    def _render(self, request: RenderRequest) -> Rendered:
        device, dtype = request.device, request.dtype
        metadata = condition_metadata(request.indices, self.conditions())
        offset = np.minimum(self.onset + metadata["duration_frames"], self.frames)
        metadata["onset_frame"] = np.full(request.count, self.onset)
        metadata["offset_frame"] = offset
        metadata["is_step"] = self.onset + metadata["duration_frames"] >= self.frames
        metadata["contrast"] = metadata["level"] - self.background_luminance
        time = torch.arange(self.frames, device=device)
        on = (time >= self.onset) & (
            time[None, :] < torch.as_tensor(offset, device=device)[:, None]
        )
        level = torch.as_tensor(metadata["level"], dtype=dtype, device=device)[:, None]
        trace = torch.where(
            on, level, torch.tensor(self.background_luminance, dtype=dtype, device=device)
        )
        video = request.zeros(self.frames, self.height, self.width)
        video.copy_(trace[:, None, :, None, None].expand_as(video))
        return video, metadata, None
