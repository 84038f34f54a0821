"""The paper's cell type: a causal temporal convolution per type, a bias, then ReLU."""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import BaseModel, Field
from torch import nn

from retinasim.cells.base import CellParams, CellType


class SpatiotemporalParams(CellParams):
    """Parameters of the ``spatiotemporal`` cell type."""

    temporal_kernel: Annotated[int, Field(strict=True, ge=1, le=1000)] = 31
    """Length of the causal temporal filter in frames (the paper's code: 31)."""


class CausalTemporalFilter(nn.Module):
    """One causal temporal filter per cell type, with bias, followed by ReLU.

    ``activity[b, c, t] = relu(bias[c] + sum_k weight[c, k] * drive[b, c, t - k])``: tap
    ``k = 0`` weighs the current frame; frames before the first count as zero.
    Computed as one batched product with a banded (Toeplitz) ``(types, time, time)`` matrix,
    so all types run in one operation.

    Shapes: drive ``(batch, n_types, time, y, x)`` → activity, same shape.
    """

    def __init__(self, n_types: int, kernel: int):
        super().__init__()
        self.kernel = kernel
        bound = 1.0 / kernel**0.5
        self.weight = nn.Parameter(torch.empty(n_types, kernel).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_types).uniform_(-bound, bound))

    def toeplitz(self, frames: int) -> torch.Tensor:
        """Banded matrix ``(n_types, frames, frames)``: entry ``[c, t, u] = weight[c, t - u]``."""
        t = torch.arange(frames, device=self.weight.device)
        lag = t[:, None] - t[None, :]
        valid = (lag >= 0) & (lag < self.kernel)
        band = self.weight[:, lag.clamp(0, self.kernel - 1)]
        return band * valid.to(band.dtype)

    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        matrix = self.toeplitz(drive.shape[2])
        filtered = torch.einsum("ctu,bcuyx->bctyx", matrix, drive)
        return torch.relu(filtered + self.bias[None, :, None, None, None])


class Spatiotemporal(CellType):
    """Causal temporal convolution per cell type, bias and ReLU (Murray et al. 2021)."""

    name = "spatiotemporal"
    description = "causal temporal filter per type + bias + ReLU (Murray et al. 2021)"
    Params = SpatiotemporalParams

    @classmethod
    def build(cls, n_types: int, params: BaseModel, *, frames: int) -> nn.Module:
        assert isinstance(params, SpatiotemporalParams)
        return CausalTemporalFilter(n_types, params.temporal_kernel)
