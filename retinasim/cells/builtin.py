"""The built-in cell types, registered through the same hook as third-party plugins.

Torch-free, so validating a circuit needs no torch: the layer module
(:class:`retinasim.cells.spatiotemporal.SpatiotemporalCell`) is imported when it is compiled.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

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
retinasim_cell_types = cell_types_hook(Spatiotemporal)
