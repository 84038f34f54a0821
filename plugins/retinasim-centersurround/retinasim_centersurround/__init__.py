"""A retinasim cell type with a difference-of-Gaussians (centre–surround) receptive field.

Registered through the ``retinasim`` entry-point group as ``cell_type: centersurround``.
"""

from __future__ import annotations

from retinasim.plugins import hookimpl
from retinasim_centersurround.definition import CenterSurround, CenterSurroundParams

__version__ = "0.1.0"
__all__ = [
    "CenterSurround",
    "CenterSurroundFilter",
    "CenterSurroundParams",
    "difference_of_gaussians",
    "retinasim_cell_types",
]

_TORCH_NAMES = ("CenterSurroundFilter", "difference_of_gaussians")
"""Names from the torch module :mod:`retinasim_centersurround.cell`, imported on first use so
that loading the plugin (and validating a circuit) does not import torch."""


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        from retinasim_centersurround import cell

        return getattr(cell, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def retinasim_cell_types() -> list[type]:
    """The cell types of this plugin (the ``retinasim_cell_types`` hook)."""
    return [CenterSurround]
