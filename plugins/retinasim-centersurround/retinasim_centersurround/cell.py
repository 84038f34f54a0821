"""The ``centersurround`` cell type: DoG spatial filter, causal temporal filter, bias, ReLU.

In retinasim, spatial convolutions between layers belong to the circuit's connections; a cell
type maps the summed drive ``(batch, n_types, time, y, x)`` to activity of the same shape. This
cell first filters each type's drive with its own difference of Gaussians (a depthwise spatial
convolution, same padding), then with a causal temporal filter per type, adds a bias and
rectifies::

    activity[b, c, t] = relu(bias[c] + sum_k weight[c, k] * (DoG_c * drive[b, c, t - k]))

    DoG_c = center_strength[c] * G(center_sigma[c]) - surround_strength[c] * G(surround_sigma[c])

with unit-sum Gaussians ``G`` on a ``kernel_size × kernel_size`` grid. Widths are learnt on a
log scale (always positive); the strengths are free (a ``nonnegative`` layer constrains only
the temporal ``weight``, see :meth:`CenterSurroundFilter.nonnegative_parameters`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from retinasim_centersurround import CenterSurroundParams


def difference_of_gaussians(
    center_sigma: torch.Tensor,
    surround_sigma: torch.Tensor,
    center_strength: torch.Tensor,
    surround_strength: torch.Tensor,
    size: int,
) -> torch.Tensor:
    """DoG kernels, one per type.

    Parameters
    ----------
    center_sigma, surround_sigma, center_strength, surround_strength
        ``(n_types,)`` widths (pixels) and weights of the two Gaussians.
    size
        Odd side of the kernel.

    Returns
    -------
    torch.Tensor
        ``(n_types, 1, size, size)``: ``center_strength · G(center_sigma) −
        surround_strength · G(surround_sigma)`` with unit-sum Gaussians ``G``.
    """
    r = torch.arange(size, dtype=center_sigma.dtype, device=center_sigma.device) - size // 2
    squared = (r[:, None] ** 2 + r[None, :] ** 2)[None]  # (1, size, size)

    def gaussian(sigma: torch.Tensor) -> torch.Tensor:
        g = torch.exp(-squared / (2 * sigma[:, None, None] ** 2))
        return g / g.sum((1, 2), keepdim=True)

    kernel = center_strength[:, None, None] * gaussian(center_sigma)
    kernel = kernel - surround_strength[:, None, None] * gaussian(surround_sigma)
    return kernel[:, None]


class CenterSurroundFilter(nn.Module):
    """Per-type DoG spatial filter, causal temporal filter, bias and ReLU.

    Shapes: drive ``(batch, n_types, time, y, x)`` → activity, same shape.
    """

    def __init__(self, n_types: int, params: CenterSurroundParams):
        super().__init__()
        self.n_types = n_types
        self.kernel_size = params.kernel_size
        self.temporal_kernel = params.temporal_kernel
        learn = params.learn_receptive_field

        def per_type(value: float) -> nn.Parameter:
            return nn.Parameter(torch.full((n_types,), float(value)), requires_grad=learn)

        self.log_center_sigma = per_type(math.log(params.center_sigma))
        self.log_surround_sigma = per_type(math.log(params.surround_sigma))
        self.center_strength = per_type(params.center_strength)
        self.surround_strength = per_type(params.surround_strength)
        bound = 1.0 / params.temporal_kernel**0.5
        self.weight = nn.Parameter(torch.empty(n_types, params.temporal_kernel))
        self.bias = nn.Parameter(torch.empty(n_types))
        with torch.no_grad():  # float32 on the CPU, so a seed gives the same filters anywhere
            for parameter in (self.weight, self.bias):
                parameter.copy_(torch.empty(parameter.shape).uniform_(-bound, bound))

    def spatial_kernel(self) -> torch.Tensor:
        """The current DoG kernels, ``(n_types, 1, kernel_size, kernel_size)``."""
        return difference_of_gaussians(
            self.log_center_sigma.exp(),
            self.log_surround_sigma.exp(),
            self.center_strength,
            self.surround_strength,
            self.kernel_size,
        )

    def nonnegative_parameters(self) -> Iterator[nn.Parameter]:
        """A ``nonnegative`` layer clamps the temporal filter only (the DoG needs its sign)."""
        yield self.weight

    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        batch, types, time, height, width = drive.shape
        frames = drive.transpose(1, 2).reshape(batch * time, types, height, width)
        spatial = F.conv2d(
            frames,
            self.spatial_kernel().to(drive.dtype),
            padding=self.kernel_size // 2,
            groups=types,
        )
        spatial = spatial.reshape(batch, time, types, height, width).transpose(1, 2)
        # causal temporal filter: tap k weighs the frame k frames back (zeros before frame 0)
        taps = self.weight.flip(1).to(drive.dtype)[:, None, :, None, None]
        padded = F.pad(spatial, (0, 0, 0, 0, self.temporal_kernel - 1, 0))
        filtered = F.conv3d(padded, taps, groups=types)
        return torch.relu(filtered + self.bias.to(drive.dtype)[None, :, None, None, None])

    def extra_repr(self) -> str:
        return (
            f"n_types={self.n_types}, kernel_size={self.kernel_size}, "
            f"temporal_kernel={self.temporal_kernel}"
        )
