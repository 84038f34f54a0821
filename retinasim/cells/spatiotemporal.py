"""The paper's cell type: a causal temporal filter per type, a bias, then ReLU.

The filter runs as one batched matrix product with a banded (Toeplitz) ``(types, time, time)``
matrix, so every type of a layer runs in one operation. The product works directly on the
strides it is given: the compiled circuit hands over the drive in a *frames-major* layout
(physically ``(batch, time, types, y, x)``, the layout of its per-frame spatial convolutions)
and gets the activity back in the same layout, without a permuting copy in either direction.

The cell type itself (:class:`~retinasim.cells.builtin.Spatiotemporal`) is declared
torch-free in :mod:`retinasim.cells.builtin`, naming :class:`SpatiotemporalCell` as its module.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from retinasim.cells.builtin import SpatiotemporalParams

__all__ = ["CausalTemporalFilter", "SpatiotemporalCell", "causal_toeplitz", "filter_bias_relu"]


def causal_toeplitz(weight: torch.Tensor, frames: int) -> torch.Tensor:
    """Banded matrices of causal filters ``weight`` ``(n_types, kernel)`` (tap ``k`` weighs the
    frame ``k`` frames in the past) over ``frames`` frames: ``(n_types, frames, frames)`` with
    entry ``[c, t, u] = weight[c, t - u]`` for ``0 <= t - u < kernel`` and 0 elsewhere."""
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


_BLOCK_ROWS = 17
"""Rows per block of the banded product: 3 blocks for 51 frames skip 36% of the zeros."""
_BLOCKED_MIN_WIDTH = 1024
"""Below this many pixels per frame a product is too small to be worth splitting."""

Block = tuple[int, int, int]
"""``(first row, end row, first column)``: rows ``r0:r1`` of a causal band need only columns
``c0:r1`` with ``c0 = max(0, r0 - kernel + 1)``; the rest of the row block is zero."""


def _row_blocks(frames: int, kernel: int, width: int) -> list[Block]:
    """Row blocks of a ``frames × frames`` causal band of ``kernel`` taps (see :data:`Block`)."""
    count = 1 if width < _BLOCKED_MIN_WIDTH else max(1, min(4, round(frames / _BLOCK_ROWS)))
    edges = [round(i * frames / count) for i in range(count + 1)]
    return [(r0, r1, max(0, r0 - kernel + 1)) for r0, r1 in pairwise(edges)]


def _banded_product(
    matrix: torch.Tensor, series: torch.Tensor, out: torch.Tensor, blocks: list[Block]
) -> None:
    """``out[b] = matrix @ series[b]`` for every ``b``, skipping the band's zero blocks.

    ``matrix (types, T, T)``; ``series``, ``out`` ``(batch, types, T, s)`` on any strides.
    """
    for b in range(series.shape[0]):  # a loop over the batch, never over cell types
        for r0, r1, c0 in blocks:
            torch.bmm(matrix[:, r0:r1, c0:r1], series[b][:, c0:r1], out=out[b][:, r0:r1])


def _banded_transposed_product(
    matrix: torch.Tensor, grad: torch.Tensor, out: torch.Tensor, blocks: list[Block]
) -> None:
    """``out[b] = matrix.T @ grad[b]``: each row block adds into columns ``c0:r1``, written
    fresh where no later block has written yet (no zero-filling pass)."""
    transposed = matrix.transpose(1, 2)
    for b in range(grad.shape[0]):
        written_from = matrix.shape[1]
        for r0, r1, c0 in reversed(blocks):
            fresh_end = min(r1, written_from)
            if fresh_end > c0:
                torch.bmm(
                    transposed[:, c0:fresh_end, r0:r1],
                    grad[b][:, r0:r1],
                    out=out[b][:, c0:fresh_end],
                )
            if r1 > fresh_end:
                out[b][:, fresh_end:r1].baddbmm_(
                    transposed[:, fresh_end:r1, r0:r1], grad[b][:, r0:r1]
                )
            written_from = min(written_from, c0)


def _banded_outer(grad: torch.Tensor, series: torch.Tensor, blocks: list[Block]) -> torch.Tensor:
    """``sum_b grad[b] @ series[b].T`` on the band's non-zero blocks, ``(types, T, T)``."""
    types, frames = grad.shape[1:3]
    total = grad.new_zeros(types, frames, frames)
    for b in range(grad.shape[0]):
        for r0, r1, c0 in blocks:
            total[:, r0:r1, c0:r1].baddbmm_(grad[b][:, r0:r1], series[b][:, c0:r1].transpose(1, 2))
    return total


