"""Sparse noise: a few bright or dark squares on a background, drawn with numpy's generator."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import torch

from retinasim.stimuli.base import (
    Rendered,
    RenderRequest,
    StimulusGenerator,
    check_indices,
    check_seed,
)
from retinasim.stimuli.builtin import SparseNoiseParams

if TYPE_CHECKING:
    from retinasim.stimuli.base import Indices


class SparseNoise(SparseNoiseParams, StimulusGenerator):
    """Squares of ``square`` pixels on a coarse grid (anchored at the top-left pixel), each
    grid position on with probability ``density`` per frame, at luminance
    ``background ± |contrast|`` clipped to [0, 1]; a sign that the clip makes invisible (dark
    squares on black) is not drawn, and the visible signs share ``density`` equally.

    Random numbers come from :func:`numpy.random.default_rng` ``(seed)``: stimulus ``index``
    is the ``index``-th block of ``frames × rows × columns`` uniform draws of that generator
    (so ``generate(range(n), seed=s)`` draws what one ``rng.random((n, frames, rows,
    columns))`` does), the same bits alone or in any batch and on every device.

    ``square`` is the edge (pixels), ``contrast`` square minus background luminance (its sign
    is ignored), ``background_luminance`` the luminance between the squares.
    """

    units: ClassVar[dict[str, str]] = {
        "square": "pixels per square edge",
        "density": "probability per grid position and frame",
        "contrast": "square luminance minus background luminance",
    }

    def squares(self, indices: Indices, *, seed: int) -> np.ndarray:
        """The squares' signs, int8 ``(batch, frames, rows, columns)`` in {-1, 0, +1}: the
        regressor of reverse correlation (video pixel ``(i, j)`` shows grid position
        ``(i // square, j // square)``)."""
        index_tensor, seed = check_indices(indices), check_seed(seed)
        rows, columns = math.ceil(self.height / self.square), math.ceil(self.width / self.square)
        shape = (self.frames, rows, columns)
        signs = self.signs
        out = np.zeros((len(index_tensor), *shape), dtype=np.int8)
        for row, index in enumerate(index_tensor.tolist()):
            bits = np.random.PCG64(seed)  # as np.random.default_rng(seed)
            bits.advance(index * math.prod(shape))  # one 64-bit step per draw
            rng = np.random.Generator(bits)
            draw = rng.random(shape)
            for n, sign in enumerate(signs):
                low, high = n * self.density / len(signs), (n + 1) * self.density / len(signs)
                out[row][(draw >= low) & (draw < high)] = sign
        return out

    def _render(self, request: RenderRequest) -> Rendered:
        squares = self.squares(request.indices, seed=request.seed)
        big = np.repeat(np.repeat(squares, self.square, axis=2), self.square, axis=3)
        big = big[:, :, : self.height, : self.width]
        video = np.full(big.shape, self.background_luminance, dtype=np.float32)
        for sign in self.signs:
            video[big == sign] = self.level(sign)
        names = ("square", "density", "contrast")
        metadata = {name: np.full(request.count, getattr(self, name)) for name in names}
        frames = torch.from_numpy(video)[:, None].to(device=request.device, dtype=request.dtype)
        return frames, metadata, None
