"""The task of Murray, Wang & Lynch (2021): which population of dots moves faster?

Bright dots on a dark background move left or right (each dot's direction drawn uniformly);
the slow direction (drawn per stimulus) moves at ``s ~ U(s_range)`` pixels/frame, the fast one
at ``alpha * s``, and the label is the fast direction. The video is the central ``width``
columns of a horizontally periodic scene (``scene_width``, 3 × width by default) in which dot
centres form a Poisson process on every row from which a dot reaches the frame;
``mean_dots_in_view`` is the expected number of centres inside the frame (16.67 in the paper).
Leak-free: the dots' random streams do not depend on which side is fast, so at ``alpha = 1``
the video is bit-identical whichever side is labelled fast. ``rendering="authors"`` draws
them the way the authors' generator does (a bounded scene, exactly
:data:`AUTHORS_DOTS_PER_POPULATION` dots per direction, binary discs, dots that leave are
gone); ``docs/stimuli.md`` describes both renderings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from retinasim.stimuli import rng
from retinasim.stimuli.base import (
    Indices,
    Rendered,
    RenderRequest,
    StimulusGenerator,
    check_indices,
    check_seed,
)
from retinasim.stimuli.builtin import AUTHORS_DOTS_PER_POPULATION, MovingDotsParams
from retinasim.stimuli.render import BoundedScene, HorizontalScene, stamp_shape

AUTHORS_STREAMS = {"authors_dot_x": 101, "authors_dot_y": 102}
"""Random streams of the authors' rendering (numbers kept clear of :data:`rng.STREAMS`)."""
assert not set(AUTHORS_STREAMS.values()) & set(rng.STREAMS.values())


@dataclass(frozen=True)
class DotLayout:
    """The random draws of a batch of moving-dot stimuli (everything but the pixels).

    ``s``, ``speed_left``, ``speed_right``: float64 ``(batch,)``, pixels/frame;
    ``fast_is_right``: bool ``(batch,)``; per dot slot, ``(batch, slots)``: ``scene_x``, the
    centre's scene x at frame 0 (float64, in ``[0, scene_width)``), ``row``, its row (int64,
    uniform over every row from which the dot reaches into the frame), ``moves_right`` and
    ``present`` (bool: which slots hold a dot). With ``rendering="authors"``, ``scene_x``
    holds whole scene columns, ``row`` is the window row of the centre pixel and every slot
    holds a dot.
    """

    s: torch.Tensor
    speed_left: torch.Tensor
    speed_right: torch.Tensor
    fast_is_right: torch.Tensor
    scene_x: torch.Tensor
    row: torch.Tensor
    moves_right: torch.Tensor
    present: torch.Tensor

    @property
    def velocity(self) -> torch.Tensor:
        """Signed dot speeds, pixels/frame (+ = rightward), float64 ``(batch, slots)``."""
        return torch.where(self.moves_right, self.speed_right[:, None], -self.speed_left[:, None])


