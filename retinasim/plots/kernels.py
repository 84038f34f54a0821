"""Kernel figures from :mod:`retinasim.analysis.kernels`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from retinasim.plots.common import axes, axis_label, cell_types, pick


def plot_kernel_grid(kernel: xr.DataArray, *, ax: Axes | None = None) -> Figure:
    """A connection's kernels ``(target_type, source_type, ky, kx)`` (one entry of
    :func:`~retinasim.analysis.spatial_kernels`) as one tiled image: rows = target types,
    columns = source types."""
    figure, ax = axes(ax)
    targets, sources, height, width = kernel.shape
    gap = 1
    mosaic = np.full((targets * (height + gap) - gap, sources * (width + gap) - gap), np.nan)
    values = kernel.transpose("target_type", "source_type", "ky", "kx").values
    for t in range(targets):
        for s in range(sources):
            row, column = t * (height + gap), s * (width + gap)
            mosaic[row : row + height, column : column + width] = values[t, s]
    limit = float(np.nanmax(np.abs(values))) or 1.0
    image = ax.imshow(mosaic, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_xticks([s * (width + gap) + (width - 1) / 2 for s in range(sources)])
    ax.set_xticklabels([str(v) for v in kernel.source_type.values], rotation=90)
    ax.set_yticks([t * (height + gap) + (height - 1) / 2 for t in range(targets)])
    ax.set_yticklabels([str(v) for v in kernel.target_type.values])
    ax.set_xlabel(f"{axis_label(kernel.source_type)} (tiles of {axis_label(kernel.kx)})")
    ax.set_ylabel(f"{axis_label(kernel.target_type)} (tiles of {axis_label(kernel.ky)})")
    ax.set_title(str(kernel.name or ""))
    figure.colorbar(image, ax=ax, label=axis_label(kernel))
    return figure


def plot_temporal_kernels(
    kernel: xr.DataArray, *, cell_type: Sequence[Hashable] | None = None, ax: Axes | None = None
) -> Figure:
    """Temporal filters ``(cell_type, lag)`` against lag (seconds when known), one line per
    cell type (``cell_type``: default all)."""
    figure, ax = axes(ax)
    lag = kernel.lag_s if "lag_s" in kernel.coords else kernel.lag
    for name in cell_types(kernel, cell_type):
        ax.plot(lag.values, pick(kernel, name).values, marker=".", label=str(name))
    ax.axhline(0.0, color="0.7", linewidth=0.8)
    ax.set_xlabel(axis_label(lag))
    ax.set_ylabel(axis_label(kernel))
    ax.legend(fontsize="small")
    return figure
