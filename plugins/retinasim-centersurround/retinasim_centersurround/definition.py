"""The ``centersurround`` cell type's definition: name, description, ``Params`` (torch-free).

retinasim validates circuit files (``retinasim validate``, ``load_circuit``) with the cell
types' ``Params`` models only, without importing torch; so this module, which the plugin's
entry point loads, imports no torch. :meth:`CenterSurround.build` imports the torch module
(:mod:`retinasim_centersurround.cell`) when a circuit is compiled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field, model_validator

from retinasim.cells import CellParams, CellType

if TYPE_CHECKING:
    from torch import nn


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


class CenterSurround(CellType):
    """Bipolar-like cell: learnable difference-of-Gaussians RF, causal filter, bias, ReLU."""

    name = "centersurround"
    description = "learnable difference-of-Gaussians RF per type + causal temporal filter + ReLU"
    Params = CenterSurroundParams

    @classmethod
    def build(cls, n_types: int, params: BaseModel, *, frames: int) -> nn.Module:
        from retinasim_centersurround.cell import CenterSurroundFilter

        assert isinstance(params, CenterSurroundParams)
        return CenterSurroundFilter(n_types, params)
