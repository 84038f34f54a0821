"""Motion measured from rendered frames only, to check generators against their parameters.

Every function here reads pixels and nothing else, so a test that compares its answer with the
metadata checks what the model actually sees.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def horizontal_shift_peaks(
    videos: torch.Tensor, lag: int, upsample: int = 16
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Shifts and strengths of the leftward and rightward populations, frames ``lag`` apart.

    ``videos`` is ``(..., frames, height, width)``. The horizontal cross-correlation of frame
    ``t`` with frame ``t + lag`` (summed over rows and frames, zero-padded so nothing wraps,
    then interpolated ``upsample``-fold through the spectrum) has one peak per rigidly moving
    population: at ``-lag * speed_left`` and at ``+lag * speed_right``; a peak's height grows
    with the number of dots moving that way.

    Returns ``(left_shift, right_shift, left_height, right_height)``, each of shape ``(...)``;
    shifts in pixels, both positive.
    """
    frames = videos.float()
    frames = frames - frames.mean(dim=(-3, -2, -1), keepdim=True)
    width = frames.shape[-1]
    size = 2 * width
    before = torch.fft.rfft(frames[..., :-lag, :, :], n=size, dim=-1)
    after = torch.fft.rfft(frames[..., lag:, :, :], n=size, dim=-1)
    spectrum = (after * before.conj()).sum(dim=(-3, -2))  # correlation at shift d: after(x + d)
    correlation = torch.fft.irfft(spectrum, n=size * upsample, dim=-1) * upsample
    shifts = torch.fft.fftfreq(size * upsample, d=1.0 / size)  # pixels
    left, right = shifts < -0.5, shifts > 0.5
    left_height, left_at = correlation[..., left].max(dim=-1)
    right_height, right_at = correlation[..., right].max(dim=-1)
    return -shifts[left][left_at], shifts[right][right_at], left_height, right_height


def aperture_centroid_velocity(video: torch.Tensor) -> tuple[float, float]:
    """Velocity of a bright bar seen through a centred circular aperture, pixels/frame.

    ``video`` is ``(frames, height, width)`` with a dark background. Inside a disc centred on
    the frame, the visible part of a straight bar is symmetric about the line through the
    centre along its direction of motion, so its centroid moves exactly with the bar. Frames
    where the bar is cut by the aperture edge on one side only are dropped.

    Returns ``(direction_deg, speed)`` with 0° = rightward, 90° = up the screen.
    """
    frames, height, width = video.shape
    rows = torch.arange(height, dtype=torch.float64) + 0.5 - height / 2
    columns = torch.arange(width, dtype=torch.float64) + 0.5 - width / 2
    y_up, x = -rows[:, None], columns[None, :]
    radius = min(height, width) / 2 - 1
    aperture = (x**2 + y_up**2 <= radius**2).double()
    seen = video.double() * aperture
    mass = seen.sum(dim=(1, 2))
    keep = mass > 0.5 * mass.max()  # bar well inside the aperture
    centre_x = (seen * x).sum(dim=(1, 2))[keep] / mass[keep]
    centre_y = (seen * y_up).sum(dim=(1, 2))[keep] / mass[keep]
    time = torch.arange(frames, dtype=torch.float64)[keep]
    velocity_x = float(np.polyfit(time.numpy(), centre_x.numpy(), 1)[0])
    velocity_y = float(np.polyfit(time.numpy(), centre_y.numpy(), 1)[0])
    direction = math.degrees(math.atan2(velocity_y, velocity_x)) % 360
    return direction, math.hypot(velocity_x, velocity_y)


def grating_drift(video: torch.Tensor) -> tuple[float, float]:
    """Drift of a periodic pattern from the phase of its strongest spatial Fourier component.

    ``video`` is ``(frames, height, width)``. The strongest component of the frame-summed
    power spectrum is located on a 4-fold zero-padded FFT grid, then refined on a 1/40-bin
    grid around it (direct Fourier sums); it gives the wave vector ``k`` (cycles/pixel, y
    upward). Its phase falls by ``2π k·v`` per frame for a pattern moving at velocity ``v``
    (numpy's ``exp(-2πi k·x)`` convention). Works for sine and square waves (their fundamental).

    Returns ``(direction_deg, speed)`` with 0° = rightward, 90° = up the screen.
    """
    frames, height, width = video.shape
    centred = video.double() - video.double().mean()
    power = torch.fft.fft2(centred, s=(4 * height, 4 * width)).abs().square().sum(0)
    power[0, 0] = 0
    row, column = np.unravel_index(int(torch.argmax(power)), power.shape)
    coarse_x = float(torch.fft.fftfreq(4 * width)[column])
    coarse_y = float(torch.fft.fftfreq(4 * height)[row])  # cycles per row (downward)
    steps = torch.linspace(-1.0, 1.0, 81, dtype=torch.float64)
    candidates_x = coarse_x + steps / (4 * width)
    candidates_y = coarse_y + steps / (4 * height)
    x = torch.arange(width, dtype=torch.float64)
    y = torch.arange(height, dtype=torch.float64)
    basis_x = torch.exp(-2j * math.pi * candidates_x[:, None] * x[None, :])  # (81, width)
    basis_y = torch.exp(-2j * math.pi * candidates_y[:, None] * y[None, :])  # (81, height)
    components = basis_y @ (centred.to(torch.complex128) @ basis_x.T)  # (frames, 81, 81)
    best_y, best_x = np.unravel_index(
        int(torch.argmax(components.abs().square().sum(0))), components.shape[1:]
    )
    frequency_x = float(candidates_x[best_x])
    frequency_y_up = -float(candidates_y[best_y])  # rows grow downward
    phase = np.unwrap(torch.angle(components[:, best_y, best_x]).numpy())
    along = -float(np.polyfit(np.arange(frames), phase, 1)[0]) / (2 * math.pi)  # k·v
    speed = along / math.hypot(frequency_x, frequency_y_up)  # signed, along k
    direction = math.degrees(math.atan2(frequency_y_up, frequency_x)) + (180.0 if speed < 0 else 0)
    return direction % 360, abs(speed)
