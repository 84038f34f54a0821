"""Textures that drift: grey photographs from ``skimage.data`` and seeded 1/f noise."""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from retinasim.stimuli import rng


@functools.cache
def image_bank(names: tuple[str, ...], size: int) -> torch.Tensor:
    """The photographs ``names`` of ``skimage.data``, grey, centre-cropped to a square and
    resized (antialiased bilinear) to ``size`` pixels: float64 ``(len(names), size, size)``
    in ``[0, 1]``. Loaded once per process (the images ship inside scikit-image's wheel)."""
    from skimage import color, data

    textures = []
    for name in names:
        image = np.asarray(getattr(data, name)())
        if image.ndim == 3:
            image = color.rgb2gray(image[..., :3])
        image = image.astype(np.float64)
        if image.max() > 1.0:
            image = image / 255.0
        height, width = image.shape
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        square = torch.from_numpy(np.ascontiguousarray(image[top : top + side, left : left + side]))
        resized = F.interpolate(
            square[None, None], size=(size, size), mode="bilinear", antialias=True
        )
        textures.append(resized[0, 0])
    return torch.stack(textures)


def mirrored(positions: torch.Tensor, size: int) -> torch.Tensor:
    """Index into a side of ``size`` pixels of a texture mirrored at its edges, so that it
    repeats seamlessly every ``2 size`` pixels: ``0..size-1, size-1..0, 0..`` (int64)."""
    wrapped = torch.remainder(positions, 2 * size)
    return torch.where(wrapped < size, wrapped, 2 * size - 1 - wrapped)


def image_strips(
    bank: torch.Tensor,
    choice: torch.Tensor,
    row0: torch.Tensor,
    flip_rows: torch.Tensor,
    flip_columns: torch.Tensor,
    rows: int,
) -> torch.Tensor:
    """One horizontal strip of ``rows`` rows per stimulus, a full period wide.

    Parameters
    ----------
    bank
        ``(n_images, T, T)`` textures.
    choice, row0
        int64 ``(batch,)``: which image, and its first row (any integer: mirrored).
    flip_rows, flip_columns
        bool ``(batch,)``: mirror the strip vertically / horizontally.
    rows
        Rows of the strip.

    Returns
    -------
    torch.Tensor
        float64 ``(batch, rows, 2 T)``, periodic along its last axis.
    """
    size = bank.shape[-1]
    offsets = torch.arange(rows)
    offsets = torch.where(flip_rows[:, None], rows - 1 - offsets, offsets)
    row_index = mirrored(row0[:, None] + offsets, size)  # (batch, rows)
    columns = mirrored(torch.arange(2 * size), size)
    strips = bank[choice[:, None], row_index][..., columns]  # (batch, rows, 2 T)
    return torch.where(flip_columns[:, None, None], strips.flip(-1), strips)


def pink_noise_strips(
    keys: torch.Tensor, stream: int, rows: int, width: int, exponent: float
) -> torch.Tensor:
    """Seeded noise with amplitude spectrum ``1 / f ** exponent`` (zero mean), periodic in
    both axes: float64 ``(batch, rows, width)``; draws ``stream`` and ``stream + 1``."""
    white = rng.normal(keys, stream, stream + 1, (rows, width))
    frequency = torch.sqrt(
        torch.fft.fftfreq(rows, dtype=torch.float64)[:, None] ** 2
        + torch.fft.fftfreq(width, dtype=torch.float64)[None, :] ** 2
    )
    amplitude = torch.where(frequency > 0, frequency.clamp(min=1e-12) ** -exponent, 0.0)
    return torch.fft.ifft2(torch.fft.fft2(white) * amplitude).real


def standardise(strips: torch.Tensor, mean: float, contrast: float) -> torch.Tensor:
    """Each strip at luminance ``mean * (1 + contrast * z)`` with ``z`` its z-score, clipped
    to ``[0, 1]``; same shape."""
    centred = strips - strips.mean(dim=(1, 2), keepdim=True)
    spread = centred.square().mean(dim=(1, 2), keepdim=True).sqrt().clamp(min=1e-12)
    return (mean * (1.0 + contrast * centred / spread)).clamp(0.0, 1.0)


def drift(strips: torch.Tensor, start: torch.Tensor, velocity: torch.Tensor, frames: int,
          width: int) -> torch.Tensor:  # fmt: skip
    """The window of ``width`` columns of periodic ``strips`` moving at ``velocity``.

    Column ``c`` at frame ``t`` shows the strip at ``start + c - velocity t`` (so positive
    velocities move the texture rightward), linearly interpolated between columns: sub-pixel
    speeds are not rounded.

    Parameters
    ----------
    strips
        ``(batch, rows, period)``, periodic along the last axis.
    start, velocity
        float64 ``(batch,)``: position at frame 0 (pixels) and pixels/frame.

    Returns
    -------
    torch.Tensor
        ``(batch, frames, rows, width)``, the dtype of ``strips``.
    """
    batch, rows, period = strips.shape
    time = torch.arange(frames, dtype=torch.float64, device=start.device)
    position = start[:, None] - velocity[:, None] * time  # (batch, frames)
    whole = torch.floor(position)
    fraction = (position - whole).to(strips.dtype)[:, :, None, None]
    first = torch.remainder(whole, period).to(torch.int64).to(strips.device)
    offsets = torch.arange(width + 1, device=strips.device)
    columns = torch.remainder(first[:, :, None] + offsets, period)  # (batch, frames, width + 1)
    # Gather whole columns (``rows`` contiguous values each) rather than single pixels.
    by_column = strips.transpose(1, 2).contiguous()  # (batch, period, rows)
    trials = torch.arange(batch, device=strips.device)[:, None]
    gathered = by_column[trials, columns.flatten(1)].view(batch, frames, width + 1, rows)
    left, right = gathered[:, :, :-1], gathered[:, :, 1:]
    return (left + fraction * (right - left)).transpose(2, 3)
