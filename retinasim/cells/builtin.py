"""The built-in cell types, registered through the same hook as third-party plugins.

This module never imports torch: a cell type's name, description and ``Params`` model are
all that validating a circuit needs, so ``retinasim validate`` and
:func:`retinasim.spec.load_circuit` stay torch-free. The torch module
(:class:`retinasim.cells.spatiotemporal.SpatiotemporalCell`) is named by ``module`` and
imported when a circuit is compiled.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from retinasim.plugins.cell_type import CellParams, CellType
from retinasim.plugins.hookspecs import cell_types_hook


class SpatiotemporalParams(CellParams):
    """Parameters of the ``spatiotemporal`` cell type."""

    temporal_kernel: Annotated[int, Field(strict=True, ge=1, le=1000)] = 31
    """Length of the causal temporal filter in frames (the paper's code: 31)."""


class Spatiotemporal(CellType):
    """Causal temporal convolution per cell type, bias and ReLU (Murray et al. 2021)."""

    name = "spatiotemporal"
    description = "causal temporal filter per type + bias + ReLU (Murray et al. 2021)"
    Params = SpatiotemporalParams
    module = "retinasim.cells.spatiotemporal:SpatiotemporalCell"


retinasim_cell_types = cell_types_hook(Spatiotemporal)
"""The cell types that ship with retinasim (the ``retinasim_cell_types`` hook)."""
