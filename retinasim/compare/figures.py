"""The comparison's figures from its Dataset (``comparison.nc``): one function per figure
(:data:`DRAW`), saved as the PNGs of :data:`FILES`; a colour per circuit, a reference black.
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.projections.polar import PolarAxes

from retinasim.compare import population
from retinasim.figures.style import new_figure, save_figure

SUMMARY = {
    "accuracy_alpha_2": "accuracy (α = 2)",
    "n_critical": "critical ganglion types",
    "ds_emergence": "DS emergence rate",
    "sufficient_ds_pair": "opposite DS pair explaining the decision",
    "opposite_preferences": "opposite-preference rate",
    "sufficient_types": "ganglion types explaining the decision",
}
RATES = ("ds_emergence", "sufficient_ds_pair", "opposite_preferences")
FILES = {
    "summary": "comparison.png",
    "critical": "comparison_critical.png",
    "directions": "comparison_directions.png",
    "accuracy": "comparison_accuracy.png",
    "redundancy": "comparison_redundancy.png",
}


def colours(ds: xr.Dataset) -> dict[str, str]:
    """Circuit → colour: tab10 in order, black for a reference model."""
    tab10 = itertools.cycle(matplotlib.color_sequences["tab10"])
    pairs = zip(ds["circuit"].values, ds["reference"].values, strict=True)
    return {str(c): "black" if ref else matplotlib.colors.to_hex(next(tab10)) for c, ref in pairs}


def legend_label(label: object) -> str:
    """``label`` as matplotlib shows it in a legend (it hides labels that start with ``_``;
    a zero-width space in front keeps a circuit ``_draft.yaml`` in the legend)."""
    text = str(label)
    return "\u200b" + text if text.startswith("_") else text


def _measure(ds: xr.Dataset, column: str) -> xr.DataArray:
    """A summary measure ``(circuit, seed)``, NaN where the run did not complete."""
    if column == "accuracy_alpha_2":
        values = ds["accuracy"].sel(alpha=2.0)
    else:
        values = ds[column].astype(float)
    return values.where(ds["completed"])


def _seed_dots(ax: Any, values: xr.DataArray, ms: float) -> None:
    """A black dot per seed of ``values`` ``(circuit, seed)``, at x = the circuit's index."""
    for x, circuit in enumerate(values["circuit"].values):
        seeds = values.sel(circuit=circuit).values
        ax.plot([x] * len(seeds), seeds, "k.", ms=ms)


def summary_figure(ds: xr.Dataset) -> Figure:
    """Bars (mean ± sd over seeds) and dots (seeds) of the six summary measures."""
    circuits = [str(c) for c in ds["circuit"].values]
    figure, axes = new_figure(3.0 * len(SUMMARY), 3.4, ncols=len(SUMMARY))
    for ax, (column, title) in zip(axes, SUMMARY.items(), strict=True):
        values = _measure(ds, column)
        mean, sd = values.mean("seed").values, values.std("seed", ddof=1).fillna(0).values
        ax.bar(range(len(circuits)), mean, yerr=sd, capsize=3, color="0.7")
        _seed_dots(ax, values, ms=4)
        ax.set_xticks(range(len(circuits)), circuits, rotation=45, ha="right", fontsize=7)
        ax.set_title(textwrap.fill(title, 24))
        if column in RATES:
            ax.set_ylim(-0.02, 1.02)
    axes[0].set_ylabel("seeds (dots), mean ± sd (bars)")
    return figure


def critical_histogram(ds: xr.Dataset) -> Figure:
    """Seeds with 0, 1, 2 ... critical ganglion types, grouped bars per circuit."""
    counts = population.critical_counts(ds)
    palette, circuits = colours(ds), [str(c) for c in ds["circuit"].values]
    figure, ax = new_figure(5.0, 3.4)
    width = 0.8 / max(len(circuits), 1)
    x = counts["n_critical"].values
    for k, circuit in enumerate(circuits):
        ax.bar(
            x + (k - (len(circuits) - 1) / 2) * width,
            counts.sel(circuit=circuit).values,
            width=width,
            color=palette[circuit],
            label=legend_label(circuit),
        )
    ax.set_xticks(x)
    ax.set_xlabel("critical ganglion types per seed [count]")
    ax.set_ylabel("seeds [count]")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Critical ganglion types per seed")
    ax.legend(fontsize="small")
    return figure