class MovingDots(MovingDotsParams, StimulusGenerator):
    """Two populations of dots moving left and right; the label is the faster direction.

    Parameters (all optional; defaults are the paper's): ``height``, ``width`` (255 × 255
    pixels), ``frames`` (51), ``frame_rate_hz`` (30, our convention); ``mean_dots_in_view``,
    the expected number of dot centres in the frame (16.67); ``dot_radius`` (5 pixels, as
    in the authors' code); ``s_range``, the interval of the slow speed ``s`` ((0.5, 1.5)
    pixels/frame), or a fixed ``s``; ``alpha``, fast speed = ``alpha * s`` (2; ``alpha < 1``
    makes F the slower side); ``fast_direction``, "left", "right" or None (drawn per
    stimulus); ``scene_width``, the scene's period (None: 3 × width; at least
    ``width + 2 (r + 1)``); ``dot_luminance`` and ``background_luminance`` (1 and 0);
    ``rendering``, ``"antialiased"`` (the periodic scene and sub-pixel dots above) or
    ``"authors"`` (module docstring; ``mean_dots_in_view`` and ``scene_width`` do not apply).
    """

    units: ClassVar[dict[str, str]] = {
        "s": "pixels/frame",
        "fast_speed": "pixels/frame",
        "speed_left": "pixels/frame",
        "speed_right": "pixels/frame",
        "dots_in_view": "dot centres inside the frame, mean over frames",
    }

    @property
    def scene(self) -> HorizontalScene:
        """Window and scene geometry."""
        scene_width = self.scene_width or max(
            3 * self.width, self.width + 2 * (int(self.dot_radius) + 1)
        )
        return HorizontalScene(
            height=self.height,
            width=self.width,
            scene_width=float(scene_width),
            offset=(scene_width - self.width) / 2.0,
            radius=self.dot_radius,
        )

    @property
    def bounded_scene(self) -> BoundedScene:
        """The authors' scene (``rendering="authors"``): 3 × the frame on each axis."""
        return BoundedScene(
            height=self.height,
            width=self.width,
            scene_height=3 * self.height,
            scene_width=3 * self.width,
            radius=self.dot_radius,
        )

    @property
    def centre_rows(self) -> int:
        """Number of rows a dot centre can lie on: every row from which a dot reaches the frame."""
        return self.height + 2 * (stamp_shape(self.dot_radius)[0] // 2)

    @property
    def dots_per_scene(self) -> float:
        """Expected number of dots in the whole scene (``scene_width ×`` :attr:`centre_rows`)."""
        area = self.scene.scene_width * self.centre_rows
        return self.mean_dots_in_view * area / (self.width * self.height)

    def layout(self, indices: Indices, seed: int) -> DotLayout:
        """Draw everything but the pixels for stimuli ``indices`` of the set ``seed``.

        Cheap (no rendering): use it with :meth:`metadata` to study the parameters of many
        stimuli. ``generate`` renders exactly this layout.
        """
        indices, seed = check_indices(indices), check_seed(seed)
        keys = rng.stimulus_keys(seed, indices)
        streams = rng.STREAMS
        if self.s is not None:
            s = torch.full((len(indices),), float(self.s), dtype=torch.float64)
        else:
            low, high = self.s_range
            s = low + (high - low) * rng.uniform(keys, streams["s"])
        if self.fast_direction is None:
            fast_is_right = rng.uniform(keys, streams["slow_direction"]) < 0.5
        else:
            fast_is_right = torch.full((len(indices),), self.fast_direction == "right")
        dots = self._authors_dots(keys) if self.rendering == "authors" else self._dots(keys)
        fast = self.alpha * s
        return DotLayout(
            s=s,
            speed_left=torch.where(fast_is_right, s, fast),
            speed_right=torch.where(fast_is_right, fast, s),
            fast_is_right=fast_is_right,
            **dots,
        )

    def _dots(self, keys: torch.Tensor) -> dict[str, torch.Tensor]:
        """``scene_x``, ``row``, ``moves_right`` and ``present`` of :class:`DotLayout`: a
        Poisson number of dots uniform over the scene."""
        streams = rng.STREAMS
        n_dots = rng.poisson(keys, streams["n_dots"], self.dots_per_scene)
        slots = max(int(n_dots.max()), 1)
        half_rows = stamp_shape(self.dot_radius)[0] // 2
        row = torch.floor(self.centre_rows * rng.uniform(keys, streams["dot_y"], (slots,)))
        return {
            "scene_x": self.scene.scene_width * rng.uniform(keys, streams["dot_x"], (slots,)),
            "row": row.to(torch.int64) - half_rows,
            "moves_right": rng.uniform(keys, streams["dot_direction"], (slots,)) < 0.5,
            "present": torch.arange(slots)[None, :] < n_dots[:, None],
        }

    def _authors_dots(self, keys: torch.Tensor) -> dict[str, torch.Tensor]:
        """The authors' draws: 150 start positions, without replacement on each axis.

        A uniform permutation of each axis's scene pixels (argsort of one counter-based
        uniform per pixel) gives the positions; the first half of the slots move right.
        """
        scene = self.bounded_scene
        dots = 2 * AUTHORS_DOTS_PER_POPULATION

        def without_replacement(stream: int, size: int) -> torch.Tensor:
            draws = rng.uniform(keys, stream, (size,))
            return torch.argsort(draws, dim=1, stable=True)[:, :dots]

        scene_x = without_replacement(AUTHORS_STREAMS["authors_dot_x"], scene.scene_width)
        scene_y = without_replacement(AUTHORS_STREAMS["authors_dot_y"], scene.scene_height)
        moves_right = torch.arange(dots) < AUTHORS_DOTS_PER_POPULATION
        return {
            "scene_x": scene_x.to(torch.float64),
            "row": scene_y - scene.row_offset,
            "moves_right": moves_right.expand(len(keys), dots),
            "present": torch.ones(len(keys), dots, dtype=torch.bool),
        }

    def metadata(self, layout: DotLayout) -> dict[str, np.ndarray]:
        """Per-trial metadata of a layout: speeds, directions, ``n_dots_left`` and
        ``n_dots_right`` (dots of the whole scene), ``dots_in_view`` (centres inside the frame,
        mean over frames)."""
        fast_right = layout.fast_is_right.numpy()
        if self.rendering == "authors":
            window_x, alive = self.bounded_scene.track(layout.scene_x, layout.velocity, self.frames)
            present = layout.present[..., None] & alive
        else:
            window_x = self.scene.window_x(layout.scene_x, layout.velocity, self.frames)
            present = layout.present[..., None]
        in_view = (
            present
            & (window_x >= 0)
            & (window_x < self.width)
            & ((layout.row >= 0) & (layout.row < self.height))[..., None]
        )
        return {
            "s": layout.s.numpy().copy(),
            "fast_speed": (self.alpha * layout.s).numpy(),
            "alpha": np.full(len(fast_right), self.alpha),
            "fast_direction": np.where(fast_right, "right", "left"),
            "slow_direction": np.where(fast_right, "left", "right"),
            "speed_left": layout.speed_left.numpy().copy(),
            "speed_right": layout.speed_right.numpy().copy(),
            "n_dots_left": (layout.present & ~layout.moves_right).sum(1).numpy(),
            "n_dots_right": (layout.present & layout.moves_right).sum(1).numpy(),
            "dots_in_view": in_view.sum(1).to(torch.float64).mean(1).numpy(),
        }

    def _render(self, request: RenderRequest) -> Rendered:
        layout = self.layout(request.indices, request.seed)
        scene_x, velocity, row = (
            tensor.to(request.device) for tensor in (layout.scene_x, layout.velocity, layout.row)
        )
        video = request.zeros(self.frames, self.height, self.width)
        if self.rendering == "authors":
            column, alive = self.bounded_scene.track(scene_x, velocity, self.frames)
            self.bounded_scene.render(video, column, row, alive)
        else:
            window_x = self.scene.window_x(scene_x, velocity, self.frames)
            self.scene.render(video, window_x, row, layout.present.to(request.device))
        if (self.dot_luminance, self.background_luminance) != (1.0, 0.0):
            contrast = self.dot_luminance - self.background_luminance
            video.mul_(contrast).add_(self.background_luminance)
        labels = layout.fast_is_right.to(torch.int64).to(request.device)
        return video, self.metadata(layout), labels
