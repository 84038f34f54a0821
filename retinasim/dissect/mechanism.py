"""How each direction-selective type computes direction: voltage clamp in silico.

For every type the direction protocol (:func:`~retinasim.dissect.direction_protocol`) finds
direction selective, :func:`direction_mechanism` records the currents of every connection into
its layer, split by source type, at its centre unit, for bars centred on its receptive field
moving in its preferred and its null direction; compares excitation, inhibition and each
source type's contribution between the two directions with the protocol's DSI; and classifies
the mechanism (definitions and thresholds in docs/dissection.md, "Mechanism").
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import xarray as xr

from retinasim.analysis.direction import direction_indices
from retinasim.recording import Probe, record
from retinasim.recording.errors import AnalysisError
from retinasim.stimuli import CentredBars, StimulusBatch

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

log = logging.getLogger(__name__)

MOTIONS = ("preferred", "null")
CLASSES = ("null_inhibition", "preferred_excitation", "both", "timing", "intrinsic")
THRESHOLD = 0.1
"""|DSI| of a current from which it counts as direction selective (docs/dissection.md)."""
MIN_SHARE = 0.05
"""Fraction of a type's input (peak magnitudes) below which a current is not considered."""


@dataclass(frozen=True)
class Target:
    """One direction-selective type: its name, layer, index, path centre ``(x, y)`` (pixels),
    RF radius (pixels) and preferred direction (degrees; the null is its opposite)."""

    name: str
    layer: str
    index: int
    centre: tuple[float, float]
    radius: float
    preferred: float


def direction_selective_types(tuning: xr.Dataset) -> list[str]:
    """The types of a protocol result ``tuning`` that are direction selective by its own rule:
    a centre-unit DSI at the preferred condition ≥ its ``ds_threshold`` (0.3)."""
    threshold = float(tuning.attrs.get("ds_threshold", 0.3))
    dsi = np.nan_to_num(tuning["dsi"].values, nan=-1.0)
    names = tuning["cell_type"].values
    return [str(n) for n, value in zip(names, dsi, strict=True) if value >= threshold]


def signed_dsi(preferred: np.ndarray, null: np.ndarray) -> np.ndarray:
    """``(pref − null) / (pref + null)`` of non-negative magnitudes ``(...)``: the protocol's
    DSI (:func:`~retinasim.analysis.direction_indices` of the curve over the two opposite
    directions), negative where the null direction's is larger (NaN where both are 0)."""
    curve = np.stack([preferred, null], -1)
    index = direction_indices(curve, np.array([0.0, 180.0]))
    sign = np.where(np.isclose(index["preferred_direction_deg"], 180.0), -1.0, 1.0)
    return index["dsi"] * sign


def direction_mechanism(
    circuit: Circuit,
    tuning: xr.Dataset,
    *,
    threshold: float = THRESHOLD,
    min_share: float = MIN_SHARE,
    frame_budget: int = 800,
) -> xr.Dataset:
    """The mechanism of every direction-selective type of a protocol result ``tuning``.

    Parameters
    ----------
    circuit
        The compiled circuit ``tuning`` was measured on (eval mode).
    tuning
        :func:`~retinasim.dissect.direction_protocol`'s Dataset: the DS types, their RF
        centres, preferred direction, speed and width, the measured conditions and the bars'
        contrast, background and tail.
    threshold, min_share
        A current is direction selective when its signed DSI passes ±``threshold``, and
        counts only when it carries at least ``min_share`` of the type's input.
    frame_budget
        Frames per forward pass (batch × frames), for memory.

    Returns
    -------
    xarray.Dataset
        Over ``cell_type`` (the DS types; none: length 0), ``source_type``, ``speed``,
        ``width`` and ``motion`` (preferred, null): the variables of :data:`LABELS`; the
        settings and ``seconds`` in attrs.
    """
    began = time.perf_counter()
    circuit.eval()
    targets = ds_targets(circuit, tuning)
    speeds = [float(s) for s in tuning["speed"].values]
    widths = [float(w) for w in tuning["width"].values]
    measured = np.isfinite(tuning["tuning"].values).all(-1)[0] if targets else None
    parts: dict[tuple[int, int], dict[str, Any]] = {}
    for i, speed in enumerate(speeds):
        for j, width in enumerate(widths):
            if measured is not None and measured[i, j]:
                parts[i, j] = measure_currents(circuit, tuning, targets, speed, width, frame_budget)
    settings = {
        "threshold": float(threshold),
        "min_share": float(min_share),
        "ds_threshold": float(tuning.attrs.get("ds_threshold", 0.3)),
        "seconds": time.perf_counter() - began,
    }
    result = _dataset(tuning, targets, speeds, widths, parts, settings)
    log.info("mechanism: %d DS types, %.1f s", len(targets), settings["seconds"])
    return result


