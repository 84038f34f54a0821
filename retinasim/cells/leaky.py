"""The ``leaky_integrator`` cell type: ``τ dV/dt = −V + drive + b``, activity ``ReLU(V)``.

One membrane potential per cell, at rest (0) before the first frame, a learnable time
constant ``τ`` and bias ``b`` per type (Lappalainen et al. 2024). For a drive constant over
each frame of ``Δt = 1 / frame_rate`` seconds the discretisation is exact:
``V_t = a · V_{t−1} + (1 − a) · (drive_t + b)`` with ``a = exp(−Δt / τ)``. Over a whole
video it runs in bulk as the equivalent causal filter ``h_k = (1 − a) · a^k`` on every
frame (one banded product, :func:`~retinasim.cells.spatiotemporal.filter_bias_relu`); inside
a recurrent component it steps with ``V`` as its state; both give the same numbers to float
precision.

``τ`` is positive and bounded by construction: ``τ = τ_min + (τ_max − τ_min) · sigmoid(θ)``
with ``θ`` (``tau_logit``) the learnable parameter, starting at ``tau_init_s``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import nn

from retinasim.cells.spatiotemporal import causal_toeplitz, filter_bias_relu

if TYPE_CHECKING:
    from retinasim.cells.builtin import LeakyIntegratorParams

__all__ = ["LeakyIntegratorCell"]


class LeakyIntegratorCell(nn.Module):
    """The ``leaky_integrator`` module of a layer of ``n_types`` types (see the module
    docstring), built as ``LeakyIntegratorCell(n_types, params, frame_rate_hz=...)``.

    Parameters: ``tau_logit (n_types,)`` (``θ``) and ``bias (n_types,)``, which starts at 0.
    """

    def __init__(
        self, n_types: int, params: LeakyIntegratorParams, *, frame_rate_hz: float = 30.0
    ) -> None:
        super().__init__()
        if not frame_rate_hz > 0:
            raise ValueError(f"frame_rate_hz must be positive, got {frame_rate_hz}")
        self.frame_s = 1.0 / frame_rate_hz
        self.tau_min_s = params.tau_min_s
        self.tau_max_s = params.tau_max_s
        self.tau_init_s = params.tau_init_s
        self.tau_logit = nn.Parameter(torch.empty(n_types))
        self.bias = nn.Parameter(torch.empty(n_types))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every type at ``τ = tau_init_s``, bias 0 (deterministic: nothing is drawn)."""
        share = (self.tau_init_s - self.tau_min_s) / (self.tau_max_s - self.tau_min_s)
        with torch.no_grad():
            self.tau_logit.fill_(math.log(share / (1.0 - share)))
            self.bias.zero_()

    def tau_s(self) -> torch.Tensor:
        """The time constants ``(n_types,)`` in seconds, within ``[tau_min_s, tau_max_s]``."""
        span = self.tau_max_s - self.tau_min_s
        return self.tau_min_s + span * torch.sigmoid(self.tau_logit)

    def _ratio(self) -> torch.Tensor:
        """``-Δt / τ`` per type: ``a = exp`` of it."""
        return -self.frame_s / self.tau_s()

    def impulse_response(self, frames: int) -> torch.Tensor:
        """The filter ``h_k = (1 − a) a^k`` ``(n_types, frames)``, lags ``k = 0 .. frames − 1``."""
        ratio = self._ratio()
        lags = torch.arange(frames, device=ratio.device, dtype=ratio.dtype)
        return -torch.expm1(ratio)[:, None] * torch.exp(ratio[:, None] * lags)

    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        """Activity ``(batch, n_types, time, y, x)`` from drive of that shape, V at rest
        before the first frame: the causal filter :meth:`impulse_response` over all frames."""
        frames = drive.shape[2]
        kernel = self.impulse_response(frames)
        biased = drive + self.bias.view(1, -1, 1, 1, 1)
        zero = self.bias.new_zeros(self.bias.shape).detach()
        return filter_bias_relu(biased, causal_toeplitz(kernel, frames), zero, frames)

    def initial_state(
        self, batch: int, size: tuple[int, int], *, device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor:
        """``V`` at rest: zeros ``(batch, n_types, y, x)``."""
        return torch.zeros(batch, self.bias.shape[0], *size, device=device, dtype=dtype)

    def step(self, drive: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One frame: ``V_t = a V_{t−1} + (1 − a)(drive_t + b)``, activity ``ReLU(V_t)``
        ``(batch, n_types, y, x)``, and ``V_t`` as the next state."""
        ratio = self._ratio().view(1, -1, 1, 1)
        decay, gain = torch.exp(ratio), -torch.expm1(ratio)
        potential = decay * state + gain * (drive + self.bias.view(1, -1, 1, 1))
        return potential.relu(), potential

    def extra_repr(self) -> str:
        return (
            f"n_types={self.bias.shape[0]}, tau_s in [{self.tau_min_s}, {self.tau_max_s}], "
            f"frame_s={self.frame_s:.6g}"
        )
