"""A retinasim cell type with a difference-of-Gaussians (centre–surround) receptive field.

Registered through the ``retinasim`` entry-point group as ``cell_type: centersurround``.
"""

from __future__ import annotations

from retinasim.plugins import hookimpl
from retinasim_centersurround.cell import (
    CenterSurround,
    CenterSurroundFilter,
    CenterSurroundParams,
    difference_of_gaussians,
)

__version__ = "0.1.0"
__all__ = [
    "CenterSurround",
    "CenterSurroundFilter",
    "CenterSurroundParams",
    "difference_of_gaussians",
    "retinasim_cell_types",
]


@hookimpl
def retinasim_cell_types() -> list[type]:
    """The cell types of this plugin (the ``retinasim_cell_types`` hook)."""
    return [CenterSurround]
