"""A per-frame 2-D convolution whose backward pass takes the fastest measured CPU routes.

The forward pass is ``torch.nn.functional.conv2d``. Two backward routes replace PyTorch's
where it is slow (``docs/performance.md``): the input gradient computed channels-last from the
start, and the weight gradient of the connection from the stimulus (a large map with few
channels, ~10× slower than the forward pass in PyTorch) as a *forward* convolution:
``dW[o, i, u, v] = sum_{n,y,x} g[n, o, y, x] * x_pad[n, i, s*y + u, s*x + v]`` convolves the
input with batch and channels swapped, ``(i, n, H, W)``, by the output gradient swapped
likewise, ``(o, n, Ho, Wo)``, dilated by the stride, in chunks of :data:`WEIGHT_GRAD_CHUNK`
frames.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

Pair = tuple[int, int]

WEIGHT_GRAD_CHUNK = 16
"""Frames per dilated convolution of the weight gradient (best of 8-64 measured)."""
CHANNEL_BLOCK = 16
"""Output channels oneDNN computes together with AVX-512 float32 (one 512-bit register)."""


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: Pair,
    padding: Pair,
    *,
    dilated_weight_grad: bool = False,
    channels_last_input_grad: bool = False,
) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, stride, padding)``, ``x (n, in, H, W)``, ``weight (out, in,
    kh, kw)``, ``bias (out,)`` → ``(n, out, Ho, Wo)``, with the weight gradient by
    :func:`weight_grad_dilated` and the input gradient by :func:`input_grad_channels_last`
    when asked."""
    if not (dilated_weight_grad or channels_last_input_grad):
        return F.conv2d(x, weight, bias, stride, padding)
    routes = (dilated_weight_grad, channels_last_input_grad)
    return _Conv2d.apply(x, weight, bias, stride, padding, routes)


def input_grad_channels_last(
    grad: torch.Tensor, weight: torch.Tensor, size: torch.Size, stride: Pair, padding: Pair
) -> torch.Tensor:
    """``dL/dx (n, in, H, W)``, contiguous, from ``grad (n, out, Ho, Wo)``.

    For a channels-first input oneDNN's backward computes the gradient channels-last and converts
    it twice; asking for channels-last from the start leaves one conversion (24.9 → 20.8 ms for
    murray2021's fused bipolar connections)."""
    layout = torch.empty(  # never written or read: it only chooses the layout
        size, dtype=grad.dtype, device=grad.device, memory_format=torch.channels_last
    )
    mask = (True, False, False)
    result = torch.ops.aten.convolution_backward(
        grad, layout, weight, None, stride, padding, (1, 1), False, (0, 0), 1, mask
    )
    return result[0].contiguous()


def row_split(kernel: Pair, stride: Pair, out_channels: int) -> int:
    """In how many row bands of ``stride`` rows to split the kernel (1: no split).

    oneDNN computes output channels in blocks of :data:`CHANNEL_BLOCK`; a kernel ``m`` strides
    tall is ``m`` kernels one stride tall whose gradients are the same dilated convolution with the
    output gradient shifted by ``0..m-1`` rows, and stacking them fills the block (murray2021:
    61 → 50 ms single-threaded per step)."""
    bands = kernel[0] // stride[0]
    if kernel[0] % stride[0] or bands < 2 or bands * out_channels > CHANNEL_BLOCK:
        return 1
    return bands


def weight_grad_dilated(
    x: torch.Tensor, grad: torch.Tensor, kernel: Pair, stride: Pair, padding: Pair
) -> torch.Tensor:
    """``dL/dweight (out, in, kh, kw)`` from ``x (n, in, H, W)`` and ``grad (n, out, Ho, Wo)``."""
    frames, out_channels, out_height, out_width = grad.shape
    bands = row_split(kernel, stride, out_channels)
    rows = stride[0] if bands > 1 else kernel[0]
    swapped = x.transpose(0, 1)
    stacked = grad.new_zeros(
        bands, out_channels, WEIGHT_GRAD_CHUNK, out_height + bands - 1, out_width
    )
    total = None
    for start in range(0, frames, WEIGHT_GRAD_CHUNK):
        chunk = grad[start : start + WEIGHT_GRAD_CHUNK].transpose(0, 1)
        if bands > 1:  # band a sees the gradient shifted down by a rows
            kernel_rows = stacked[:, :, : chunk.shape[1]]
            for band in range(bands):
                kernel_rows[band, :, :, band : band + out_height] = chunk
            chunk = kernel_rows.flatten(0, 1)
        part = F.conv2d(
            swapped[:, start : start + WEIGHT_GRAD_CHUNK], chunk, None, 1, padding, stride
        )
        total = part if total is None else total.add_(part)
    assert total is not None  # frames >= 1
    total = total[:, :, :rows, : kernel[1]]  # (in, bands * out, rows, kw)
    if bands > 1:
        total = total.unflatten(1, (bands, out_channels)).permute(0, 2, 1, 3, 4).flatten(2, 3)
    total = total.transpose(0, 1)
    # Canonical strides even where a size-1 dimension lets .contiguous() keep odd ones
    # (DistributedDataParallel compares a gradient's strides with its bucket's).
    return torch.empty(total.shape, dtype=total.dtype, device=total.device).copy_(total)


class _Conv2d(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,  # torch's context, which carries our own attributes (config)
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        stride: Pair,
        padding: Pair,
        routes: tuple[bool, bool],
    ) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.config = (stride, padding, bias is not None, *routes)
        return F.conv2d(x, weight, bias, stride, padding)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weight = ctx.saved_tensors
        stride, padding, has_bias, dilated, channels_last = ctx.config
        need_x, need_weight = ctx.needs_input_grad[:2]
        grad_x = grad_weight = grad_bias = None
        if need_x and channels_last:
            grad_x = input_grad_channels_last(grad, weight, x.shape, stride, padding)
        if need_weight and dilated:
            grad_weight = weight_grad_dilated(x, grad, weight.shape[2:], stride, padding)
        native = (need_x and not channels_last, need_weight and not dilated, False)
        if any(native):
            results = torch.ops.aten.convolution_backward(
                grad, x, weight, None, stride, padding, (1, 1), False, (0, 0), 1, native
            )
            grad_x = results[0] if native[0] else grad_x
            grad_weight = results[1] if native[1] else grad_weight
        if has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad.sum((0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None, None
