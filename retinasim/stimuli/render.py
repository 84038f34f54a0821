"""Anti-aliased rendering of discs that move horizontally through a horizontally periodic scene.

Motion is purely horizontal, so only a disc's sub-pixel horizontal phase matters: each disc is
drawn from a precomputed *stamp*, the exact fraction of every pixel covered by a disc of radius
``r`` (exact in x, 64-point midpoint rule in y) centred on a row's centre line at one of
:data:`PHASES` sub-pixel positions, so a dot moving at 0.5 pixel/frame moves by 0.5 pixel each
frame, and every stamp sums to the disc's area. Where discs overlap the brighter coverage wins
(the union), so the video stays in ``[0, 1]`` and does not depend on drawing order:
bit-identical on every run, alone or in any batch, on CUDA too. Work is proportional to the
visible dot-frames, vectorised (``scatter_reduce`` of stamps gathered by phase).

:class:`BoundedScene` draws the authors' binary discs at whole-pixel positions instead.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch

#: Sub-pixel horizontal positions per pixel at which stamps are tabulated.
PHASES = 256
_SUBROWS = 64


def stamp_shape(radius: float) -> tuple[int, int]:
    """``(K, M)``: rows and columns of a disc stamp; centre at row ``K // 2``, column ``M // 2``."""
    half_rows = math.ceil(radius + 0.5) - 1
    half_columns = math.ceil(radius)
    return 2 * half_rows + 1, 2 * half_columns + 1


@functools.lru_cache(maxsize=16)
def _stamps_float64(radius: float) -> torch.Tensor:
    rows, columns = stamp_shape(radius)
    # Centre at x = phase / PHASES inside column M // 2, y = 0.5 inside row K // 2.
    phase = torch.arange(PHASES, dtype=torch.float64) / PHASES
    left_edge = torch.arange(columns, dtype=torch.float64) - columns // 2
    sub_y = (torch.arange(rows * _SUBROWS, dtype=torch.float64) + 0.5) / _SUBROWS - rows / 2
    chord = torch.sqrt(torch.clamp(radius * radius - sub_y * sub_y, min=0.0))  # (rows * sub,)
    right = phase[:, None, None] + chord[None, :, None] - left_edge  # (P, rows * sub, M)
    left = phase[:, None, None] - chord[None, :, None] - left_edge
    inside = right.clamp(0.0, 1.0) - left.clamp(0.0, 1.0)
    return inside.reshape(PHASES, rows, _SUBROWS, columns).mean(dim=2)


