"""A retinasim cell type with adaptation (divisive gain control).

Registered through the ``retinasim`` entry-point group as ``cell_type: adaptive``.
"""

from __future__ import annotations

from retinasim.plugins import hookimpl
from retinasim_adaptive.definition import Adaptive, AdaptiveParams

__version__ = "0.1.0"
__all__ = [
    "Adaptive",
    "AdaptiveParams",
    "DivisiveAdaptation",
    "exponential_history",
    "retinasim_cell_types",
]

_TORCH_NAMES = ("DivisiveAdaptation", "exponential_history")
"""Names from the torch module :mod:`retinasim_adaptive.cell`, imported on first use so
that loading the plugin (and validating a circuit) does not import torch."""


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        from retinasim_adaptive import cell

        return getattr(cell, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def retinasim_cell_types() -> list[type]:
    """The cell types of this plugin (the ``retinasim_cell_types`` hook)."""
    return [Adaptive]
