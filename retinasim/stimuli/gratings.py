"""Drifting gratings: sine or square luminance waves moving perpendicular to their stripes."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch

from retinasim.stimuli import rng
from retinasim.stimuli.base import Rendered, RenderRequest, StimulusGenerator
from retinasim.stimuli.builtin import GratingsParams
from retinasim.stimuli.conditions import ConditionGrid, direction_projection


def _triangle(cycles: torch.Tensor) -> torch.Tensor:
    """Antiderivative (in cycles) of the ±1 square wave that is +1 on the first half-cycle."""
    return 0.5 - torch.abs(torch.remainder(cycles, 1.0) - 0.5)


class Gratings(ConditionGrid, GratingsParams, StimulusGenerator):
    """Full-field drifting gratings.

    Luminance is ``mean_luminance * (1 + contrast * w(c))`` where ``w`` is ``sin(2π c)`` (sine)
    or a ±1 square wave (box-filtered over each pixel along the direction of motion, so its
    edges move smoothly), and the phase in cycles at pixel distance ``d`` from the frame centre
    along the direction of motion (see :func:`~retinasim.stimuli.conditions.direction_projection`)
    and frame ``t`` is ``c = f d - (tf / frame_rate_hz) t + phase``: the stripes drift in the
    direction of motion at ``tf / (frame_rate_hz f)`` pixels/frame.

    Conditions are every combination of ``directions_deg`` (0 = rightward, 90 = up the
    screen), ``spatial_frequencies`` (cycles/pixel, in ``(0, 0.5]``) and
    ``temporal_frequencies_hz`` (in ``[0, frame_rate_hz / 2)``, 0 = static). ``waveform`` is
    ``"sine"`` or ``"square"``; ``contrast`` Michelson, in ``[0, 1]``; ``mean_luminance * (1 +
    contrast) <= 1``; ``phase_deg`` is the phase at the frame centre at frame 0 (0: sine
    rising through the mean), or ``random_phase`` draws it per stimulus from the seed
    (recorded in metadata).
    """

    units: ClassVar[dict[str, str]] = {
        "direction_deg": "degrees, 0 = rightward, 90 = up",
        "spatial_frequency": "cycles/pixel",
        "temporal_frequency_hz": "cycles/second",
        "speed": "pixels/frame",
        "phase_deg": "degrees",
    }
    axes: ClassVar[dict[str, str]] = {
        "direction_deg": "directions_deg",
        "spatial_frequency": "spatial_frequencies",
        "temporal_frequency_hz": "temporal_frequencies_hz",
    }

    def _render(self, request: RenderRequest) -> Rendered:
        device = request.device
        metadata = self.trial_conditions(request.indices)
        frequency = metadata["spatial_frequency"]
        cycles_per_frame = metadata["temporal_frequency_hz"] / self.frame_rate_hz
        metadata["speed"] = cycles_per_frame / frequency
        if self.random_phase:
            keys = rng.stimulus_keys(request.seed, request.indices)
            metadata["phase_deg"] = 360.0 * rng.uniform(keys, rng.STREAMS["grating_phase"]).numpy()
        else:
            metadata["phase_deg"] = np.full(request.count, float(self.phase_deg))
        metadata["waveform"] = np.full(request.count, self.waveform)

        def column(values: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(values, dtype=torch.float64, device=device)[:, None, None, None]

        distance = direction_projection(
            metadata["direction_deg"], self.height, self.width, torch.float64, device
        )
        time = torch.arange(self.frames, dtype=torch.float64, device=device)[None, :, None, None]
        # Phase in cycles, kept in [0, 1) before the big broadcast so float32 stays exact enough.
        spatial = torch.remainder(column(frequency) * distance, 1.0)
        temporal = torch.remainder(
            column(metadata["phase_deg"] / 360.0) - column(cycles_per_frame) * time, 1.0
        )
        work = torch.float64 if request.dtype == torch.float64 else torch.float32
        cycles = spatial.to(work) + temporal.to(work)  # (batch, frames, height, width)
        if self.waveform == "sine":
            wave = torch.sin(cycles.mul_(2 * math.pi))
        else:
            half_pixel = column(frequency).to(work) / 2
            wave = (_triangle(cycles + half_pixel) - _triangle(cycles - half_pixel)) / (
                2 * half_pixel
            )
            wave = wave.clamp_(-1.0, 1.0)
        video = wave.mul_(self.contrast).add_(1.0).mul_(self.mean_luminance).clamp_(0.0, 1.0)
        return video.to(request.dtype)[:, None], metadata, None
