"""Spatiotemporal white noise for receptive-field mapping (reverse correlation)."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import Field, model_validator

from retinasim.stimuli import rng
from retinasim.stimuli.base import StimulusGenerator, check_indices, check_seed


class WhiteNoise(StimulusGenerator):
    """Independent random luminance in every *stixel* (a square of ``pixel_size`` pixels) and
    every noise frame (held for ``frame_hold`` video frames).

    Luminance is ``mean_luminance * (1 + contrast * z)``: ``z = ±1`` with equal probability
    (``binary``) or ``z ~ N(0, 1)`` clipped to the ``[0, 1]`` luminance range (``gaussian``).
    So ``contrast`` is the RMS contrast (standard deviation / mean) before clipping; it defaults
    to 1 for binary noise (black and white at mean 0.5) and 1/3 for Gaussian noise (about
    0.3% of values clipped). The stixel grid starts at the top-left pixel; the last row and
    column of stixels are cut by the frame edge when ``pixel_size`` does not divide the size.
    Mean luminance is 0.5 by default (noise is symmetric around the mean, unlike the dark
    backgrounds of dots and bars).

    Parameters
    ----------
    distribution : "binary" or "gaussian"
    pixel_size : int
        Stixel edge, pixels (>= 1).
    frame_hold : int
        Video frames per noise frame (>= 1).
    mean_luminance : float
        In ``(0, 1)``.
    contrast : float or None
        RMS contrast; None picks the distribution's default.
    """

    kind: ClassVar[str] = "white_noise"
    units: ClassVar[dict[str, str]] = {
        "pixel_size": "pixels per stixel edge",
        "frame_hold": "video frames per noise frame",
        "contrast": "RMS contrast (standard deviation / mean, before clipping)",
    }

    distribution: Literal["binary", "gaussian"] = "binary"
    pixel_size: int = Field(8, ge=1)
    frame_hold: int = Field(1, ge=1)
    mean_luminance: float = Field(0.5, gt=0, lt=1)
    contrast: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _check_contrast(self) -> WhiteNoise:
        if (
            self.distribution == "binary"
            and self.mean_luminance * (1 + self.rms_contrast) > 1 + 1e-12
        ):
            raise ValueError(
                f"binary noise with mean_luminance {self.mean_luminance} and contrast "
                f"{self.rms_contrast} exceeds luminance 1 (need mean * (1 + contrast) <= 1)"
            )
        if self.distribution == "binary" and self.rms_contrast > 1:
            raise ValueError(f"binary noise contrast must be <= 1, got {self.rms_contrast}")
        if math.prod(self.noise_shape) >= 2**32:
            raise ValueError(f"too many noise values per stimulus: {self.noise_shape}")
        return self

    @property
    def rms_contrast(self) -> float:
        """The contrast in use (the distribution's default when ``contrast`` is None)."""
        if self.contrast is not None:
            return self.contrast
        return 1.0 if self.distribution == "binary" else 1.0 / 3.0

    @property
    def noise_shape(self) -> tuple[int, int, int]:
        """``(noise_frames, stixel_rows, stixel_columns)`` of one stimulus."""
        return (
            math.ceil(self.frames / self.frame_hold),
            math.ceil(self.height / self.pixel_size),
            math.ceil(self.width / self.pixel_size),
        )

    def stixels(
        self, indices: Any, *, seed: int, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """The noise at stixel resolution, before clipping: ``z`` of the class docstring.

        Returns
        -------
        torch.Tensor
            float32 ``(batch, noise_frames, stixel_rows, stixel_columns)``; values ±1
            (binary) or standard normal (gaussian). Use it as the regressor of reverse
            correlation: video frame ``t`` shows noise frame ``t // frame_hold``.
        """
        index_tensor = check_indices(indices)
        keys = rng.stimulus_keys(check_seed(seed), index_tensor).to(device or "cpu")
        shape = self.noise_shape
        if self.distribution == "binary":
            draws = rng.uniform(keys, rng.STREAMS["noise"], shape)
            return torch.where(draws < 0.5, -1.0, 1.0).to(torch.float32)
        streams = rng.STREAMS
        return rng.normal(keys, streams["noise"], streams["noise_gaussian_angle"], shape).to(
            torch.float32
        )

    def _render(
        self,
        indices: torch.Tensor,
        seed: int,
        device: torch.device,
        dtype: torch.dtype,
        out: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, np.ndarray], None]:
        noise = self.stixels(indices, seed=seed, device=device).to(dtype)
        luminance = noise.mul_(self.rms_contrast * self.mean_luminance).add_(self.mean_luminance)
        luminance = luminance.clamp_(0.0, 1.0)
        expanded = (
            luminance.repeat_interleave(self.frame_hold, dim=1)
            .repeat_interleave(self.pixel_size, dim=2)
            .repeat_interleave(self.pixel_size, dim=3)
        )
        video = expanded[:, : self.frames, : self.height, : self.width].contiguous()[:, None]
        count = len(indices)
        metadata = {
            "distribution": np.full(count, self.distribution),
            "pixel_size": np.full(count, self.pixel_size),
            "frame_hold": np.full(count, self.frame_hold),
            "contrast": np.full(count, self.rms_contrast),
        }
        return video, metadata, None
