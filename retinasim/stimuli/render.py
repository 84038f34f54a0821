"""Anti-aliased rendering of discs that move horizontally through a horizontally periodic scene.

Motion is purely horizontal, so a disc's rows never change and only its sub-pixel horizontal
phase matters. Each disc is drawn from a precomputed *stamp*: the exact fraction of every pixel
covered by a disc of radius ``r`` (box filter: exact in x, 64-point midpoint rule in y), for a
centre on a row's centre line and at one of :data:`PHASES` sub-pixel positions across a column.
Centres are thus quantised to 1/256 pixel horizontally (and to row centres vertically): a dot
moving at 0.5 pixel/frame moves by 0.5 pixel each frame, not by 0 or 1. Every stamp sums to
the disc's area, so a dot's total luminance is constant while it is in view.

Where discs overlap the brighter coverage wins (maximum: the union of the discs), so the video
stays in ``[0, 1]`` and each pixel is independent of the order in which discs are drawn: the
result is bit-identical on every run and alone or in any batch (on CUDA too, where the scatter
runs in arbitrary order).

Work is proportional to the visible dot-frames (``K × M`` pixels each, ``K = M = 11`` for
``r = 5``), vectorised over dots, frames and stimuli: stamps are gathered by phase and written
with ``scatter_reduce`` into a zeroed video (stamps cut by a frame edge take a second, masked
pass); nothing loops over dots or frames in Python.
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


@dataclass(frozen=True)
class HorizontalScene:
    """Geometry of a horizontally periodic scene seen through a window (the video).

    Attributes
    ----------
    height, width : int
        Size of the window, pixels.
    scene_width : float
        Period of the scene in x, pixels; scene x ``u`` is seen at window x ``u - offset``.
    offset : float
        Window's left edge in scene coordinates, pixels.
    radius : float
        Disc radius, pixels.
    """

    height: int
    width: int
    scene_width: float
    offset: float
    radius: float

    def window_x(self, scene_x: torch.Tensor, velocity: torch.Tensor, frames: int) -> torch.Tensor:
        """Window x of each disc centre at each frame.

        Parameters
        ----------
        scene_x : torch.Tensor
            Scene x at frame 0, float64 ``(batch, dots)``, in ``[0, scene_width)``.
        velocity : torch.Tensor
            Signed horizontal speed, pixels/frame, float64 ``(batch, dots)`` (+ = rightward).
        frames : int
            Number of frames ``T``.

        Returns
        -------
        torch.Tensor
            float64 ``(batch, dots, frames)``: ``((x + v t) mod scene_width) - offset``.
        """
        time = torch.arange(frames, dtype=torch.float64, device=scene_x.device)
        moved = scene_x[..., None] + velocity[..., None] * time
        return torch.remainder(moved, self.scene_width) - self.offset


def render_discs(
    window_x: torch.Tensor,
    centre_row: torch.Tensor,
    present: torch.Tensor,
    scene: HorizontalScene,
    *,
    dtype: torch.dtype = torch.float32,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Coverage video of discs moving horizontally.

    Parameters
    ----------
    window_x : torch.Tensor
        Disc centre x in window coordinates (0 = left edge of column 0), per frame, float64
        ``(batch, dots, frames)``.
    centre_row : torch.Tensor
        Row holding each disc's centre (the centre lies on its middle line), int64
        ``(batch, dots)``; may lie outside ``[0, height)`` for discs cut by an edge.
    present : torch.Tensor
        bool ``(batch, dots)``: which dot slots hold a dot.
    scene : HorizontalScene
        Window size and disc radius.
    out : torch.Tensor, optional
        Contiguous ``(batch, 1, frames, height, width)`` tensor of ``dtype`` to render into
        (overwritten), to reuse memory across batches.

    Returns
    -------
    torch.Tensor
        Coverage in ``[0, 1]``, shape ``(batch, 1, frames, height, width)``.
    """
    batch, _, frames = window_x.shape
    height, width = scene.height, scene.width
    shape = (batch, 1, frames, height, width)
    video = torch.zeros(shape, dtype=dtype, device=window_x.device) if out is None else out.zero_()
    rows, columns = stamp_shape(scene.radius)
    quantised = torch.round(window_x * PHASES).to(torch.int64)
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
    first_row = centre_row[trial, dot] - rows // 2
    # Top-left pixel of each stamp in the flattened video (may be off-frame for cut stamps).
    corner = ((trial * frames + frame) * height + first_row) * width + first_column
    cut = (
        (first_row < 0)
        | (first_row + rows > height)
        | (first_column < 0)
        | (first_column + columns > width)
    )
    stamps = disc_stamps(scene.radius, dtype, video.device)
    flat_video = video.view(-1)

    # Stamps wholly inside the frame: one gather, one broadcast add, one scatter.
    whole = (~cut).nonzero().squeeze(1)
    steps = torch.arange(rows, device=video.device)[:, None] * width + torch.arange(
        columns, device=video.device
    )  # (K, M): offsets of a stamp's pixels from its corner
    flat = corner[whole][:, None] + steps.view(-1)
    flat_video.scatter_reduce_(0, flat.view(-1), stamps[phase[whole]].view(-1), "amax")

    part = cut.nonzero().squeeze(1)
    if part.numel():
        image = (trial[part] * frames + frame[part]) * height  # first row of each frame
        coverage = stamps[phase[part]].view(-1, rows, columns)
        _scatter_cut_stamps(flat_video, coverage, image, first_row[part], first_column[part], scene)
    return video


