"""What each cell type does (:func:`cell_type_summary`): direction selectivity, speed threshold,
and the decision it serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
import xarray as xr

from retinasim.dissect.behaviour import DIRECTIONS
from retinasim.dissect.lesions import CRITICAL_THRESHOLD, critical_mask
from retinasim.task import task_generator

if TYPE_CHECKING:
    from retinasim.circuit import Circuit
    from retinasim.plugins import StimulusParams


def direction_selectivity(
    circuit: Circuit, *, widths: Sequence[float] | None = None, **options: Any
) -> xr.Dataset:
    """Single-unit direction selectivity of every cell type, as a physiologist measures it:
    :func:`~retinasim.dissect.direction_protocol` (``options`` go to it; its Dataset is
    returned) with bars and noise of the task's dots' luminance on its background
    (:func:`bar_luminance`) and bar ``widths`` of 4, 10 and 20 pixels at a 255-pixel input by
    default, scaled to the input and at least 1 (at 255, 10 is a task dot's diameter).
    """
    from retinasim.dissect.direction import direction_protocol

    spec = circuit.spec
    size = min(spec.input.size)
    if widths is None:
        widths = sorted({max(1.0, round(w * size / 255, 1)) for w in (4.0, 10.0, 20.0)})
    background, contrast = bar_luminance(task_generator(spec))
    options.setdefault("background", background)
    options.setdefault("contrast", contrast)
    return direction_protocol(circuit, widths=widths, **options)


def bar_luminance(task: StimulusParams) -> tuple[float, float]:
    """Background luminance and bar contrast that probe a circuit trained on ``task``: the
    dots' luminance on their background for a dots task; for a task of textures around a mean
    luminance (a plugin's, such as ``natural_drift``), a white bar on that mean; else a white
    bar on black."""
    if hasattr(task, "dot_luminance"):
        dots: Any = task  # a dots task (its own parameter model)
        background = float(dots.background_luminance)
        return background, float(dots.dot_luminance) - background
    background = float(getattr(task, "mean_luminance", 0.0))
    return background, 1.0 - background


@torch.no_grad()
def amplitude_by_s(
    circuit: Circuit, *, s_values: Sequence[float], alpha: float = 2.0, n: int = 16
) -> xr.DataArray:
    """Mean response ``(s, cell_type)`` (cell types of all layers; activity averaged over
    space, trials and frames) to the task's dots at each slow speed (pixels/frame)."""
    spec, names = circuit.spec, circuit.type_names
    coords = {
        "cell_type": [name for lay in names for name in names[lay]],
        "layer": ("cell_type", [lay for lay in names for _ in names[lay]]),
    }
    circuit.eval()
    rows = []
    for s in s_values:
        generator = task_generator(spec, alpha=alpha).model_copy(update={"s": float(s)})
        video = generator.generate(range(n), seed=spec.training.stimulus_seeds.test).video
        parts = []
        for start in range(0, len(video), 16):
            activity = circuit.run(video[start : start + 16]).activity
            parts.append(torch.cat([activity[lay].mean((3, 4)) for lay in names], 1))
        dims = ("trial", "cell_type", "frame")
        space_mean = xr.DataArray(torch.cat(parts).numpy(), dims=dims, coords=coords)
        rows.append(space_mean.mean(("trial", "frame")))
    array = xr.concat(rows, dim="s").assign_coords(s=list(s_values))
    array["s"].attrs.update(long_name="slow speed s", units="pixels/frame")
    return array.assign_attrs(long_name="mean response amplitude", units="a.u.")


def response_threshold(amplitude: xr.DataArray, *, fraction: float = 0.2) -> xr.DataArray:
    """Per cell type, the smallest ``s`` where the amplitude has risen by ``fraction`` of its
    range over the ``s`` grid above its value at the lowest ``s`` (NaN: never rises)."""
    values = amplitude.transpose("s", "cell_type").values
    s = amplitude["s"].values
    rise = values - values[0]
    span = rise.max(0)
    out = np.where(span > 1e-9, s[np.argmax(rise >= fraction * span, axis=0)], np.nan)
    return xr.DataArray(out, dims="cell_type", coords={"cell_type": amplitude["cell_type"]})


def cell_type_summary(
    tuning: xr.Dataset,
    amplitude: xr.DataArray,
    scan: xr.Dataset,
    *,
    critical_threshold: float = CRITICAL_THRESHOLD,
    ds_threshold: float = 0.3,
    preferred_velocity: dict[str, float] | None = None,
) -> pd.DataFrame:
    """One row per cell type: selectivity, threshold in s, lesion effect and role.

    Columns: ``layer``, ``dsi``, ``preferred_direction_deg``, ``direction_selective``
    (DSI ≥ ``ds_threshold``), ``threshold_s`` (pixels/frame), ``peak_amplitude``,
    ``lesioned_accuracy``, ``accuracy_drop``, ``lesioned_accuracy_left`` / ``_right``,
    ``critical`` (:func:`~retinasim.dissect.lesions.critical_mask`) and ``critical_for`` (the
    fast directions for which the same rule holds, direction by direction), and ``deepvis_velocity``
    (pixels/frame): the velocity of the best optimised moving pattern
    (:mod:`retinasim.dissect.moving_pattern`) where ``preferred_velocity`` gives one.
    """
    names = list(scan["cell_type"].values)
    threshold = response_threshold(amplitude)
    table = pd.DataFrame(index=pd.Index(names, name="cell_type"))
    table["layer"] = scan["layer"].values
    table["dsi"] = tuning["dsi"].sel(cell_type=names).values
    table["preferred_direction_deg"] = tuning["preferred_direction_deg"].sel(cell_type=names).values
    table["direction_selective"] = table["dsi"] >= ds_threshold
    table["threshold_s"] = threshold.sel(cell_type=names).values
    table["peak_amplitude"] = amplitude.max("s").sel(cell_type=names).values
    table["lesioned_accuracy"] = scan["accuracy"].values
    table["accuracy_drop"] = scan["accuracy_drop"].values
    roles = []
    for k, direction in enumerate(DIRECTIONS):
        lesioned = scan["accuracy_by_fast_direction"].values[:, k]
        table[f"lesioned_accuracy_{direction}"] = lesioned
        intact = scan.attrs[f"intact_accuracy_{direction}"]
        roles.append(critical_mask(lesioned, intact, threshold=critical_threshold))
    table["critical"] = critical_mask(
        scan["accuracy"].values, scan.attrs["intact_accuracy"], threshold=critical_threshold
    )
    table["critical_for"] = [
        "+".join(d for d, hit in zip(DIRECTIONS, flags, strict=True) if hit)
        for flags in zip(*roles, strict=True)
    ]
    table.loc[~table["critical"], "critical_for"] = ""
    table["deepvis_velocity"] = [(preferred_velocity or {}).get(n, np.nan) for n in names]
    return table


def sentences(table: pd.DataFrame, intact_accuracy: float) -> list[str]:
    """One plain-language sentence per critical cell type."""
    out = []
    for name, row in table[table["critical"]].iterrows():
        selective = (
            f"direction selective (DSI {row.dsi:.2f}, preferring "
            f"{_direction_word(row.preferred_direction_deg)})"
            if row.direction_selective
            else f"not direction selective to bars (DSI {row.dsi:.2f})"
        )
        threshold = (
            f"responds to the dots from s ≈ {row.threshold_s:.2f} pixels/frame"
            if np.isfinite(row.threshold_s)
            else "its response does not rise with s"
        )
        role = row.critical_for or "both directions"
        motion = ""
        if np.isfinite(row.get("deepvis_velocity", np.nan)):
            velocity = row.deepvis_velocity
            motion = (
                f"; its deep visualization moves {motion_word(velocity)} "
                f"({velocity:+.1f} pixels/frame)"
            )
        out.append(
            f"{name} ({row.layer}): lesioning it drops accuracy from {intact_accuracy:.2f} to "
            f"{row.lesioned_accuracy:.2f}, mostly on '{role}' decisions; it is {selective} "
            f"and {threshold}{motion}."
        )
    return out


def motion_word(velocity: float) -> str:
    """ "rightward", "leftward" or "not at all" for a horizontal velocity (+x: rightward)."""
    if not np.isfinite(velocity) or velocity == 0:
        return "not at all"
    return "rightward" if velocity > 0 else "leftward"


def _direction_word(degrees: float) -> str:
    angle = float(degrees) % 360
    if angle < 45 or angle >= 315:
        return f"rightward motion, {angle:.0f}°"
    if 135 <= angle < 225:
        return f"leftward motion, {angle:.0f}°"
    return f"{angle:.0f}°"
