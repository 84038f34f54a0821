"""Amplitude-against-parameter figures from :func:`retinasim.analysis.response_amplitude`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from retinasim.plots.common import axes, axis_label, cell_types, pick


def plot_amplitude(
    amplitude: xr.Dataset, *, cell_type: Sequence[Hashable] | None = None, ax: Axes | None = None
) -> Figure:
    """Mean response ± standard error of :func:`~retinasim.analysis.response_amplitude`
    against its grouping coordinate, one line per cell type (``cell_type``: default all)."""
    figure, ax = axes(ax)
    by = next(dim for dim in amplitude["mean"].dims if dim != "cell_type")
    coordinate = amplitude[by]
    positions = coordinate.values
    if positions.dtype == object:  # intervals of groupby_bins: draw at their midpoints
        positions = np.array([interval.mid for interval in positions])
    for name in cell_types(amplitude, cell_type):
        ax.errorbar(
            positions,
            pick(amplitude["mean"], name).values,
            yerr=pick(amplitude["sem"], name).values,
            marker="o",
            capsize=2,
            label=str(name),
        )
    ax.set_xlabel(axis_label(coordinate, str(by)))
    ax.set_ylabel(axis_label(amplitude["mean"]))
    ax.legend(fontsize="small")
    return figure
