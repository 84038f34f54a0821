"""The chirp of Baden et al. (2016): full-field light steps, a frequency and a contrast sweep."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch

from retinasim.stimuli.base import Rendered, RenderRequest, StimulusGenerator
from retinasim.stimuli.builtin import CHIRP_SEGMENTS, ChirpParams


class Chirp(ChirpParams, StimulusGenerator):
    """The full-field chirp of Baden et al. (2016, Nature 529:345), the first stimulus of their
    battery that sorts mouse retinal ganglion cells into functional types.

    The whole screen shows one luminance per frame, segment by segment (each ``<name>_s``
    seconds; frame ``k`` shows time ``k / frame_rate_hz``, and each segment starts at the frame
    nearest its start time, see :attr:`segment_frames`), with ``m = mean_luminance`` and
    ``c = contrast``:

    ============== =================================================================
    segment        luminance at time ``t`` (s) since the segment's start
    ============== =================================================================
    dark           ``m (1 - c)``
    on             ``m (1 + c)`` (the light step)
    off            ``m (1 - c)``
    mean_pre       ``m``
    frequency_sweep ``m (1 + c sin φ(t))``, ``φ(t) = 2π (f0 t + (f1 - f0) t² / 2T)``: the
                   instantaneous frequency ``φ'(t) / 2π`` rises linearly from ``f0_hz``
                   to ``f1_hz`` over the segment's ``T = frequency_sweep_s``
    mean_mid       ``m``
    contrast_sweep ``m (1 + c (t / T) sin(2π f t))``, ``f = contrast_sweep_hz``: the
                   amplitude rises linearly from 0 to ``c`` over ``T = contrast_sweep_s``
    mean_post      ``m``
    dark_end       ``m (1 - c)``
    ============== =================================================================

    The defaults are the Euler lab's stimulus script (``RGC_Chirp`` for QDSpy): 2 s dark, 3 s
    ON, 3 s OFF, 2 s mean, an 8 s frequency sweep to 8 Hz, 2 s mean, an 8 s contrast sweep at
    2 Hz, 2 s mean, 3 s dark, 33 s in all (990 frames at 30 Hz); the sweep starts at 0.5 Hz
    as Baden et al. describe it (the script's starts at 0: ``f0_hz=0``). ``frames`` is always
    the total duration x ``frame_rate_hz``. Deterministic: every index and seed renders the
    same video; the metadata give each segment's first frame (``<name>_start_frame``).
    """

    units: ClassVar[dict[str, str]] = {
        f"{name}_start_frame": "frames (first frame of the segment)" for name in CHIRP_SEGMENTS
    }

    def luminance(self) -> np.ndarray:
        """The luminance of every frame, ``(frames,)`` float64 in ``[0, 1]``."""
        mean, contrast, rate = self.mean_luminance, self.contrast, self.frame_rate_hz
        trace = np.empty(self.frames)
        for name, (start, stop) in self.segment_frames.items():
            t = np.arange(stop - start) / rate  # seconds since the segment's start
            if stop == start:
                continue
            if name == "frequency_sweep":
                slope = (self.f1_hz - self.f0_hz) / self.frequency_sweep_s
                phase = 2 * math.pi * (self.f0_hz * t + slope * t**2 / 2)
                values = mean * (1 + contrast * np.sin(phase))
            elif name == "contrast_sweep":
                envelope = contrast * t / self.contrast_sweep_s
                values = mean * (1 + envelope * np.sin(2 * math.pi * self.contrast_sweep_hz * t))
            elif name == "on":
                values = np.full(len(t), mean * (1 + contrast))
            elif name.startswith("mean"):
                values = np.full(len(t), mean)
            else:  # dark, off, dark_end
                values = np.full(len(t), mean * (1 - contrast))
            trace[start:stop] = values
        return np.clip(trace, 0.0, 1.0)

    def _render(self, request: RenderRequest) -> Rendered:
        trace = torch.as_tensor(self.luminance(), dtype=request.dtype, device=request.device)
        video = request.zeros(self.frames, self.height, self.width)
        video.copy_(trace[None, None, :, None, None].expand_as(video))
        metadata = {
            f"{name}_start_frame": np.full(request.count, start, dtype=np.int64)
            for name, (start, _) in self.segment_frames.items()
        }
        return video, metadata, None
