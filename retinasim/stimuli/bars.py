"""Moving bars: a long bar sweeping across the screen, for direction and speed tuning."""

from __future__ import annotations

from typing import ClassVar

import torch

from retinasim.stimuli.base import Rendered, RenderRequest, StimulusGenerator
from retinasim.stimuli.builtin import MovingBarsParams
from retinasim.stimuli.conditions import ConditionGrid, direction_projection


class MovingBars(ConditionGrid, MovingBarsParams, StimulusGenerator):
    """A bar spanning the whole screen, perpendicular to its motion, moving at constant speed.

    Conditions are every combination of ``directions_deg × speeds × widths × contrasts``
    (stimulus ``index`` shows condition ``index mod n_conditions``). The bar's centre line
    crosses the frame centre at the middle frame ``(frames - 1) / 2``, so a bar at speed ``v``
    travels ``v (frames - 1)`` pixels, half before and half after the crossing. Edges are
    anti-aliased with a one-pixel box filter along the direction of motion, so sub-pixel steps
    are visible. Deterministic: ``seed`` is recorded but changes nothing.

    ``directions_deg`` (0 = rightward, 90 = up the screen), ``speeds`` (pixels/frame, > 0),
    ``widths`` (along the motion, pixels, > 0), ``contrasts`` (bar minus background
    luminance: 1 is a white bar on black, negative a dark bar) and ``background_luminance``
    (0) define the conditions.
    """

    units: ClassVar[dict[str, str]] = {
        "direction_deg": "degrees, 0 = rightward, 90 = up",
        "speed": "pixels/frame",
        "width": "pixels",
        "contrast": "bar luminance minus background luminance",
    }
    axes: ClassVar[dict[str, str]] = {
        "direction_deg": "directions_deg",
        "speed": "speeds",
        "width": "widths",
        "contrast": "contrasts",
    }

    def _render(self, request: RenderRequest) -> Rendered:
        device = request.device
        metadata = self.trial_conditions(request.indices)
        work = torch.float64 if request.dtype == torch.float64 else torch.float32

        def column(name: str) -> torch.Tensor:
            return torch.as_tensor(metadata[name], dtype=work, device=device)[:, None, None, None]

        distance = direction_projection(
            metadata["direction_deg"], self.height, self.width, work, device
        )
        time = torch.arange(self.frames, dtype=work, device=device) - (self.frames - 1) / 2
        centre = column("speed") * time[None, :, None, None]  # (batch, frames, 1, 1)
        half_width = column("width") / 2
        covered = torch.minimum(distance + 0.5, centre + half_width)
        covered -= torch.maximum(distance - 0.5, centre - half_width)
        video = covered.clamp_(0.0, 1.0).mul_(column("contrast")).add_(self.background_luminance)
        return video.clamp_(0.0, 1.0).to(request.dtype)[:, None], metadata, None
