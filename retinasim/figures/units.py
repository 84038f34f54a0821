"""The paper's per-type figures 4–6 (:func:`kept_type`: a kept type's response amplitude
over ``s``, the ablated model's accuracy with it lesioned, its spatial kernels in and out
and its temporal kernel) and the Figure-7-like summary of bipolar–amacrine units."""

from __future__ import annotations

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from retinasim.figures.style import DIRECTION_COLOURS, STYLE

KEPT_COLOUR = "#ff7f0e"


def _kernel_image(ax: Axes, kernel: np.ndarray, title: str) -> None:
    """One kernel, its own symmetric colour scale (kernels of different connections differ
    in size by orders of magnitude)."""
    limit = float(np.abs(kernel).max()) or 1.0
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(title, fontsize=7)
    ax.set_xlabel("x (source pixels)", fontsize=6)
    ax.set_xticks([])
    ax.set_yticks([])


def kept_type(
    layer: str,
    name: str,
    *,
    amplitude: xr.DataArray,
    within: xr.DataArray,
    spatial: dict[str, xr.DataArray],
    temporal: dict[str, xr.DataArray],
    kept: dict[str, list[str]],
) -> Figure:
    """Figs. 4 / 5 / 6: the type ``name`` of ``layer`` that the ablated model keeps.

    ``amplitude``: mean response ``(s, cell_type)`` (``amplitude.nc``); ``within``: the
    ablated model's accuracy ``(lesion, s, fast_direction)`` (``lesions_within_ablated.nc``);
    ``spatial``, ``temporal``: :func:`retinasim.analysis.spatial_kernels` and
    :func:`~retinasim.analysis.temporal_kernels`; ``kept``: layer → names of the kept types
    (only the kernels between ``name`` and kept types are drawn).
    """
    kernels = []
    for key, kernel in spatial.items():
        source, target = key.split("->")
        if target == layer and name in kernel["target_type"].values:
            for other in kernel["source_type"].values:
                if source == "input" or str(other) in kept.get(source, []):
                    values = kernel.sel(target_type=name, source_type=other).values
                    kernels.append((f"{other} → {name}", values))
        if source == layer and name in kernel["source_type"].values:
            for other in kept.get(target, []):
                values = kernel.sel(target_type=other, source_type=name).values
                kernels.append((f"{name} → {other}", values))
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(9.0, 5.4), layout="constrained")
        (top,), (bottom,) = figure.subfigures(2, 1, squeeze=False, height_ratios=(1.4, 1.0))
        ax_amp, ax_lesion, ax_time = top.subplots(1, 3)
        in_layer = amplitude.where(amplitude["layer"] == layer, drop=True)
        for other in in_layer["cell_type"].values:
            chosen = str(other) == name
            ax_amp.plot(
                in_layer["s"],
                in_layer.sel(cell_type=other),
                "o-" if chosen else "-",
                ms=3,
                lw=2 if chosen else 0.8,
                color=KEPT_COLOUR if chosen else "#bbbbbb",
                label=name if chosen else None,
                zorder=3 if chosen else 1,
            )
        ax_amp.set_title(f"A  {layer} responses (full model)")
        ax_amp.set_xlabel("slow speed s (pixels/frame)")
        ax_amp.set_ylabel("mean response (a.u.)")
        ax_amp.legend(frameon=False)
        if name in within["lesion"].values:
            for direction in within["fast_direction"].values:
                colour = DIRECTION_COLOURS.get(str(direction))
                ax_lesion.plot(
                    within["s"],
                    within.sel(lesion="none", fast_direction=direction),
                    ":",
                    color=colour,
                    lw=1,
                )
                ax_lesion.plot(
                    within["s"],
                    within.sel(lesion=name, fast_direction=direction),
                    "o-",
                    ms=3,
                    color=colour,
                    label=f"F = {direction}",
                )
            ax_lesion.legend(frameon=False, title="dotted: not lesioned", title_fontsize=6)
        ax_lesion.axhline(0.5, color="grey", lw=0.8, ls="--")
        ax_lesion.set_ylim(-0.02, 1.02)
        ax_lesion.set_title(f"B  ablated model, {name} lesioned")
        ax_lesion.set_xlabel("slow speed s (pixels/frame)")
        ax_lesion.set_ylabel("accuracy (fraction correct)")
        if layer in temporal:
            kernel = temporal[layer].sel(cell_type=name)
            ax_time.plot(kernel["lag"], kernel, "o-", ms=3, color=KEPT_COLOUR)
            ax_time.axhline(0, color="grey", lw=0.6)
        ax_time.set_title(f"D  temporal kernel of {name}")
        ax_time.set_xlabel("lag (frames)")
        ax_time.set_ylabel("weight (a.u.)")
        if kernels:
            axes = np.atleast_1d(bottom.subplots(1, max(len(kernels), 3)))
            for ax, (title, values) in zip(axes, kernels, strict=False):
                _kernel_image(ax, values, title)
            for ax in axes[len(kernels) :]:
                ax.set_axis_off()
            bottom.suptitle(
                "C  spatial kernels between kept types (red +, blue −; each its own scale)",
                fontsize=8,
            )
        figure.suptitle(f"{name} ({layer}) in the ablated model")
    return figure


