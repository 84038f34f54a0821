"""A retinasim cell type with adaptation (divisive gain control).

Registered through the ``retinasim`` entry-point group as ``cell_type: adaptive``.
"""

from __future__ import annotations

from retinasim.plugins import hookimpl
from retinasim_adaptive.cell import (
    Adaptive,
    AdaptiveParams,
    DivisiveAdaptation,
    exponential_history,
)

__version__ = "0.1.0"
__all__ = [
    "Adaptive",
    "AdaptiveParams",
    "DivisiveAdaptation",
    "exponential_history",
    "retinasim_cell_types",
]


@hookimpl
def retinasim_cell_types() -> list[type]:
    """The cell types of this plugin (the ``retinasim_cell_types`` hook)."""
    return [Adaptive]