def ds_targets(circuit: Circuit, tuning: xr.Dataset) -> list[Target]:
    """The DS types with their path centre and preferred direction: the direction of the
    largest evoked response at the preferred speed and width (the classic DSI's)."""
    out = []
    layers = set(circuit.layer_names)
    for name in direction_selective_types(tuning):
        row = tuning.sel(cell_type=name)
        layer = str(row["layer"].values)
        if layer not in layers:
            raise AnalysisError(f"tuning type {name!r}: layer {layer!r} is not in the circuit")
        curve = row["tuning"].sel(speed=row["preferred_speed"], width=row["preferred_width"])
        preferred = float(curve["direction"].values[int(np.nanargmax(curve.values))])
        centre = float(np.round(row["rf_x"])), float(np.round(row["rf_y"]))
        out.append(
            Target(name, layer, int(row["type_index"]), centre, float(row["rf_radius"]), preferred)
        )
    return out


def pair_videos(
    circuit: Circuit, tuning: xr.Dataset, targets: list[Target], speed: float, width: float
) -> StimulusBatch:
    """Bars centred on each target's RF (rounded to a pixel), moving in its preferred then its
    null direction, then one blank video: ``2 · len(targets) + 1`` luminance videos of one
    length (the protocol's path: RF radius + half the bar width + 1 pixel on either side of
    the centre, then its ``tail_frames``)."""
    height, width_px = (int(n) for n in circuit.plan.input_size)
    half = [math.ceil(t.radius + width / 2 + 1) for t in targets]
    frames = math.ceil(2 * max(half) / speed) + 1 + int(tuning.attrs["tail_frames"])
    background = float(tuning.attrs["background_luminance"])
    videos = []
    for target, reach in zip(targets, half, strict=True):
        bars = CentredBars(
            height=height,
            width=width_px,
            frames=frames,
            directions_deg=(target.preferred, (target.preferred + 180.0) % 360.0),
            centres_xy=(target.centre,),
            half_paths=(float(reach),),
            speeds=(speed,),
            widths=(width,),
            contrasts=(float(tuning.attrs["contrast"]),),
            background_luminance=background,
        )
        videos.append(bars.generate(range(2), seed=0).video)
    videos.append(torch.full((1, 1, frames, height, width_px), background))
    video = torch.cat(videos)
    return StimulusBatch(
        video=video,
        metadata={"index": np.arange(len(video))},
        attrs={"kind": "centred_bars", "background_luminance": background},
    )