def _scatter_cut_stamps(
    flat_video: torch.Tensor,
    coverage: torch.Tensor,
    image_row: torch.Tensor,
    first_row: torch.Tensor,
    first_column: torch.Tensor,
    scene: HorizontalScene,
) -> None:
    """Draw stamps cut by a frame edge: their off-frame pixels are zeroed, indices clamped.

    ``coverage`` is ``(cut, K, M)``; ``image_row`` is the flat row index of each stamp's frame
    (``(trial * frames + frame) * height``); ``first_row`` / ``first_column`` its top-left pixel.
    """
    height, width = scene.height, scene.width
    rows, columns = coverage.shape[1:]
    row = first_row[:, None] + torch.arange(rows, device=coverage.device)  # (cut, K)
    column = first_column[:, None] + torch.arange(columns, device=coverage.device)  # (cut, M)
    row_inside = (row >= 0) & (row < height)
    column_inside = (column >= 0) & (column < width)
    coverage = coverage * (row_inside[:, :, None] & column_inside[:, None, :])
    row_start = (image_row[:, None] + row.clamp(0, height - 1)) * width
    flat = row_start[:, :, None] + column.clamp(0, width - 1)[:, None, :]
    flat_video.scatter_reduce_(0, flat.view(-1), coverage.view(-1), "amax")


# -- the authors' renderer: whole-pixel positions, binary discs, a bounded scene ----------------


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
    """The authors' scene: a bounded ``scene_height × scene_width`` square seen through its
    central ``height × width`` window; positions are floored to whole pixels and a dot that
    leaves the scene is gone for good.

    Attributes
    ----------
    height, width : int
        Size of the window, pixels.
    scene_height, scene_width : int
        Size of the scene, pixels (3 × the window in the authors' code).
    radius : float
        Disc radius, pixels.
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

    @property
    def column_offset(self) -> int:
        """Scene column of the window's column 0."""
        return (self.scene_width - self.width) // 2

    def track(
        self, scene_x: torch.Tensor, velocity: torch.Tensor, frames: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Whole-pixel window column of each dot at each frame, and whether it is still there.

        Parameters
        ----------
        scene_x : torch.Tensor
            Scene column at frame 0 (whole pixels held in float64), ``(batch, dots)``.
        velocity : torch.Tensor
            Signed horizontal speed, pixels/frame, float64 ``(batch, dots)`` (+ = rightward).
        frames : int
            Number of frames ``T``.

        Returns
        -------
        column : torch.Tensor
            int64 ``(batch, dots, frames)``: ``floor(x + v t) - column_offset``.
        alive : torch.Tensor
            bool ``(batch, dots, frames)``: the position has stayed inside
            ``[0, scene_width)`` up to frame ``t`` (a dot that leaves never comes back).
        """
        time = torch.arange(frames, dtype=torch.float64, device=scene_x.device)
        moved = scene_x[..., None] + velocity[..., None] * time
        inside = (moved >= 0) & (moved < self.scene_width)
        alive = inside.to(torch.int8).cummin(dim=-1).values.bool()
        column = torch.floor(moved).to(torch.int64) - self.column_offset
        return column, alive


def render_binary_discs(
    column: torch.Tensor,
    row: torch.Tensor,
    alive: torch.Tensor,
    scene: BoundedScene,
    *,
    dtype: torch.dtype = torch.float32,
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Binary video of whole-pixel discs (the authors' renderer), vectorised like
    :func:`render_discs`: one gather of the visible dot-frames, one indexed write.

    Parameters
    ----------
    column : torch.Tensor
        Window column of each disc's centre pixel per frame, int64 ``(batch, dots, frames)``.
    row : torch.Tensor
        Window row of each disc's centre pixel, int64 ``(batch, dots)`` (constant: motion is
        horizontal); may lie outside ``[0, height)``.
    alive : torch.Tensor
        bool ``(batch, dots, frames)``: which dots are drawn at which frame.
    scene : BoundedScene
        Window size and disc radius.
    out : torch.Tensor, optional
        Contiguous ``(batch, 1, frames, height, width)`` tensor of ``dtype`` to render into.

    Returns
    -------
    torch.Tensor
        0 or 1, shape ``(batch, 1, frames, height, width)``; overlapping discs give 1 (the
        union), so the result does not depend on drawing order.
    """
    batch, _, frames = column.shape
    height, width = scene.height, scene.width
    shape = (batch, 1, frames, height, width)
    video = torch.zeros(shape, dtype=dtype, device=column.device) if out is None else out.zero_()
    reach = math.floor(scene.radius)
    row_visible = (row + reach >= 0) & (row - reach < height)
    visible = (
        alive & (column + reach >= 0) & (column - reach < width) & row_visible[..., None]
    ).transpose(1, 2)  # (batch, frames, dots): frame by frame for memory locality
    trial, frame, dot = visible.nonzero(as_tuple=True)
    if trial.numel() == 0:
        return video
    dy, dx = (offset.to(column.device) for offset in binary_disc_offsets(scene.radius))
    rows = row[trial, dot][:, None] + dy
    columns = column[trial, dot, frame][:, None] + dx
    inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
    flat = ((trial * frames + frame)[:, None] * height + rows) * width + columns
    video.view(-1)[flat[inside]] = 1.0
    return video