class _FilterBiasReLU(torch.autograd.Function):
    """``relu(matrix @ drive + bias)`` per type on any strides (:class:`CausalTemporalFilter`)."""

    @staticmethod
    def forward(
        ctx: Any,  # torch's context, which carries our own attributes (blocks)
        drive: torch.Tensor,
        matrix: torch.Tensor,
        bias: torch.Tensor,
        kernel: int,
    ) -> torch.Tensor:
        series = _as_series(drive)
        blocks = _row_blocks(series.shape[2], kernel, series.shape[3])
        out = _frames_major_like(series)
        _banded_product(matrix, series, out, blocks)
        out.add_(bias.view(1, -1, 1, 1)).relu_()
        ctx.save_for_backward(series, matrix, out)
        ctx.blocks = blocks
        return out.unflatten(3, drive.shape[3:])

    @staticmethod
    def backward(ctx: Any, grad_activity: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        series, matrix, out = ctx.saved_tensors
        grad = torch.ops.aten.threshold_backward(_as_series(grad_activity), out, 0)
        grad_drive = grad_matrix = grad_bias = None
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum((0, 2, 3))
        if ctx.needs_input_grad[1]:
            grad_matrix = _banded_outer(grad, series, ctx.blocks)
        if ctx.needs_input_grad[0]:
            grad_drive = _frames_major_like(grad)
            _banded_transposed_product(matrix, grad, grad_drive, ctx.blocks)
            grad_drive = grad_drive.unflatten(3, grad_activity.shape[3:])
        return grad_drive, grad_matrix, grad_bias, None


def filter_bias_relu(
    drive: torch.Tensor, matrix: torch.Tensor, bias: torch.Tensor, kernel: int
) -> torch.Tensor:
    """``relu(matrix @ drive + bias)`` per type: ``drive (batch, types, time, y, x)`` on any
    strides, ``matrix (types, time, time)`` causal and banded with ``kernel`` taps
    (:func:`causal_toeplitz`), ``bias (types,)``; the activity is stored frames-major."""
    out: torch.Tensor = _FilterBiasReLU.apply(drive, matrix, bias, kernel)
    return out


class CausalTemporalFilter(nn.Module):
    """One causal temporal filter per cell type, with bias, followed by ReLU.

    ``activity[b, c, t] = relu(bias[c] + sum_k weight[c, k] * drive[b, c, t - k])`` for drive
    ``(batch, n_types, time, y, x)``; frames before the first count as zero (the authors' left
    zero padding). One batched product with a banded ``(types, time, time)`` matrix on the
    drive's strides; the activity (and the drive's gradient) is stored frames-major,
    ``(batch, time, types, y, x)`` in memory, the layout of the circuit's spatial convolutions.
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

    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        matrix = causal_toeplitz(self.weight, drive.shape[2])
        return filter_bias_relu(drive, matrix, self.bias, self.kernel)

    def initial_state(
        self, batch: int, size: tuple[int, int], *, device: torch.device, dtype: torch.dtype
    ) -> tuple[torch.Tensor, ...]:
        """The stepped form's state at rest: the tap history, the drives of the last
        ``kernel - 1`` frames, most recent first; empty (frames before the first count as 0)."""
        return ()

    def step(
        self, drive: torch.Tensor, state: tuple[torch.Tensor, ...]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """One frame: activity ``(batch, n_types, y, x)`` from this frame's ``drive`` (same
        shape) and the tap history ``state`` (:meth:`initial_state`), and the next history.
        The same numbers as :meth:`forward` frame by frame, to float precision."""
        history = (drive, *state)[: self.kernel]
        weight = self.weight[:, : len(history)].transpose(0, 1)[..., None, None]
        activity = torch.addcmul(self.bias.view(1, -1, 1, 1), weight[0], drive)
        for tap, past in zip(weight[1:], history[1:], strict=True):  # no stacked copy to save
            activity = torch.addcmul(activity, tap, past)
        return activity.relu(), history[: self.kernel - 1]

    def extra_repr(self) -> str:
        return f"n_types={self.weight.shape[0]}, kernel={self.kernel}"


class SpatiotemporalCell(CausalTemporalFilter):
    """The ``spatiotemporal`` cell type's module: a :class:`CausalTemporalFilter` with the
    layer's ``temporal_kernel`` taps (built as ``SpatiotemporalCell(n_types, params)``)."""

    def __init__(self, n_types: int, params: SpatiotemporalParams) -> None:
        super().__init__(n_types, params.temporal_kernel)
