"""The built-in cell types, registered through the same hook as third-party plugins."""

from __future__ import annotations

from retinasim.cells.spatiotemporal import Spatiotemporal
from retinasim.plugins.hookspecs import hookimpl


@hookimpl
def retinasim_cell_types() -> list[type]:
    """The cell types that ship with retinasim."""
    return [Spatiotemporal]
