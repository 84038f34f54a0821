"""Previews a person can look at: an animated GIF of one video and a PNG strip of its frames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from retinasim.errors import StimulusError
from retinasim.util.files import atomic_write_bytes

_SEPARATOR = 2  # pixels of mid-grey between frames of the strip
_GREY = 128


def to_uint8(video: torch.Tensor, zoom: int = 1) -> np.ndarray:
    """Luminance ``(frames, height, width)`` in [0, 1] → uint8, each pixel ``zoom`` × ``zoom``."""
    frames = torch.round(video.detach().float().clamp(0, 1) * 255).to(torch.uint8).cpu().numpy()
    if zoom > 1:
        frames = frames.repeat(zoom, axis=1).repeat(zoom, axis=2)
    return frames


def frame_strip(frames: np.ndarray, count: int) -> np.ndarray:
    """``count`` evenly spaced frames side by side (first and last included), grey separators.

    ``frames`` is uint8 ``(frames, height, width)``; returns uint8 ``(height, strip_width)``.
    """
    chosen = np.unique(np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int))
    separator = np.full((frames.shape[1], _SEPARATOR), _GREY, dtype=np.uint8)
    pieces = [piece for frame in chosen for piece in (separator, frames[frame])]
    return np.concatenate(pieces[1:], axis=1)


def preview_paths(out: Path) -> tuple[Path, Path]:
    """``(gif, png)`` paths for ``out``: ``x.gif`` or ``x.png`` gives ``x.gif`` and ``x.png``."""
    if out.suffix.lower() not in (".gif", ".png"):
        raise StimulusError(f"preview file {out} must end in .gif or .png (both are written)")
    return out.with_suffix(".gif"), out.with_suffix(".png")


def write_preview(
    video: torch.Tensor,
    out: str | os.PathLike,
    *,
    frame_rate_hz: float = 30.0,
    strip_frames: int = 8,
    zoom: int = 1,
) -> tuple[Path, Path]:
    """Write an animated GIF and a PNG strip of ``video`` (``(frames, height, width)``, [0, 1]).

    The GIF plays at ``frame_rate_hz`` (within GIF's 10 ms resolution) and loops; the strip
    shows ``strip_frames`` evenly spaced frames. Both are written atomically. Returns the paths.
    """
    import imageio.v3 as iio

    if video.ndim != 3:
        raise StimulusError(
            f"a preview needs a (frames, height, width) video, got {tuple(video.shape)}"
        )
    if strip_frames < 1 or zoom < 1:
        raise StimulusError(f"strip_frames and zoom must be >= 1, got {strip_frames} and {zoom}")
    gif, png = preview_paths(Path(out))
    frames = to_uint8(video, zoom)
    duration_ms = max(10, round(100.0 / frame_rate_hz) * 10)
    if not gif.parent.is_dir():
        raise StimulusError(f"cannot write {gif}: folder {gif.parent} does not exist")
    # encoded in memory, then written with plain I/O: a full disk is one clear error
    encoded = {
        gif: iio.imwrite("<bytes>", frames, extension=".gif", duration=duration_ms, loop=0),
        png: iio.imwrite("<bytes>", frame_strip(frames, strip_frames), extension=".png"),
    }
    for path, data in encoded.items():
        atomic_write_bytes(path, data)
    return gif, png
