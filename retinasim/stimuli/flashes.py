"""Full-field flashes and steps: the whole screen jumps from a background level to another."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from retinasim.stimuli.base import Rendered, RenderRequest, StimulusGenerator
from retinasim.stimuli.builtin import FlashesParams
from retinasim.stimuli.conditions import ConditionGrid


class Flashes(ConditionGrid, FlashesParams, StimulusGenerator):
    """Uniform screen at ``background_luminance``, at ``level`` from ``onset_frame`` for
    ``duration_frames`` frames, then back to the background.

    A duration that reaches past the last frame is a *step* (``is_step`` in the metadata).
    Conditions are every combination of ``levels × durations_frames``. Deterministic: ``seed``
    is recorded but changes nothing.

    ``levels`` are the luminances of the flash, each in ``[0, 1]`` (default: a white and a
    black flash), ``durations_frames`` its durations (>= 1), ``onset_frame`` its first frame
    (None: ``frames // 4``), ``background_luminance`` the luminance around it (0.5).
    """

    units: ClassVar[dict[str, str]] = {
        "level": "luminance",
        "contrast": "level minus background luminance",
        "onset_frame": "frames",
        "duration_frames": "frames",
        "offset_frame": "frames (first frame back at background; = frames for a step)",
    }
    axes: ClassVar[dict[str, str]] = {"level": "levels", "duration_frames": "durations_frames"}

    @property
    def onset(self) -> int:
        """First frame of the flash (``onset_frame``, or ``frames // 4`` when None)."""
        return self.frames // 4 if self.onset_frame is None else self.onset_frame

    def _render(self, request: RenderRequest) -> Rendered:
        device, dtype = request.device, request.dtype
        metadata = self.trial_conditions(request.indices)
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
        trace = torch.where(on, level, self.background_luminance)
        video = request.zeros(self.frames, self.height, self.width)
        video.copy_(trace[:, None, :, None, None].expand_as(video))
        return video, metadata, None
