"""The paper's figures 3–6 from saved analysis results (:mod:`retinasim.dissect.pipeline`),
one function per panel, each a Matplotlib Figure with labelled axes and units."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from retinasim.figures.style import DIRECTION_COLOURS, MODEL_COLOURS, new_figure


def psychometric(full: xr.Dataset, ablated: xr.Dataset | None = None) -> Figure:
    """Fig. 3A: accuracy vs alpha, full and ablated model, chance and alpha = 1 marked."""
    figure, ax = new_figure()
    for label, data in (("full", full), ("ablated", ablated)):
        if data is not None:
            ax.plot(
                data["alpha"], data["accuracy"], "o-", ms=3, color=MODEL_COLOURS[label], label=label
            )
    ax.axhline(0.5, color="grey", lw=0.8, ls="--", label="chance")
    ax.axvline(1.0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("α = fast speed / slow speed (ratio)")
    ax.set_ylabel("accuracy (fraction correct)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Psychometric curve")
    ax.legend(frameon=False)
    return figure


def _by_direction(ax: Axes, accuracy: xr.DataArray) -> None:
    """Accuracy ``(s, fast_direction)`` against s, a line per fast direction."""
    for direction in accuracy["fast_direction"].values:
        ax.plot(
            accuracy["s"],
            accuracy.sel(fast_direction=direction),
            "o-",
            ms=3,
            color=DIRECTION_COLOURS.get(str(direction)),
            label=f"F = {direction}",
        )
    ax.set_xlabel("slow speed s (pixels/frame)")
    ax.set_ylim(-0.02, 1.02)


def accuracy_vs_s(accuracy: xr.DataArray, title: str = "Accuracy vs s") -> Figure:
    """Fig. 3B / 3D: accuracy ``(s, fast_direction)`` per fast direction."""
    figure, ax = new_figure()
    _by_direction(ax, accuracy)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_ylabel("accuracy (fraction correct)")
    ax.set_title(title)
    ax.legend(frameon=False)
    return figure


def lesion_bars(scan: xr.Dataset, threshold: float = 0.95) -> Figure:
    """Fig. 3C: accuracy with each cell type lesioned alone; the critical bar marked."""
    names = [str(n) for n in scan["cell_type"].values]
    figure, ax = new_figure(width=max(4.5, 0.22 * len(names) + 1.5))
    layers = [str(layer) for layer in scan["layer"].values]
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]
    palette = {layer: colours[i % 5] for i, layer in enumerate(dict.fromkeys(layers))}
    ax.bar(range(len(names)), scan["accuracy"], color=[palette[layer] for layer in layers])
    intact = scan.attrs["intact_accuracy"]
    ax.axhline(intact, color="black", lw=0.8, label=f"intact ({intact:.2f})")
    ax.axhline(
        threshold * intact,
        color="red",
        lw=0.8,
        ls="--",
        label=f"critical ({threshold:.0%} of intact)",
    )
    ax.set_xticks(range(len(names)), names, rotation=90)
    ax.set_xlabel("lesioned cell type")
    ax.set_ylabel("accuracy (fraction correct)")
    ax.set_ylim(0, 1.02)
    ax.set_title("Single-type lesions")
    ax.legend(frameon=False, loc="lower left")
    return figure


def _per_layer(
    curves: dict[str, xr.DataArray], x: str, labels: tuple[str, str], height: float, **style: Any
) -> Figure:
    """A panel per layer of ``curves`` (layer → ``(cell_type, x)``), a line per type;
    ``labels``: of the x and y axes."""
    figure, axes = new_figure(
        width=3.0 * len(curves), height=height, ncols=len(curves), squeeze=False
    )
    for ax, (layer, curve) in zip(axes[0], curves.items(), strict=True):
        for name in curve["cell_type"].values:
            ax.plot(curve[x], curve.sel(cell_type=name), label=str(name), **style)
        ax.set_title(layer)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.legend(frameon=False, fontsize=6)
    return figure


def amplitudes(amplitude: xr.DataArray) -> Figure:
    """Fig. 4A / 5A / 6A: mean response of every cell type vs s, one panel per layer."""
    layers = dict.fromkeys(str(layer) for layer in amplitude["layer"].values)
    curves = {layer: amplitude.where(amplitude["layer"] == layer, drop=True) for layer in layers}
    labels = ("slow speed s (pixels/frame)", "mean response (a.u.)")
    return _per_layer(curves, "s", labels, 3.0, marker="o", ms=2)


def lesions_within_ablated(effects: xr.DataArray) -> Figure:
    """Fig. 4B / 5B-C / 6B: accuracy of the ablated model vs s per fast direction, with one
    kept type lesioned per panel."""
    lesions = [str(x) for x in effects["lesion"].values]
    figure, axes = new_figure(
        width=2.8 * len(lesions), height=2.8, ncols=len(lesions), squeeze=False, sharey=True
    )
    for ax, lesion in zip(axes[0], lesions, strict=True):
        _by_direction(ax, effects.sel(lesion=lesion))
        ax.set_title("ablated model" if lesion == "none" else f"ablated, {lesion} lesioned")
    axes[0][0].set_ylabel("accuracy (fraction correct)")
    axes[0][0].legend(frameon=False)
    return figure


def temporal_kernels(kernels: dict[str, xr.DataArray]) -> Figure:
    """Fig. 4D / 6D: temporal filters of every type, one panel per layer."""
    return _per_layer(kernels, "lag", ("lag (frames)", "weight (a.u.)"), 2.8, lw=1)


def spatial_kernels(kernel: xr.DataArray, title: str) -> Figure:
    """Fig. 4C / 6C: spatial kernels of one connection, target types × source types."""
    values = kernel.transpose("target_type", "source_type", "ky", "kx").values
    targets, sources = values.shape[:2]
    figure, axes = new_figure(
        width=1.0 * sources + 1,
        height=1.0 * targets + 0.6,
        nrows=targets,
        ncols=sources,
        squeeze=False,
    )
    limit = float(np.abs(values).max()) or 1.0
    for i in range(targets):
        for j in range(sources):
            ax = axes[i][j]
            image = ax.imshow(values[i, j], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(str(kernel["target_type"].values[i]), fontsize=6)
            if i == targets - 1:
                ax.set_xlabel(str(kernel["source_type"].values[j]), fontsize=6)
    figure.colorbar(image, ax=axes, shrink=0.6, label="weight (a.u.), kernel in source pixels")
    figure.suptitle(title)
    return figure


def deepvis_xt(deepvis: xr.Dataset) -> Figure:
    """Fig. 5D-G: per target, the x–t slice of the freely optimised video (velocity and the
    decoder's reading in the title) and, when saved, the response to the optimised moving
    pattern at each velocity (its preferred velocity marked)."""
    targets = [str(t) for t in deepvis["target"].values]
    moving = "moving_response" in deepvis
    figure, axes = new_figure(
        width=3.6 * len(targets),
        height=6.0 if moving else 3.2,
        nrows=2 if moving else 1,
        ncols=len(targets),
        squeeze=False,
    )
    for column, target in enumerate(targets):
        ax = axes[0][column]
        panel = deepvis.sel(target=target)
        xt = panel["xt"].transpose("time", "x").values
        limit = float(np.abs(xt).max()) or 1.0
        image = ax.imshow(xt, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, origin="upper")
        columns = np.flatnonzero(np.abs(xt).max(0) > 0.01 * limit)
        if len(columns):  # zoom on the receptive field
            ax.set_xlim(max(columns[0] - 15, 0) - 0.5, min(columns[-1] + 15, xt.shape[1] - 1) + 0.5)
        decision = str(panel["class"].values[int(np.argmax(panel["decoder"].values))])
        ax.set_title(
            f"{target}\nv = {float(panel['velocity']):+.2f} px/frame, decoder → {decision}"
        )
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("time (frames)")
        figure.colorbar(image, ax=ax, shrink=0.8, label="weighted luminance (a.u.)")
        if moving:
            ax = axes[1][column]
            response = panel["moving_response"]
            velocity = response["pattern_velocity"].values
            ax.plot(velocity, response.values, "o-", ms=4, color="#222222")
            preferred = float(panel["preferred_velocity"])
            if np.isfinite(preferred):
                ax.axvline(preferred, color="#ff7f0e", lw=1.5, label=f"best {preferred:+.1f}")
                ax.legend(frameon=False)
            ax.axvline(0, color="grey", lw=0.6)
            title = "optimised moving pattern"
            if "moving_decoder" in panel:
                logits = panel["moving_decoder"].values
                title += f", decoder → {panel['class'].values[int(np.argmax(logits))]}"
            ax.set_title(title)
            ax.set_xlabel("pattern velocity (pixels/frame, + rightward)")
            ax.set_ylabel("mean response, last frame (a.u.)")
    return figure
