"""The ``adaptive`` cell type: causal temporal filter, bias, ReLU, then divisive adaptation.

::

    response[b, c, t] = relu(bias[c] + sum_k weight[c, k] * drive[b, c, t - k])
    history[b, c, t]  = sum_{u < t} (1 - rho[c]) * rho[c] ** (t - u - 1) * response[b, c, u]
    activity[b, c, t] = response[b, c, t] / (1 + gain[c] * history[b, c, t])

``history`` is a leaky running average of the type's *past* responses (strictly before ``t``,
so the cell stays causal), with time constant ``tau[c]`` frames (``rho = exp(-1 / tau)``). A
strongly or recently driven cell divides its output down: gain control. ``gain`` and ``tau``
are learnt per type on a log scale (always positive). The running average is one batched
product with a ``(types, time, time)`` lower-triangular (Toeplitz) matrix: no loop over time.

The temporal filter lives in the submodule ``filter`` (``weight``, ``bias``); a ``nonnegative``
layer clamps its ``weight`` only (:meth:`DivisiveAdaptation.nonnegative_parameters`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from retinasim_adaptive import AdaptiveParams


def exponential_history(rho: torch.Tensor, frames: int) -> torch.Tensor:
    """Matrices of a leaky average of strictly past frames.

    Parameters
    ----------
    rho
        ``(n_types,)`` decay per frame, in (0, 1).
    frames
        Number of frames ``T``.

    Returns
    -------
    torch.Tensor
        ``(n_types, T, T)``: entry ``[c, t, u] = (1 - rho[c]) * rho[c] ** (t - u - 1)`` for
        ``u < t``, 0 elsewhere.
    """
    t = torch.arange(frames, device=rho.device)
    lag = (t[:, None] - t[None, :] - 1).to(rho.dtype)
    past = lag >= 0
    powers = torch.exp(lag.clamp_min(0)[None] * torch.log(rho)[:, None, None])
    return (1 - rho)[:, None, None] * powers * past.to(rho.dtype)


class _TemporalFilter(nn.Module):
    """Causal temporal filter per type plus bias (no rectifier)."""

    def __init__(self, n_types: int, kernel: int):
        super().__init__()
        self.kernel = kernel
        bound = 1.0 / kernel**0.5
        self.weight = nn.Parameter(torch.empty(n_types, kernel).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_types).uniform_(-bound, bound))

    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        taps = self.weight.flip(1).to(drive.dtype)[:, None, :, None, None]
        padded = F.pad(drive, (0, 0, 0, 0, self.kernel - 1, 0))
        filtered = F.conv3d(padded, taps, groups=drive.shape[1])
        return filtered + self.bias.to(drive.dtype)[None, :, None, None, None]


class DivisiveAdaptation(nn.Module):
    """Causal filter, bias, ReLU and divisive gain control (see the module docstring).

    Shapes: drive ``(batch, n_types, time, y, x)`` → activity, same shape.
    """

    def __init__(self, n_types: int, params: AdaptiveParams):
        super().__init__()
        self.n_types = n_types
        self.filter = _TemporalFilter(n_types, params.temporal_kernel)
        learn = params.learn_adaptation
        self.log_gain = nn.Parameter(
            torch.full((n_types,), math.log(params.gain)), requires_grad=learn
        )
        self.log_time_constant = nn.Parameter(
            torch.full((n_types,), math.log(params.time_constant)), requires_grad=learn
        )

    @property
    def gain(self) -> torch.Tensor:
        """Per-type adaptation strength, ``(n_types,)``."""
        return self.log_gain.exp()

    @property
    def time_constant(self) -> torch.Tensor:
        """Per-type time constant of the running average in frames, ``(n_types,)``."""
        return self.log_time_constant.exp()

    def nonnegative_parameters(self) -> Iterator[nn.Parameter]:
        """A ``nonnegative`` layer clamps the temporal filter's weights only."""
        yield self.filter.weight

    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        response = torch.relu(self.filter(drive))
        rho = torch.exp(-1.0 / self.time_constant).to(drive.dtype)
        history = torch.einsum(
            "ctu,bcuyx->bctyx", exponential_history(rho, drive.shape[2]), response
        )
        gain = self.gain.to(drive.dtype)[None, :, None, None, None]
        return response / (1.0 + gain * history)

    def extra_repr(self) -> str:
        return f"n_types={self.n_types}, temporal_kernel={self.filter.kernel}"
