"""The built-in cell types, registered through the same hook as third-party plugins.

This module never imports torch: a cell type's name, description and ``Params`` model are
all that validating a circuit needs, so ``retinasim validate`` and
:func:`retinasim.spec.load_circuit` stay torch-free. :meth:`Spatiotemporal.build` imports
the torch module (:mod:`retinasim.cells.spatiotemporal`) when a circuit is compiled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field

from retinasim.plugins.cell_type import CellParams, CellType
from retinasim.plugins.hookspecs import hookimpl

if TYPE_CHECKING:
    from torch import nn


class SpatiotemporalParams(CellParams):
    """Parameters of the ``spatiotemporal`` cell type."""

    temporal_kernel: Annotated[int, Field(strict=True, ge=1, le=1000)] = 31
    """Length of the causal temporal filter in frames (the paper's code: 31)."""


class Spatiotemporal(CellType):
    """Causal temporal convolution per cell type, bias and ReLU (Murray et al. 2021)."""

    name = "spatiotemporal"
    description = "causal temporal filter per type + bias + ReLU (Murray et al. 2021)"
    Params = SpatiotemporalParams

    @classmethod
    def build(cls, n_types: int, params: BaseModel, *, frames: int) -> nn.Module:
        from retinasim.cells.spatiotemporal import CausalTemporalFilter

        assert isinstance(params, SpatiotemporalParams)
        return CausalTemporalFilter(n_types, params.temporal_kernel)


@hookimpl
def retinasim_cell_types() -> list[type]:
    """The cell types that ship with retinasim."""
    return [Spatiotemporal]