def measure_currents(
    circuit: Circuit,
    tuning: xr.Dataset,
    targets: list[Target],
    speed: float,
    width: float,
    frame_budget: int = 800,
) -> dict[str, Any]:
    """Evoked currents at each target's centre unit for :func:`pair_videos`: ``currents``
    ``name -> (motion, source_type, frame)`` (bar minus blank, bias entries dropped: the
    bias is the same in both), ``sources`` ``name -> DataArray of source_type coords`` and
    ``response`` ``name -> (motion,)`` (evoked activity summed over frames, a.u. × frames)."""
    batch = pair_videos(circuit, tuning, targets, speed, width)
    probes: list[Probe] = []
    for layer in dict.fromkeys(t.layer for t in targets):
        types = tuple(t.index for t in targets if t.layer == layer)
        probes.append(Probe(layer, cell_types=types))
        for connection in circuit.plan.connections:
            if connection.target == layer:
                probes.append(
                    Probe(layer, cell_types=types, source=connection.source, by_source=True)
                )
    tree = record(circuit, batch, probes, batch_size=max(1, frame_budget // batch.frames))
    blank = len(batch) - 1
    out: dict[str, Any] = {"currents": {}, "sources": {}, "response": {}}
    for k, target in enumerate(targets):
        group = tree[target.layer].to_dataset()
        trials = [2 * k, 2 * k + 1, blank]
        names = [p.variable for p in probes if p.layer == target.layer and p.source is not None]
        stack = np.stack([group[n].sel(cell_type=target.name).values for n in names])
        current = np.nansum(stack, 0)[trials].astype(np.float64)  # (trial, source, frame)
        keep = group["source_type_index"].values >= 0
        out["currents"][target.name] = (current[:2] - current[2:])[:, keep]
        out["sources"][target.name] = group["source_type"][keep]
        activity = group[f"{target.layer}_centre"].sel(cell_type=target.name).values[trials]
        out["response"][target.name] = (activity[:2] - activity[2:]).astype(np.float64).sum(-1)
    return out


def judge(
    excitation: np.ndarray,
    inhibition: np.ndarray,
    sources: np.ndarray,
    drive: np.ndarray | None = None,
    *,
    threshold: float = THRESHOLD,
    min_share: float = MIN_SHARE,
) -> dict[str, np.ndarray]:
    """Signed DSIs, shares and the class of peak magnitudes ``excitation``, ``inhibition``
    ``(..., motion)``, ``sources`` ``(..., motion, source_type)`` (NaN: no such source) and
    the net ``drive``'s depolarising peak ``(..., motion)`` (None: as excitation − inhibition
    peaks, which cannot see timing).

    Returns ``excitation_dsi``, ``inhibition_dsi``, ``drive_dsi`` ``(...)``, ``source_dsi``,
    ``source_share`` ``(..., source_type)`` and ``mechanism`` ``(...)``, an index into
    :data:`CLASSES`: excitation selective (DSI ≥ ``threshold``) and/or inhibition selective
    (DSI ≤ −``threshold``: stronger in the null direction), each counted only when its share
    of the input ((pref + null) / (excitation + inhibition), peaks) is ≥ ``min_share``; else
    ``timing`` when the net drive is selective (DSI ≥ ``threshold``: currents the same in
    peak both ways sum to a direction-selective drive by their relative timing), else
    ``intrinsic``. A source's share is its peaks (pref + null) over all sources'.
    """
    if drive is None:
        drive = np.maximum(excitation - inhibition, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(excitation, -1) + np.nansum(inhibition, -1)
        exc_share = np.nansum(excitation, -1) / total
        inh_share = np.nansum(inhibition, -1) / total
        source_share = np.nansum(sources, -2) / np.nansum(sources, (-2, -1))[..., None]
        exc_dsi = signed_dsi(excitation[..., 0], excitation[..., 1])
        inh_dsi = signed_dsi(inhibition[..., 0], inhibition[..., 1])
        source_dsi = signed_dsi(sources[..., 0, :], sources[..., 1, :])
        drive_dsi = signed_dsi(drive[..., 0], drive[..., 1])
        exc_selective = (exc_share >= min_share) & (exc_dsi >= threshold)
        inh_selective = (inh_share >= min_share) & (inh_dsi <= -threshold)
    both = exc_selective & inh_selective
    neither = np.where(drive_dsi >= threshold, 3, 4)
    mechanism = np.where(both, 2, np.where(inh_selective, 0, np.where(exc_selective, 1, neither)))
    return {
        "excitation_dsi": exc_dsi,
        "inhibition_dsi": inh_dsi,
        "drive_dsi": drive_dsi,
        "source_dsi": np.where(np.isnan(source_share), np.nan, source_dsi),
        "source_share": source_share,
        "mechanism": mechanism,
    }


def carriers(
    mechanism: str,
    source_dsi: np.ndarray,
    source_share: np.ndarray,
    signs: np.ndarray,
    names: list[str],
    *,
    threshold: float = THRESHOLD,
    min_share: float = MIN_SHARE,
) -> str:
    """The source types that carry a type's ``mechanism`` ``(source_type,)``: the inhibitory
    ones whose DSI ≤ −``threshold`` (null inhibition) and the excitatory ones whose DSI ≥
    ``threshold`` (preferred excitation), with a share ≥ ``min_share``, by decreasing share,
    ``", "``-separated; where the class holds but no single source passes, every source of
    that sign with the share, joined by ``" + "`` (the selectivity is in their combination,
    as a Reichardt pair's); ``""`` for ``intrinsic``."""
    share = np.nan_to_num(source_share, nan=0.0)
    dsi = np.nan_to_num(source_dsi, nan=0.0)
    items: list[tuple[float, str]] = []
    wanted = {
        "null_inhibition": (-1,),
        "preferred_excitation": (1,),
        "both": (-1, 1),
        "timing": (1, -1),  # no source passes: the sources of each sign, joined
    }
    for sign in wanted.get(mechanism, ()):
        counted = (signs == sign) & (share >= min_share)
        passing = counted & (sign * dsi >= threshold)
        if passing.any():
            items += [(share[k], names[k]) for k in np.flatnonzero(passing)]
        elif counted.any():
            chosen = np.flatnonzero(counted)
            chosen = chosen[np.argsort(-share[chosen], kind="stable")]
            items.append((share[chosen].sum(), " + ".join(names[k] for k in chosen)))
    items.sort(key=lambda item: -item[0])
    return ", ".join(name for _, name in items)


LABELS = {
    "preferred_direction_deg": (
        ("cell_type",),
        "preferred direction: the protocol's largest evoked response at the preferred "
        "speed and width (the null: its opposite)",
        "degree",
    ),
    "preferred_speed": (("cell_type",), "the protocol's preferred bar speed", "pixels/frame"),
    "preferred_width": (("cell_type",), "the protocol's preferred bar width", "pixels"),
    "response": (
        ("cell_type", "speed", "width", "motion"),
        "evoked response of the centre unit: sum over time of (activity - blank)",
        "a.u. x frames",
    ),
    "excitation_peak": (
        ("cell_type", "speed", "width", "motion"),
        "peak |evoked current| from excitatory source types (summed)",
        "a.u.",
    ),
    "inhibition_peak": (
        ("cell_type", "speed", "width", "motion"),
        "peak |evoked current| from inhibitory source types (summed)",
        "a.u.",
    ),
    "drive_peak": (
        ("cell_type", "speed", "width", "motion"),
        "peak of the depolarising evoked drive (every source's current, summed, then > 0)",
        "a.u.",
    ),
    "excitation_charge": (
        ("cell_type", "speed", "width", "motion"),
        "evoked current from excitatory source types, summed over time",
        "a.u. x frames",
    ),
    "inhibition_charge": (
        ("cell_type", "speed", "width", "motion"),
        "evoked current from inhibitory source types, summed over time (<= 0: inhibition)",
        "a.u. x frames",
    ),
    "source_peak": (
        ("cell_type", "speed", "width", "motion", "source_type"),
        "peak |evoked current| from one source type",
        "a.u.",
    ),
    "source_charge": (
        ("cell_type", "speed", "width", "motion", "source_type"),
        "evoked current from one source type, summed over time (signed)",
        "a.u. x frames",
    ),
    "response_dsi": (
        ("cell_type",),
        "DSI of the evoked response on the type's own path (preferred condition)",
        "1",
    ),
    "excitation_dsi": (
        ("cell_type",),
        "signed DSI of the excitation peak (preferred condition)",
        "1",
    ),
    "inhibition_dsi": (
        ("cell_type",),
        "signed DSI of the inhibition peak (negative: stronger in the null direction)",
        "1",
    ),
    "drive_dsi": (
        ("cell_type",),
        "signed DSI of the net drive's depolarising peak (preferred condition)",
        "1",
    ),
    "source_dsi": (("cell_type", "source_type"), "signed DSI of each source's peak", "1"),
    "source_share": (
        ("cell_type", "source_type"),
        "each source's share of the input: its peaks (pref + null) over all peaks",
        "1",
    ),
    "mechanism": (
        ("cell_type",),
        "null_inhibition, preferred_excitation, both, timing or intrinsic (docs/dissection.md)",
        "",
    ),
    "carriers": (("cell_type",), "source types that carry the mechanism, by share", ""),
    "agreement": (
        ("cell_type",),
        "fraction of the measured speed x width conditions with the preferred one's class",
        "1",
    ),
}
"""Variable → dims, long name and units, in the Dataset's order."""


def _union_sources(parts: dict[tuple[int, int], dict[str, Any]]) -> xr.Dataset:
    """The source types of every measured target, in order of first appearance, with their
    ``source_layer``, ``source_type_index`` and ``source_sign``."""
    seen: dict[str, tuple[str, int, int]] = {}
    for part in parts.values():
        for coords in part["sources"].values():
            for name, layer, index, sign in zip(
                coords["source_type"].values,
                coords["source_layer"].values,
                coords["source_type_index"].values,
                coords["source_sign"].values,
                strict=True,
            ):
                seen.setdefault(str(name), (str(layer), int(index), int(sign)))
    names = list(seen)
    return xr.Dataset(
        coords={
            "source_type": np.array(names, dtype=object),
            "source_layer": ("source_type", np.array([seen[n][0] for n in names], dtype=object)),
            "source_type_index": ("source_type", np.array([seen[n][1] for n in names], int)),
            "source_sign": ("source_type", np.array([seen[n][2] for n in names], int)),
        }
    )


def _arrays(targets, speeds, widths, parts, sources: list[str], signs: np.ndarray) -> dict:
    """Peaks, charges and responses ``(cell_type, speed, width, motion[, source_type])``."""
    shape = (len(targets), len(speeds), len(widths), len(MOTIONS))
    names = ("response", "excitation_peak", "inhibition_peak", "drive_peak")
    out = {
        name: np.full(shape, np.nan) for name in (*names, "excitation_charge", "inhibition_charge")
    }
    out["source_peak"] = np.full((*shape, len(sources)), np.nan)
    out["source_charge"] = np.full((*shape, len(sources)), np.nan)
    for (i, j), part in parts.items():
        for t, target in enumerate(targets):
            current = part["currents"][target.name]  # (motion, source, frame)
            columns = [sources.index(str(n)) for n in part["sources"][target.name].values]
            out["source_peak"][t, i, j][:, columns] = np.abs(current).max(-1)
            out["source_charge"][t, i, j][:, columns] = current.sum(-1)
            for kind, sign in (("excitation", 1), ("inhibition", -1)):
                summed = current[:, signs[columns] == sign].sum(1)  # (motion, frame)
                out[f"{kind}_peak"][t, i, j] = np.abs(summed).max(-1)
                out[f"{kind}_charge"][t, i, j] = summed.sum(-1)
            net = current.sum(1)  # (motion, frame): the evoked drive, every source's sign
            out["drive_peak"][t, i, j] = np.maximum(net, 0.0).max(-1)
            out["response"][t, i, j] = part["response"][target.name]
    return out


def _dataset(tuning, targets, speeds, widths, parts, settings) -> xr.Dataset:
    """The labelled Dataset of :func:`direction_mechanism` (its Returns)."""
    threshold, min_share = settings["threshold"], settings["min_share"]
    source_coords = _union_sources(parts)
    sources = [str(n) for n in source_coords["source_type"].values]
    signs = source_coords["source_sign"].values
    values = _arrays(targets, speeds, widths, parts, sources, signs)
    verdict = judge(
        values["excitation_peak"],
        values["inhibition_peak"],
        values["source_peak"],
        values["drive_peak"],
        threshold=threshold,
        min_share=min_share,
    )  # per condition
    n = len(targets)
    best = [
        (
            speeds.index(float(tuning["preferred_speed"].sel(cell_type=t.name))),
            widths.index(float(tuning["preferred_width"].sel(cell_type=t.name))),
        )
        for t in targets
    ]
    at = (np.arange(n), *(np.array([b[k] for b in best], int) for k in (0, 1)))
    classes = verdict["mechanism"][at]
    measured = np.isfinite(values["response"]).all(-1)  # (cell_type, speed, width)
    same = (verdict["mechanism"] == classes[:, None, None]) & measured
    names = [CLASSES[k] for k in classes]
    values |= {
        "preferred_direction_deg": np.array([t.preferred for t in targets]),
        "preferred_speed": np.array([speeds[b[0]] for b in best]),
        "preferred_width": np.array([widths[b[1]] for b in best]),
        "response_dsi": signed_dsi(*np.moveaxis(np.maximum(values["response"][at], 0), -1, 0)),
        "excitation_dsi": verdict["excitation_dsi"][at],
        "inhibition_dsi": verdict["inhibition_dsi"][at],
        "drive_dsi": verdict["drive_dsi"][at],
        "source_dsi": verdict["source_dsi"][at].reshape(n, len(sources)),
        "source_share": verdict["source_share"][at].reshape(n, len(sources)),
        "mechanism": np.array(names, dtype=object),
        "agreement": same.sum((1, 2)) / np.maximum(measured.sum((1, 2)), 1),
    }
    values["carriers"] = np.array(
        [
            carriers(
                names[k],
                values["source_dsi"][k],
                values["source_share"][k],
                signs,
                sources,
                threshold=threshold,
                min_share=min_share,
            )
            for k in range(n)
        ],
        dtype=object,
    )
    coords = {
        "cell_type": np.array([t.name for t in targets], dtype=object),
        "layer": ("cell_type", np.array([t.layer for t in targets], dtype=object)),
        "type_index": ("cell_type", np.array([t.index for t in targets], int)),
        "speed": ("speed", speeds, {"long_name": "bar speed", "units": "pixels/frame"}),
        "width": ("width", widths, {"long_name": "bar width", "units": "pixels"}),
        "motion": ("motion", list(MOTIONS), {"long_name": "bar motion relative to the type"}),
        **source_coords.coords,
    }
    data = {
        name: xr.DataArray(
            values[name],
            dims=dims,
            attrs={"long_name": long, **({"units": units} if units else {})},
        )
        for name, (dims, long, units) in LABELS.items()
    }
    result = xr.Dataset(data, coords=coords)
    result.attrs = {
        "protocol": "currents per source type at the centre unit, bars centred on its receptive "
        "field in its preferred and null direction (minus a blank)",
        "measure": "peak |evoked current| (DSI and class); charge: sum over frames",
        **settings,
    }
    return result
