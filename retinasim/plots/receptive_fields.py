"""Receptive-field figures from :func:`retinasim.analysis.receptive_field`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from retinasim.plots.common import axes, axis_label, cell_types, pick
from retinasim.plots.kernels import plot_temporal_kernels


def plot_rf_map(
    rf: xr.Dataset, *, cell_type: Hashable | None = None, ax: Axes | None = None
) -> Figure:
    """Spatial profile of one cell type (default: the first) of
    :func:`~retinasim.analysis.receptive_field` as an image (diverging colours, 0 at the
    centre), with its centre marked."""
    figure, ax = axes(ax)
    name = cell_types(rf, None)[0] if cell_type is None else cell_type
    spatial = pick(rf.spatial, name)
    limit = float(np.nanmax(np.abs(spatial.values))) or 1.0
    x, y = spatial.pixel_x.values, spatial.pixel_y.values
    image = ax.imshow(
        spatial.values,
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        origin="upper",
        extent=(x[0] - 0.5, x[-1] + 0.5, y[-1] + 0.5, y[0] - 0.5),
    )
    ax.plot(float(pick(rf.centre_x, name)), float(pick(rf.centre_y, name)), "k+", markersize=12)
    ax.set_xlabel(axis_label(spatial.pixel_x))
    ax.set_ylabel(axis_label(spatial.pixel_y))
    ax.set_title(str(name) if name is not None else "receptive field")
    figure.colorbar(image, ax=ax, label=axis_label(rf.spatial))
    return figure


def plot_temporal_profile(
    rf: xr.Dataset, *, cell_type: Sequence[Hashable] | None = None, ax: Axes | None = None
) -> Figure:
    """Temporal profiles against lag (seconds when known), one line per cell type."""
    return plot_temporal_kernels(rf.temporal, cell_type=cell_type, ax=ax)


def plot_rf_mosaic(fields: xr.Dataset, *, row: str = "run", title: str | None = None) -> Figure:
    """Spatial profiles ``fields.spatial (row, cell_type, pixel_y, pixel_x)`` with their
    ``surround_index`` and ``surround_coverage`` (:func:`retinasim.dissect.map_receptive_fields`,
    concatenated): a column per cell type, a row per index along ``row`` (runs, seeds, ...),
    each scaled to its own peak, blank where the type had no field."""
    import matplotlib.pyplot as plt

    if row not in fields.dims:
        fields = fields.expand_dims({row: [""]})
    rows, columns = fields.sizes[row], fields.sizes["cell_type"]
    figure, grid = plt.subplots(
        rows, columns, figsize=(1.5 * columns, 1.6 * rows + 0.4), squeeze=False
    )
    for i in range(rows):
        for j in range(columns):
            ax = grid[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            one = fields.isel({row: i, "cell_type": j})
            spatial = one.spatial.values
            if np.isfinite(spatial).any():
                limit = float(np.nanmax(np.abs(spatial))) or 1.0
                ax.imshow(spatial, cmap="RdBu_r", vmin=-limit, vmax=limit)
                ax.set_xlabel(
                    f"S {float(one.surround_index):.2f} · {float(one.surround_coverage):.2f}",
                    fontsize="x-small",
                )
            if i == 0:
                ax.set_title(str(fields.cell_type.values[j]), fontsize="small")
            if j == 0:
                ax.set_ylabel(str(fields[row].values[i]), fontsize="small")
    figure.suptitle(
        title or "receptive fields (red: ON, blue: OFF; S = surround index · coverage)",
        fontsize="small",
    )
    figure.tight_layout()
    return figure