def disc_stamps(radius: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Pixel coverage of a disc for each sub-pixel phase, shape ``(PHASES, K * M)``.

    Entry ``[p, k * M + m]`` is the fraction of pixel ``(row k - K // 2, column m - M // 2)``
    (relative to the centre pixel) covered by a disc of ``radius`` pixels whose centre lies on
    the centre row's middle line and ``p / PHASES`` pixels right of the centre column's left
    edge. Each stamp sums to the disc's area.
    """
    return _stamps_float64(float(radius)).reshape(PHASES, -1).to(device=device, dtype=dtype)


def _moved(scene_x: torch.Tensor, velocity: torch.Tensor, frames: int) -> torch.Tensor:
    """``x + v t``, float64 ``(batch, dots, frames)``, for scene x at frame 0 and signed speed
    (pixels/frame, + = rightward), both float64 ``(batch, dots)``."""
    time = torch.arange(frames, dtype=torch.float64, device=scene_x.device)
    return scene_x[..., None] + velocity[..., None] * time


@dataclass(frozen=True)
class HorizontalScene:
    """Geometry of a horizontally periodic scene seen through a window (the video).

    ``height`` and ``width`` are the window's size, ``scene_width`` the scene's period in x,
    ``offset`` the window's left edge in scene x (scene x ``u`` is seen at window x
    ``u - offset``) and ``radius`` the discs', all in pixels.
    """

    height: int
    width: int
    scene_width: float
    offset: float
    radius: float

    def window_x(self, scene_x: torch.Tensor, velocity: torch.Tensor, frames: int) -> torch.Tensor:
        """Window x of each disc centre at each frame, float64 ``(batch, dots, frames)``:
        ``((x + v t) mod scene_width) - offset`` (see :func:`_moved`)."""
        return torch.remainder(_moved(scene_x, velocity, frames), self.scene_width) - self.offset

    def render(
        self, video: torch.Tensor, x: torch.Tensor, row: torch.Tensor, present: torch.Tensor
    ) -> torch.Tensor:
        """Draw the coverage of discs moving horizontally into ``video`` and return it.

        ``video`` is zeros ``(batch, 1, frames, height, width)``; ``x`` the disc centres'
        window x per frame (0 = left edge of column 0), float64 ``(batch, dots, frames)``;
        ``row`` the row holding each centre (on its middle line; may lie outside the frame),
        int64 ``(batch, dots)``; ``present`` which dot slots hold a dot, bool ``(batch, dots)``.
        The coverage lies in ``[0, 1]``.
        """
        frames, height, width = video.shape[2:]
        rows, columns = stamp_shape(self.radius)
        quantised = torch.round(x * PHASES).to(torch.int64)
        centre_column = torch.div(quantised, PHASES, rounding_mode="floor")
        visible = (
            present[..., None]
            & (centre_column + columns // 2 >= 0)
            & (centre_column - columns // 2 < width)
        ).transpose(1, 2)  # (batch, frames, dots): draw frame by frame for memory locality
        trial, frame, dot = visible.nonzero(as_tuple=True)
        if trial.numel() == 0:
            return video
        position = quantised[trial, dot, frame]
        first_column = centre_column[trial, dot, frame]
        phase = position - first_column * PHASES
        first_column -= columns // 2
        first_row = row[trial, dot] - rows // 2
        # Top-left pixel of each stamp in the flattened video (may be off-frame for cut stamps).
        corner = ((trial * frames + frame) * height + first_row) * width + first_column
        cut = (
            (first_row < 0)
            | (first_row + rows > height)
            | (first_column < 0)
            | (first_column + columns > width)
        )
        stamps = disc_stamps(self.radius, video.dtype, video.device)
        flat_video = video.view(-1)

        # Stamps wholly inside the frame: one gather, one broadcast add, one scatter.
        whole = (~cut).nonzero().squeeze(1)
        steps = torch.arange(rows, device=video.device)[:, None] * width + torch.arange(
            columns, device=video.device
        )  # (K, M): offsets of a stamp's pixels from its corner
        flat = corner[whole][:, None] + steps.view(-1)
        flat_video.scatter_reduce_(0, flat.view(-1), stamps[phase[whole]].view(-1), "amax")

        # Stamps cut by a frame edge: off-frame pixels zeroed, indices clamped.
        part = cut.nonzero().squeeze(1)
        if part.numel():
            pixel_row = first_row[part, None] + torch.arange(rows, device=video.device)
            pixel_column = first_column[part, None] + torch.arange(columns, device=video.device)
            row_inside = (pixel_row >= 0) & (pixel_row < height)  # (cut, K)
            column_inside = (pixel_column >= 0) & (pixel_column < width)  # (cut, M)
            coverage = stamps[phase[part]].view(-1, rows, columns)
            coverage = coverage * (row_inside[:, :, None] & column_inside[:, None, :])
            image = (trial[part] * frames + frame[part]) * height  # first row of each frame
            row_start = (image[:, None] + pixel_row.clamp(0, height - 1)) * width
            flat = row_start[:, :, None] + pixel_column.clamp(0, width - 1)[:, None, :]
            flat_video.scatter_reduce_(0, flat.view(-1), coverage.view(-1), "amax")
        return video


def binary_disc_offsets(radius: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(dy, dx)``, int64: the pixels of a binary disc around its centre pixel.

    The authors' disc: every pixel whose offset from the centre pixel satisfies
    ``dx² + dy² <= radius²`` is set (81 pixels for ``radius = 5``), no anti-aliasing.
    """
    reach = math.floor(radius)
    steps = torch.arange(-reach, reach + 1, dtype=torch.int64)
    dy, dx = torch.meshgrid(steps, steps, indexing="ij")
    inside = dy * dy + dx * dx <= radius * radius
    return dy[inside], dx[inside]


@dataclass(frozen=True)
class BoundedScene:
    """The authors' scene: a bounded ``scene_height × scene_width`` square (3 × the window in
    the authors' code) seen through its central ``height × width`` window, with discs of
    ``radius`` (all in pixels); positions are floored to whole pixels and a dot that leaves
    the scene is gone for good.
    """

    height: int
    width: int
    scene_height: int
    scene_width: int
    radius: float

    @property
    def row_offset(self) -> int:
        """Scene row of the window's row 0."""
        return (self.scene_height - self.height) // 2

    def track(
        self, scene_x: torch.Tensor, velocity: torch.Tensor, frames: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Whole-pixel window column of each dot at each frame, and whether it is still there.

        ``scene_x`` (whole pixels) and ``velocity`` are as for :func:`_moved`. Returns the
        column, int64 ``(batch, dots, frames)``, ``floor(x + v t)`` minus the window's first
        column, and ``alive``, bool, the same shape: the position has stayed inside
        ``[0, scene_width)`` up to that frame.
        """
        moved = _moved(scene_x, velocity, frames)
        inside = (moved >= 0) & (moved < self.scene_width)
        alive = inside.to(torch.int8).cummin(dim=-1).values.bool()
        column_offset = (self.scene_width - self.width) // 2
        return torch.floor(moved).to(torch.int64) - column_offset, alive

    def render(
        self, video: torch.Tensor, column: torch.Tensor, row: torch.Tensor, alive: torch.Tensor
    ) -> torch.Tensor:
        """Draw binary whole-pixel discs (the authors' renderer) into ``video``, return it.

        ``video`` is zeros ``(batch, 1, frames, height, width)``; ``column`` the window column
        of each centre pixel per frame, int64 ``(batch, dots, frames)``; ``row`` its window
        row, int64 ``(batch, dots)`` (may lie outside the frame); ``alive`` which dots are
        drawn at which frame, bool ``(batch, dots, frames)``. Overlapping discs give 1 (the
        union), so the result does not depend on drawing order.
        """
        frames, height, width = video.shape[2:]
        reach = math.floor(self.radius)
        row_visible = (row + reach >= 0) & (row - reach < height)
        visible = (
            alive & (column + reach >= 0) & (column - reach < width) & row_visible[..., None]
        ).transpose(1, 2)  # (batch, frames, dots): frame by frame for memory locality
        trial, frame, dot = visible.nonzero(as_tuple=True)
        if trial.numel() == 0:
            return video
        dy, dx = (offset.to(column.device) for offset in binary_disc_offsets(self.radius))
        rows = row[trial, dot][:, None] + dy
        columns = column[trial, dot, frame][:, None] + dx
        inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
        flat = ((trial * frames + frame)[:, None] * height + rows) * width + columns
        video.view(-1)[flat[inside]] = 1.0
        return video