def units(data: xr.Dataset, kept: dict[str, list[str]] | None = None) -> Figure:
    """Fig. 7-like: bipolar–amacrine units and the range of ``s`` each covers.

    ``data`` is :func:`retinasim.dissect.units.bipolar_amacrine_units`; the units of the
    ablated model's kept input-layer types (``kept``, layer → names) are set in bold.
    """
    source, target = data.attrs["source_layer"], data.attrs["target_layer"]
    kept = kept or {}
    order = np.argsort(np.nan_to_num(data["threshold_s"].values, nan=np.inf), kind="stable")
    data = data.isel(source_type=order)
    sources = [str(s) for s in data["source_type"].values]
    labels = [f"{s} → {p}" for s, p in zip(sources, data["partner"].values, strict=True)]
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(9.0, 0.3 * len(sources) + 2.2), layout="constrained")
        ax_weight, ax_cover = figure.subplots(1, 2)
        image = ax_weight.imshow(data["weight"].values, cmap="Greys", aspect="auto")
        for row, partner in enumerate(data["partner"].values):
            column = list(data["target_type"].values).index(partner)
            ax_weight.plot(column, row, "o", color=KEPT_COLOUR, ms=4)
        ax_weight.set_xticks(range(data.sizes["target_type"]), data["target_type"].values)
        ax_weight.tick_params(axis="x", rotation=90)
        ax_weight.set_yticks(range(len(sources)), sources)
        ax_weight.set_xlabel(f"{target} type")
        ax_weight.set_ylabel(f"{source} type (by threshold)")
        ax_weight.set_title(f"A  {source} → {target} weights (dot: partner)")
        figure.colorbar(image, ax=ax_weight, shrink=0.8, label="summed |weight| (a.u.)")
        s = data["s"].values
        extent = (s[0], s[-1], len(sources) - 0.5, -0.5)
        cover = ax_cover.imshow(
            data["coverage"].values, aspect="auto", cmap="viridis", extent=extent, vmin=0, vmax=1
        )
        ax_cover.plot(data["threshold_s"].values, range(len(sources)), "w|", ms=10, mew=2)
        ax_cover.set_yticks(range(len(sources)), labels)
        for tick, name in zip(ax_cover.get_yticklabels(), sources, strict=True):
            if name in kept.get(source, []):
                tick.set_fontweight("bold")
        ax_cover.set_xlabel("slow speed s (pixels/frame)")
        ax_cover.set_title("B  units over s (|: threshold; bold: kept)")
        figure.colorbar(cover, ax=ax_cover, shrink=0.8, label=f"{source} response, scaled")
    return figure