def direction_polar(ds: xr.Dataset) -> Figure:
    """Every critical ganglion type of every seed: preferred direction (angle, 0° rightward)
    against DSI (radius); filled markers are DS (DSI ≥ the threshold), a reference's stars."""
    palette = colours(ds)
    threshold = float(ds.attrs.get("dsi_threshold", 0.3))
    figure, ax = new_figure(5.0, 5.6, subplot_kw={"projection": "polar"})
    assert isinstance(ax, PolarAxes)
    for circuit, reference in zip(ds["circuit"].values, ds["reference"].values, strict=True):
        one = ds.sel(circuit=circuit)
        critical = (one["critical"] & one["completed"]).values
        angle = np.deg2rad(one["preferred_direction_deg"].values[critical])
        dsi = one["dsi"].values[critical]
        keep = np.isfinite(angle) & np.isfinite(dsi)
        angle, dsi = angle[keep], dsi[keep]
        colour = palette[str(circuit)]
        marker, size = ("*", 90) if reference else ("o", 28)
        selective = dsi >= threshold
        label = f"{circuit} ({keep.sum()} critical types)"
        style: dict[str, Any] = {"s": size, "marker": marker, "alpha": 0.8}
        ax.scatter(
            angle[selective], dsi[selective], color=colour, label=legend_label(label), **style
        )
        ax.scatter(
            angle[~selective], dsi[~selective], facecolors="none", edgecolors=colour, **style
        )
    ax.set_ylim(0, 1.08)
    ax.set_rticks([0.2, 0.4, 0.6, 0.8, 1.0])
    labels = ["0° right", "45°", "90° up", "135°", "180° left", "225°", "270°", "315°"]
    ax.set_thetagrids(range(0, 360, 45), labels)
    ax.set_rlabel_position(112.5)
    ax.set_title("Critical ganglion types\npreferred direction (angle), DSI (radius)")
    ax.legend(
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        title=f"filled: DSI ≥ {threshold:g}, open: below",
        title_fontsize="small",
    )
    return figure


def accuracy_figure(ds: xr.Dataset) -> Figure:
    """Held-out accuracy against α: mean over seeds (line) and min–max band per circuit."""
    band, palette = population.accuracy_band(ds), colours(ds)
    alpha = ds["alpha"].values
    figure, ax = new_figure(5.0, 3.4)
    for circuit in ds["circuit"].values:
        colour = palette[str(circuit)]
        one = band.sel(circuit=circuit)
        ax.plot(alpha, one["mean"].values, marker="o", color=colour, label=legend_label(circuit))
        ax.fill_between(alpha, one["min"].values, one["max"].values, color=colour, alpha=0.2)
    ax.axhline(0.5, color="0.5", lw=0.8, ls="--", label="chance")
    ax.set_xlabel("speed ratio α (fast / slow dots) [1]")
    ax.set_ylabel("held-out accuracy [fraction correct]")
    ax.set_ylim(0.4, 1.02)
    ax.set_title("Accuracy over α: mean and min–max over seeds")
    ax.legend(fontsize="small")
    return figure


def redundancy_figure(ds: xr.Dataset) -> Figure:
    """Redundancy per circuit: every seed (dots), mean (bar) and range (error bar)."""
    summary, palette = population.redundancy(ds), colours(ds)
    circuits = [str(c) for c in ds["circuit"].values]
    values = ds["redundancy"].where(ds["completed"])
    figure, ax = new_figure(max(4.0, 1.2 + 0.9 * len(circuits)), 3.6)
    x = np.arange(len(circuits))
    mean = summary["mean"].values
    spread = np.nan_to_num([mean - summary["min"].values, summary["max"].values - mean])
    ax.bar(x, mean, yerr=spread, capsize=3, color=[palette[c] for c in circuits], alpha=0.5)
    _seed_dots(ax, values, ms=5)
    ax.set_xticks(x, circuits, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("redundant types [fraction]")
    ax.set_title("Redundancy: ganglion types whose\nlesion costs < 1 accuracy point")
    return figure


DRAW = {
    "summary": summary_figure,
    "critical": critical_histogram,
    "directions": direction_polar,
    "accuracy": accuracy_figure,
    "redundancy": redundancy_figure,
}


def write_figures(ds: xr.Dataset, folder: str | Path) -> dict[str, str]:
    """Draw every figure of ``ds`` into ``folder``; figure key → file name (none when no
    run completed)."""
    if not bool(ds["completed"].any()):
        return {}
    for key, draw in DRAW.items():
        save_figure(draw(ds), folder, FILES[key].removesuffix(".png"), formats=("png",))
    return dict(FILES)
