"""Direction tuning figures from :func:`retinasim.analysis.direction_tuning`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import cast

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.projections.polar import PolarAxes
from matplotlib.ticker import MaxNLocator

from retinasim.plots.common import axes, axis_label, cell_types, pick


def plot_tuning_curve(
    tuning: xr.Dataset, *, cell_type: Sequence[Hashable] | None = None, ax: Axes | None = None
) -> Figure:
    """Response of :func:`~retinasim.analysis.direction_tuning` against direction, one line
    per cell type (``cell_type``: default all; legend: type and DSI)."""
    figure, ax = axes(ax)
    directions = tuning.direction.values
    for name in cell_types(tuning, cell_type):
        curve = pick(tuning.tuning, name).values
        dsi = float(pick(tuning.dsi, name))
        ax.plot(directions, curve, marker="o", label=f"{name or 'response'} (DSI {dsi:.2f})")
    ax.set_xlabel(axis_label(tuning.direction))
    ax.set_ylabel(axis_label(tuning.tuning))
    ax.set_xticks(directions)
    ax.legend(fontsize="small")
    return figure


def plot_polar_tuning(
    tuning: xr.Dataset, *, cell_type: Sequence[Hashable] | None = None, ax: Axes | None = None
) -> Figure:
    """Polar tuning curves (closed), with each type's vector-sum preferred direction.

    Angles follow the stimulus convention: 0° = rightward, counter-clockwise (90° = up).
    ``ax`` must be polar when given.
    """
    figure, ax = axes(ax, polar=True)
    radians = np.deg2rad(np.append(tuning.direction.values, tuning.direction.values[0]))
    for name in cell_types(tuning, cell_type):
        curve = pick(tuning.tuning, name).values
        (line,) = ax.plot(radians, np.append(curve, curve[0]), label=str(name or "response"))
        preferred = np.deg2rad(float(pick(tuning.preferred_direction_deg, name)))
        reach = float(pick(tuning.vector_dsi, name)) * float(np.nanmax(curve))
        ax.annotate(
            "",
            xy=(preferred, reach),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "->", "color": line.get_color()},
        )
    ax.yaxis.set_major_locator(MaxNLocator(3))
    cast(PolarAxes, ax).set_rlabel_position(22.5)  # polar: made so, or given so (see above)
    ax.set_xlabel(axis_label(tuning.direction))
    ax.set_ylabel(axis_label(tuning.tuning), labelpad=28)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.05, 1.0))
    return figure
