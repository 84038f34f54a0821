"""The built-in cell types, registered through the same hook as third-party plugins.

Torch-free, so validating a circuit needs no torch: the layer modules
(:class:`retinasim.cells.spatiotemporal.SpatiotemporalCell`,
:class:`retinasim.cells.leaky.LeakyIntegratorCell`) are imported when a circuit is compiled.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from retinasim.plugins.cell_type import CellParams, cell_type
from retinasim.plugins.hookspecs import cell_types_hook


class SpatiotemporalParams(CellParams):
    """Parameters of the ``spatiotemporal`` cell type."""

    temporal_kernel: Annotated[int, Field(strict=True, ge=1, le=1000)] = 31
    """Length of the causal temporal filter in frames (the paper's code: 31)."""


Spatiotemporal = cell_type(
    "spatiotemporal",
    SpatiotemporalParams,
    module="retinasim.cells.spatiotemporal:SpatiotemporalCell",
    description="causal temporal filter per type + bias + ReLU (Murray et al. 2021)",
)

Seconds = Annotated[float, Field(strict=True, gt=0, le=3600)]


class LeakyIntegratorParams(CellParams):
    """Parameters of the ``leaky_integrator`` cell type: its time constant τ per type, in
    seconds (converted with the circuit's ``input.frame_rate``), learnable within
    ``[tau_min_s, tau_max_s]``."""

    tau_init_s: Seconds = 0.05
    """Initial time constant of every type, in seconds (flyvis: 50 ms)."""
    tau_min_s: Seconds = 0.005
    """Smallest time constant training can reach, in seconds."""
    tau_max_s: Seconds = 1.0
    """Largest time constant training can reach, in seconds."""

    @model_validator(mode="after")
    def _ordered(self) -> LeakyIntegratorParams:
        if not self.tau_min_s < self.tau_init_s < self.tau_max_s:
            raise ValueError(
                f"need tau_min_s < tau_init_s < tau_max_s, got {self.tau_min_s}, "
                f"{self.tau_init_s}, {self.tau_max_s}"
            )
        return self


LeakyIntegrator = cell_type(
    "leaky_integrator",
    LeakyIntegratorParams,
    module="retinasim.cells.leaky:LeakyIntegratorCell",
    description="leaky integrator per type, tau dV/dt = -V + drive + b, then ReLU (flyvis)",
)
retinasim_cell_types = cell_types_hook(Spatiotemporal, LeakyIntegrator)
