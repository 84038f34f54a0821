"""A retinasim cell type with a difference-of-Gaussians (centre–surround) receptive field.

Registered through the ``retinasim`` entry-point group as ``cell_type: centersurround``. This
module, which the entry point loads, imports no torch: retinasim validates circuit files
(``retinasim validate``, ``load_circuit``) with a cell type's ``Params`` only. The torch
module, :class:`retinasim_centersurround.cell.CenterSurroundFilter`, is named by
``CenterSurround.module`` and imported when a circuit is compiled.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from retinasim.plugins import CellParams, cell_type, cell_types_hook

__version__ = "0.1.0"
__all__ = ["CenterSurround", "CenterSurroundParams", "retinasim_cell_types"]


class CenterSurroundParams(CellParams):
    """Parameters of the ``centersurround`` cell type (``params:`` of a layer)."""

    kernel_size: Annotated[int, Field(strict=True, ge=1, le=63)] = 7
    """Side of the square DoG kernel in pixels of the layer; odd (same padding)."""
    center_sigma: Annotated[float, Field(gt=0)] = 0.75
    """Initial standard deviation of the centre Gaussian, in pixels."""
    surround_sigma: Annotated[float, Field(gt=0)] = 2.0
    """Initial standard deviation of the surround Gaussian, in pixels; larger than the centre."""
    center_strength: Annotated[float, Field(gt=0)] = 1.0
    """Initial weight of the centre Gaussian."""
    surround_strength: Annotated[float, Field(ge=0)] = 0.5
    """Initial weight of the surround Gaussian (subtracted); 0 gives a pure centre."""
    learn_receptive_field: bool = True
    """Learn the widths and strengths (else they stay at their initial values)."""
    temporal_kernel: Annotated[int, Field(strict=True, ge=1, le=1000)] = 31
    """Length of the causal temporal filter in frames."""

    @model_validator(mode="after")
    def _check(self) -> CenterSurroundParams:
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (same padding), got {self.kernel_size}")
        if self.surround_sigma <= self.center_sigma:
            raise ValueError(
                f"surround_sigma ({self.surround_sigma}) must be larger than center_sigma "
                f"({self.center_sigma})"
            )
        return self


CenterSurround = cell_type(
    "centersurround",
    CenterSurroundParams,
    module="retinasim_centersurround.cell:CenterSurroundFilter",
    description="learnable difference-of-Gaussians RF per type + causal temporal filter + ReLU",
)
retinasim_cell_types = cell_types_hook(CenterSurround)
