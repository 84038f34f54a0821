"""Bars whose path is centred on given screen positions: single-unit direction tuning."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from retinasim.stimuli.bars import MovingBars
from retinasim.stimuli.base import Rendered, RenderRequest, StimulusGenerator
from retinasim.stimuli.builtin import CentredBarsParams
from retinasim.stimuli.conditions import ConditionGrid, condition_grid


class CentredBars(ConditionGrid, CentredBarsParams, StimulusGenerator):
    """A full-length bar (perpendicular to its motion) whose path is centred on a position.

    Conditions are every combination of ``sites × speeds (pixels/frame) × widths (pixels,
    along the motion) × contrasts (bar minus background luminance) × directions_deg`` (0 =
    rightward, 90 = up the screen; varying fastest). A site is a path centre
    ``centres_xy[i] = (x, y)`` (column and row, pixel centres at integers; default: the
    screen's centre) with its half path ``half_paths[i]`` (pixels). On frame ``t`` the bar's
    centre line lies ``speed · t − half_path`` pixels past the site along the motion, so it
    crosses the site at frame ``half_path / speed`` (default half path ``speed (frames − 1) /
    2``: the crossing at the middle frame, as :class:`~retinasim.stimuli.MovingBars`). Edges
    are anti-aliased with a one-pixel box filter along the motion. Rendered on the CPU (the
    same bits on every device). Deterministic: ``seed`` is recorded but changes nothing.
    """

    units: ClassVar[dict[str, str]] = {
        **MovingBars.units,
        "site": "1",
        "centre_x": "pixels, column of the path's centre",
        "centre_y": "pixels, row of the path's centre",
        "half_path": "pixels, from the bar's start to the path's centre",
    }

    def conditions(self) -> dict[str, np.ndarray]:
        """The condition grid: ``site``, ``speed``, ``width``, ``contrast``, ``direction_deg``
        and each site's ``centre_x``, ``centre_y``, ``half_path``."""
        grid = condition_grid(
            {
                "site": range(len(self.sites_xy)),
                "speed": self.speeds,
                "width": self.widths,
                "contrast": self.contrasts,
                "direction_deg": self.directions_deg,
            }
        )
        sites = np.asarray(self.sites_xy, dtype=np.float64).reshape(-1, 2)
        grid["centre_x"], grid["centre_y"] = sites[grid["site"]].T
        if self.half_paths is None:
            grid["half_path"] = grid["speed"] * (self.frames - 1) / 2
        else:
            grid["half_path"] = np.asarray(self.half_paths, dtype=np.float64)[grid["site"]]
        return grid

    def _render(self, request: RenderRequest) -> Rendered:
        metadata = self.trial_conditions(request.indices)
        video = bar_coverage(self.height, self.width, self.frames, metadata)
        video = video.add_(self.background_luminance).clamp_(0.0, 1.0)
        return video[:, None].to(device=request.device, dtype=request.dtype), metadata, None


def bar_coverage(
    height: int, width: int, frames: int, trials: dict[str, np.ndarray]
) -> torch.Tensor:
    """Contrast times bar coverage, float32 ``(batch, frames, height, width)``.

    ``trials`` holds ``(batch,)`` arrays ``direction_deg``, ``centre_x``, ``centre_y``,
    ``half_path``, ``speed``, ``width`` and ``contrast`` (the class docstring's units). The
    geometry is computed in float64 and the coverage in float32.
    """

    def column(name: str, dtype: torch.dtype) -> torch.Tensor:
        return torch.as_tensor(np.asarray(trials[name], dtype=np.float64)).to(dtype)

    radians = torch.deg2rad(column("direction_deg", torch.float64))[:, None, None]
    centre_x = column("centre_x", torch.float64)[:, None, None]
    centre_y = column("centre_y", torch.float64)[:, None, None]
    x = torch.arange(width, dtype=torch.float64)[None, None, :] - centre_x
    y = torch.arange(height, dtype=torch.float64)[None, :, None] - centre_y
    distance = (x * torch.cos(radians) - y * torch.sin(radians))[:, None].to(torch.float32)
    start = -column("half_path", torch.float64)[:, None]
    speed = column("speed", torch.float64)[:, None]
    # the bar's centre line, pixels past the site: (batch, frames)
    position = start + speed * torch.arange(frames, dtype=torch.float64)[None, :]
    position = position[:, :, None, None].to(torch.float32)
    half_width = column("width", torch.float64).div(2).to(torch.float32)[:, None, None, None]
    covered = torch.minimum(distance + 0.5, position + half_width)
    covered -= torch.maximum(distance - 0.5, position - half_width)
    contrast = column("contrast", torch.float32)[:, None, None, None]
    return covered.clamp_(0.0, 1.0).mul_(contrast)
