"""The atlas figure of :func:`retinasim.dissect.build_atlas`, in the style of Baden et al.
(2016, Fig. 2): one row per cluster of a layer."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from retinasim.recording.errors import AnalysisError


def plot_atlas(atlas: xr.Dataset, layer: str) -> Figure:
    """One row per cluster of ``layer`` (silent cluster last): the cluster's mean chirp
    response with a ± spread band (normalised; the chirp's luminance on top), its bar
    tuning as a polar plot (the mean over each direction's bins of the cluster's mean bar
    features, negative parts at 0; the arrow the DS members' mean preferred direction when
    any member is DS) and its size, prevalence, polarity, DS fraction and reference types.
    """
    chosen = np.flatnonzero(atlas["cluster_layer"].values == layer)
    if not len(chosen):
        raise AnalysisError(f"the atlas has no clusters of layer {layer!r}")
    ids = atlas["cluster_id"].values[chosen]
    order = chosen[np.argsort(np.where(ids < 0, np.inf, ids), kind="stable")]
    chirp = atlas["stimulus"].values == "chirp"
    time_s = atlas["time_s"].values[chirp]
    directions = np.asarray(atlas["direction"].values, dtype=np.float64)
    bar_direction = atlas["direction_deg"].values
    figure = plt.figure(figsize=(11, 1.0 + 1.15 * (len(order) + 1)))
    grid = figure.add_gridspec(len(order) + 1, 3, width_ratios=(6, 1.4, 2.6), hspace=0.35)
    top = figure.add_subplot(grid[0, 0])
    top.plot(time_s, _chirp_luminance(atlas), color="black", linewidth=0.8)
    top.set_ylabel("light", fontsize="small")
    top.set_title(f"{layer}: functional clusters ({int(atlas.attrs.get('n_runs', 0))} runs)")
    top.tick_params(labelbottom=False)
    for row, index in enumerate(order, start=1):
        cluster = atlas.isel(layer_cluster=index)
        mean, spread = cluster["cluster_mean"].values, cluster["cluster_spread"].values
        ax = figure.add_subplot(grid[row, 0], sharex=top)
        ax.fill_between(time_s, (mean - spread)[chirp], (mean + spread)[chirp], alpha=0.3)
        ax.plot(time_s, mean[chirp], linewidth=0.8)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel(_label(cluster), fontsize="small")
        if row < len(order):
            ax.tick_params(labelbottom=False)
        else:
            ax.set_xlabel("time [s]")
        tuning = np.array([mean[bar_direction == d].mean() for d in directions])
        polar = figure.add_subplot(grid[row, 1], projection="polar")
        _polar(polar, directions, np.maximum(tuning, 0.0), cluster)
        text = figure.add_subplot(grid[row, 2])
        text.axis("off")
        text.text(0, 0.5, _summary(cluster), va="center", fontsize="small", family="monospace")
    return figure


def _chirp_luminance(atlas: xr.Dataset) -> np.ndarray:
    """The chirp's luminance at each chirp bin's first frame (the battery's default chirp)."""
    from retinasim.stimuli import Chirp

    rate = float(atlas.attrs.get("frame_rate_hz", 30.0))
    luminance = Chirp(height=1, width=1, frame_rate_hz=rate).luminance()
    frames = atlas["frame"].values[atlas["stimulus"].values == "chirp"]
    return luminance[np.clip(frames, 0, len(luminance) - 1)]


def _label(cluster: xr.Dataset) -> str:
    number = int(cluster["cluster_id"])
    return "silent" if number < 0 else f"C{number}"


def _polar(ax, directions: np.ndarray, tuning: np.ndarray, cluster: xr.Dataset) -> None:
    radians = np.deg2rad(np.append(directions, directions[0]))
    ax.plot(radians, np.append(tuning, tuning[0]), linewidth=0.9)
    preferred = float(cluster["cluster_preferred_direction_deg"])
    if np.isfinite(preferred) and tuning.max() > 0:
        ax.annotate(
            "",
            xy=(np.deg2rad(preferred), tuning.max()),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "->", "color": "crimson"},
        )
    ax.set_ylim(0, max(float(tuning.max()), 1e-9))
    ax.set_xticks(np.deg2rad(directions))
    ax.set_xticklabels([])
    ax.set_yticklabels([])


def _summary(cluster: xr.Dataset) -> str:
    prevalence = float(cluster["prevalence"])
    lines = [
        f"n = {int(cluster['cluster_size'])} types, in {prevalence:.0%} of runs",
        f"polarity {cluster['cluster_polarity'].item() or '-'}",
        f"DS {float(cluster['ds_fraction']):.0%}"
        + (
            f", pref {float(cluster['cluster_preferred_direction_deg']):.0f}°"
            if np.isfinite(float(cluster["cluster_preferred_direction_deg"]))
            else ""
        ),
    ]
    if int(cluster["reference_size"]):
        lines.append(f"reference types: {int(cluster['reference_size'])}")
    if "cluster_mechanism" in cluster and cluster["cluster_mechanism"].item():
        lines.append(f"mechanism {cluster['cluster_mechanism'].item()}")
    return "\n".join(lines)
