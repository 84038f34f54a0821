"""The built-in cell types (a plugin like any other); the contract they implement lives in
:mod:`retinasim.plugins` and is re-exported here."""

from retinasim.plugins.cell_type import CellParams, CellType, nonnegative_parameters

__all__ = ["CellParams", "CellType", "nonnegative_parameters"]
