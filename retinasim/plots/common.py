"""Shared plotting helpers: axes from an optional ``ax``, labels from attrs. The plots draw
on pyplot figures and never choose a backend (the application's choice)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def axis_label(array: xr.DataArray | xr.Variable, fallback: str = "") -> str:
    """``"long_name [units]"`` from an array's attrs (``[units]`` left out when absent)."""
    name = array.attrs.get("long_name") or fallback or getattr(array, "name", "") or ""
    units = array.attrs.get("units")
    return f"{name} [{units}]" if units else str(name)


def axes(ax: Axes | None, *, polar: bool = False) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new figure with one axes (polar if asked)."""
    if ax is not None:
        # ax.figure is a SubFigure for an axes of a subfigure; it draws like a Figure
        return ax.figure, ax  # type: ignore[return-value]
    figure = plt.figure(figsize=(5, 4))
    return figure, figure.add_subplot(projection="polar" if polar else None)


def cell_types(
    data: xr.Dataset | xr.DataArray, chosen: Iterable[Hashable] | None
) -> list[Hashable]:
    """Cell-type labels to draw: ``chosen`` or every one in ``data``."""
    if "cell_type" not in data.dims:
        return [None]
    return list(data.cell_type.values) if chosen is None else list(chosen)


def pick(array: xr.DataArray, cell_type: Hashable) -> xr.DataArray:
    """``array`` at ``cell_type`` (unchanged when ``None`` or without that dimension)."""
    if cell_type is None or "cell_type" not in array.dims:
        return array
    return array.sel(cell_type=cell_type)
