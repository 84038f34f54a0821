"""The paper's cell type: a causal temporal filter per type, a bias, then ReLU.

The filter runs as one batched matrix product with a banded (Toeplitz) ``(types, time, time)``
matrix, so every type of a layer runs in one operation. The product works directly on the
strides it is given: the compiled circuit hands over the drive in a *frames-major* layout
(physically ``(batch, time, types, y, x)``, the layout of its per-frame spatial convolutions)
and gets the activity back in the same layout, without a permuting copy in either direction.
"""

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


def causal_toeplitz(weight: torch.Tensor, frames: int) -> torch.Tensor:
    """Banded matrices of causal filters.

    Parameters
    ----------
    weight
        ``(n_types, kernel)``: tap ``k`` weighs the frame ``k`` frames in the past.
    frames
        Number of frames ``T``.

    Returns
    -------
    torch.Tensor
        ``(n_types, T, T)`` with entry ``[c, t, u] = weight[c, t - u]`` for
        ``0 <= t - u < kernel`` and 0 elsewhere.
    """
    kernel = weight.shape[1]
    t = torch.arange(frames, device=weight.device)
    lag = t[:, None] - t[None, :]
    valid = (lag >= 0) & (lag < kernel)
    band = weight[:, lag.clamp(0, kernel - 1)]
    return band * valid.to(band.dtype)


def _frames_major_like(series: torch.Tensor) -> torch.Tensor:
    """An uninitialised ``(batch, types, time, s)`` tensor stored as ``(batch, time, types, s)``."""
    batch, types, time, size = series.shape
    empty = series.new_empty((batch, time, types, size))
    return empty.transpose(1, 2)


def _as_series(tensor: torch.Tensor) -> torch.Tensor:
    """View ``(batch, types, time, y, x)`` as ``(batch, types, time, y*x)`` without copying when
    ``y`` and ``x`` are contiguous with each other (else copy)."""
    if tensor.stride(4) != 1 or tensor.stride(3) != tensor.shape[4]:
        tensor = tensor.contiguous()
    return tensor.flatten(3)


class _FilterBiasReLU(torch.autograd.Function):
    """``relu(matrix @ drive + bias)`` per type on any strides (:class:`CausalTemporalFilter`)."""

    @staticmethod
    def forward(ctx, drive, matrix, bias):  # type: ignore[override]
        series = _as_series(drive)
        out = _frames_major_like(series)
        for b in range(series.shape[0]):  # a loop over the batch, never over cell types
            torch.bmm(matrix, series[b], out=out[b])
        out.add_(bias.view(1, -1, 1, 1)).relu_()
        ctx.save_for_backward(series, matrix, out)
        return out.unflatten(3, drive.shape[3:])

    @staticmethod
    def backward(ctx, grad_activity):  # type: ignore[override]
        series, matrix, out = ctx.saved_tensors
        grad = torch.ops.aten.threshold_backward(_as_series(grad_activity), out, 0)
        grad_drive = grad_matrix = grad_bias = None
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum((0, 2, 3))
        if ctx.needs_input_grad[1]:
            grad_matrix = torch.zeros_like(matrix)
            for b in range(grad.shape[0]):
                grad_matrix.baddbmm_(grad[b], series[b].transpose(1, 2))
        if ctx.needs_input_grad[0]:
            grad_drive = _frames_major_like(grad)
            transposed = matrix.transpose(1, 2)
            for b in range(grad.shape[0]):
                torch.bmm(transposed, grad[b], out=grad_drive[b])
            grad_drive = grad_drive.unflatten(3, grad_activity.shape[3:])
        return grad_drive, grad_matrix, grad_bias


class CausalTemporalFilter(nn.Module):
    """One causal temporal filter per cell type, with bias, followed by ReLU.

    ``activity[b, c, t] = relu(bias[c] + sum_k weight[c, k] * drive[b, c, t - k])``: tap
    ``k = 0`` weighs the current frame; frames before the first count as zero (the authors'
    left zero padding). Computed as one batched product with a banded ``(types, time, time)``
    matrix, so all types run in one operation, on whatever strides the drive has; the
    activity (and the gradient of the drive) is stored frames-major, ``(batch, time, types,
    y, x)`` in memory, the layout of the circuit's per-frame spatial convolutions.

    Shapes: drive ``(batch, n_types, time, y, x)`` → activity, same shape (arbitrary units).
    """

    def __init__(self, n_types: int, kernel: int):
        super().__init__()
        self.kernel = kernel
        self.weight = nn.Parameter(torch.empty(n_types, kernel))
        self.bias = nn.Parameter(torch.empty(n_types))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's ``Conv3d`` default for a ``(kernel, 1, 1)`` filter: U(±1/√kernel).

        Drawn in float32 on the CPU from the global generator and copied, so a seed gives the
        same filters on every device and in every dtype.
        """
        bound = 1.0 / self.kernel**0.5
        with torch.no_grad():
            for parameter in (self.weight, self.bias):
                parameter.copy_(torch.empty(parameter.shape).uniform_(-bound, bound))

    def toeplitz(self, frames: int) -> torch.Tensor:
        """Banded matrix ``(n_types, frames, frames)``: entry ``[c, t, u] = weight[c, t - u]``."""
        return causal_toeplitz(self.weight, frames)

    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        return _FilterBiasReLU.apply(drive, self.toeplitz(drive.shape[2]), self.bias)

    def extra_repr(self) -> str:
        return f"n_types={self.weight.shape[0]}, kernel={self.kernel}"


class Spatiotemporal(CellType):
    """Causal temporal convolution per cell type, bias and ReLU (Murray et al. 2021)."""

    name = "spatiotemporal"
    description = "causal temporal filter per type + bias + ReLU (Murray et al. 2021)"
    Params = SpatiotemporalParams

    @classmethod
    def build(cls, n_types: int, params: BaseModel, *, frames: int) -> nn.Module:
        assert isinstance(params, SpatiotemporalParams)
        return CausalTemporalFilter(n_types, params.temporal_kernel)
