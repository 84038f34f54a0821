"""Cell types: the plugin contract and the built-in cell types."""

from retinasim.cells.base import CellParams, CellType, nonnegative_parameters

__all__ = ["CellParams", "CellType", "nonnegative_parameters"]
