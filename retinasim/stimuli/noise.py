"""Spatiotemporal white noise for receptive-field mapping (reverse correlation)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from retinasim.stimuli import rng
from retinasim.stimuli.base import (
    Rendered,
    RenderRequest,
    StimulusGenerator,
    check_indices,
    check_seed,
)
from retinasim.stimuli.builtin import WhiteNoiseParams


class WhiteNoise(WhiteNoiseParams, StimulusGenerator):
    """Independent random luminance in every *stixel* (a square of ``pixel_size`` pixels) and
    every noise frame (held for ``frame_hold`` video frames).

    Luminance is ``mean_luminance * (1 + contrast * z)``: ``z = ±1`` with equal probability
    (``binary``) or ``z ~ N(0, 1)`` clipped to the ``[0, 1]`` luminance range (``gaussian``),
    so ``contrast`` is the RMS contrast before clipping (None: 1 for binary noise, 1/3 for
    Gaussian noise, about 0.3% of values clipped). The stixel grid starts at the top-left
    pixel; the last row and column are cut by the frame edge when ``pixel_size`` does not
    divide the size. Mean luminance is 0.5 by default.
    """

    units: ClassVar[dict[str, str]] = {
        "pixel_size": "pixels per stixel edge",
        "frame_hold": "video frames per noise frame",
        "contrast": "RMS contrast (standard deviation / mean, before clipping)",
    }

    def stixels(
        self, indices: Any, *, seed: int, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """The noise at stixel resolution before clipping (``z`` of the class docstring),
        float32 ``(batch, noise_frames, stixel_rows, stixel_columns)``: the regressor of
        reverse correlation (video frame ``t`` shows noise frame ``t // frame_hold``)."""
        index_tensor = check_indices(indices)
        keys = rng.stimulus_keys(check_seed(seed), index_tensor).to(device or "cpu")
        shape, streams = self.noise_shape, rng.STREAMS
        if self.distribution == "binary":
            draws = rng.uniform(keys, streams["noise"], shape)
            return torch.where(draws < 0.5, -1.0, 1.0).to(torch.float32)
        draws = rng.normal(keys, streams["noise"], streams["noise_gaussian_angle"], shape)
        return draws.to(torch.float32)

    def _render(self, request: RenderRequest) -> Rendered:
        noise = self.stixels(request.indices, seed=request.seed, device=request.device)
        scale = self.rms_contrast * self.mean_luminance
        luminance = noise.to(request.dtype).mul_(scale).add_(self.mean_luminance).clamp_(0.0, 1.0)
        device = luminance.device  # video frame t, pixel (y, x) shows stixel t // hold, ...
        rows = torch.arange(self.height, device=device) // self.pixel_size
        columns = torch.arange(self.width, device=device) // self.pixel_size
        frames = torch.arange(self.frames, device=device) // self.frame_hold
        video = (luminance.index_select(1, frames).index_select(2, rows).index_select(3, columns))[
            :, None
        ]
        names = ("distribution", "pixel_size", "frame_hold")
        metadata = {name: np.full(request.count, getattr(self, name)) for name in names}
        metadata["contrast"] = np.full(request.count, self.rms_contrast)
        return video, metadata, None
