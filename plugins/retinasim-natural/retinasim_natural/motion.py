"""The natural tasks' generators (torch): ``natural_motion``, two bands drifting in opposite
directions, which is faster; ``natural_drift``, one scene drifting, which way."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from retinasim.stimuli import StimulusGenerator, rng
from retinasim_natural import textures
from retinasim_natural.params import NaturalDriftParams, NaturalMotionParams, NaturalTextureParams

STREAMS = {
    "upper_moves_right": 201,
    "image": 202,  # + band (0 upper, 1 lower)
    "start": 204,
    "row": 206,
    "flip_rows": 208,
    "flip_columns": 210,
    "noise": 212,  # and 213 (upper), 214 and 215 (lower)
    "direction": 216,
}
"""Random streams of these tasks (the (slow) speed and the fast side use the dots' streams;
``natural_drift`` draws its one texture as the upper band's)."""


class NaturalMotion(NaturalMotionParams, StimulusGenerator):
    """Two bands drift in opposite directions; the label is the faster band's direction.

    See :class:`~retinasim_natural.params.NaturalMotionParams`.

    Leak-free by construction: textures, placements, flips and which band moves rightward
    come from random streams that do not depend on the fast side, which only sets the two
    speeds; at ``alpha = 1`` the video is bit-identical whichever side is labelled fast.
    """

    units: ClassVar[dict[str, str]] = {
        "s": "pixels/frame",
        "fast_speed": "pixels/frame",
        "speed_left": "pixels/frame",
        "speed_right": "pixels/frame",
    }

    def _render(self, request):
        keys = rng.stimulus_keys(request.seed, request.indices)
        count, device, dtype = request.count, request.device, request.dtype
        s = _speeds(self, keys)
        if self.fast_direction is None:
            fast_is_right = rng.uniform(keys, rng.STREAMS["slow_direction"]) < 0.5
        else:
            fast_is_right = torch.full((count,), self.fast_direction == "right")
        fast = self.alpha * s
        speed_right = torch.where(fast_is_right, fast, s)
        speed_left = torch.where(fast_is_right, s, fast)
        upper_right = rng.uniform(keys, STREAMS["upper_moves_right"]) < 0.5
        heights = (self.height // 2, self.height - self.height // 2)
        work = _working_dtype(dtype)
        video = torch.empty(count, 1, self.frames, self.height, self.width, dtype=work)
        names = []
        for band, rows in enumerate(heights):
            strips, name = _strips(self, keys, band, rows)
            names.append(name)
            moves_right = upper_right if band == 0 else ~upper_right
            velocity = torch.where(moves_right, speed_right, -speed_left)
            start = strips.shape[-1] * rng.uniform(keys, STREAMS["start"] + band)
            top = 0 if band == 0 else heights[0]
            video[:, 0, :, top : top + rows] = textures.drift(
                strips.to(work), start, velocity, self.frames, self.width
            )
        metadata = {
            "s": s.numpy(),
            "fast_speed": fast.numpy(),
            "alpha": np.full(count, self.alpha),
            "fast_direction": np.where(fast_is_right.numpy(), "right", "left"),
            "slow_direction": np.where(fast_is_right.numpy(), "left", "right"),
            "speed_left": speed_left.numpy(),
            "speed_right": speed_right.numpy(),
            "upper_direction": np.where(upper_right.numpy(), "right", "left"),
            "image_upper": names[0],
            "image_lower": names[1],
        }
        labels = fast_is_right.to(torch.int64).to(device)
        return video.to(device=device, dtype=dtype), metadata, labels


class NaturalDrift(NaturalDriftParams, StimulusGenerator):
    """One natural scene drifts left or right; the label is the direction.

    See :class:`~retinasim_natural.params.NaturalDriftParams`.

    Leak-free by construction: the texture, its placement and flips and the speed come from
    random streams that do not depend on the direction; at ``s = 0`` the video is
    bit-identical whichever direction is labelled.
    """

    units: ClassVar[dict[str, str]] = {"s": "pixels/frame", "velocity": "pixels/frame"}

    def _render(self, request):
        keys = rng.stimulus_keys(request.seed, request.indices)
        device, dtype = request.device, request.dtype
        s = _speeds(self, keys)
        if self.direction is None:
            right = rng.uniform(keys, STREAMS["direction"]) < 0.5
        else:
            right = torch.full((request.count,), self.direction == "right")
        velocity = torch.where(right, s, -s)
        strips, names = _strips(self, keys, 0, self.height)
        start = strips.shape[-1] * rng.uniform(keys, STREAMS["start"])
        work = _working_dtype(dtype)
        video = textures.drift(strips.to(work), start, velocity, self.frames, self.width)
        metadata = {
            "s": s.numpy(),
            "velocity": velocity.numpy(),
            "direction": np.where(right.numpy(), "right", "left"),
            "image": names,
        }
        labels = right.to(torch.int64).to(device)
        return video.unsqueeze(1).to(device=device, dtype=dtype), metadata, labels


def _speeds(params: NaturalTextureParams, keys: torch.Tensor) -> torch.Tensor:
    """The (slow) speed of each stimulus, ``(batch,)`` float64, pixels/frame."""
    if params.s is not None:
        return torch.full((len(keys),), float(params.s), dtype=torch.float64)
    low, high = params.s_range
    return low + (high - low) * rng.uniform(keys, rng.STREAMS["s"])


def _working_dtype(dtype: torch.dtype) -> torch.dtype:
    """float64 when asked for, else float32: the precision textures are drifted in."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def _strips(
    params: NaturalTextureParams, keys: torch.Tensor, band: int, rows: int
) -> tuple[torch.Tensor, np.ndarray]:
    """Standardised periodic strips of one band, ``(batch, rows, period)``, and the name
    of each trial's texture."""
    count = len(keys)
    if params.texture == "pink_noise":
        noise = textures.pink_noise_strips(
            keys, STREAMS["noise"] + 2 * band, rows, params.texture_size, params.spectral_exponent
        )
        strips, names = noise, np.full(count, "pink_noise")
    else:
        bank = textures.image_bank(tuple(params.images), params.texture_size)
        draw = rng.uniform(keys, STREAMS["image"] + band)
        choice = torch.floor(draw * len(params.images)).to(torch.int64)
        row0 = torch.floor(2 * params.texture_size * rng.uniform(keys, STREAMS["row"] + band))
        strips = textures.image_strips(
            bank,
            choice,
            row0.to(torch.int64),
            rng.uniform(keys, STREAMS["flip_rows"] + band) < 0.5,
            rng.uniform(keys, STREAMS["flip_columns"] + band) < 0.5,
            rows,
        )
        names = np.asarray(params.images)[choice.numpy()]
    return textures.standardise(strips, params.mean_luminance, params.contrast), names
