"""An atlas of functional cell types across runs (Baden et al. 2016, Nature 529:345).

:func:`response_battery` describes every cell type of every layer of one circuit by its
responses to a fixed battery, the chirp and moving bars in 8 directions, as a normalised
feature vector, with its polarity, DSI and preferred direction. :func:`build_atlas` runs the
battery on the trained circuits of several run folders, clusters the types of each layer
with :func:`retinasim.analysis.fit_clusters` and summarises each cluster (mean response and
spread, size, prevalence across runs, polarity, direction selectivity); a reference model
(the authors') is placed into the clusters without taking part in the fit. Definitions and
thresholds: docs/atlas.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import xarray as xr

from retinasim.analysis.clustering import SILENT, fit_clusters
from retinasim.analysis.direction import direction_indices
from retinasim.analysis.labels import variable
from retinasim.recording import record
from retinasim.recording.errors import AnalysisError
from retinasim.run_folder import ANALYSIS
from retinasim.stimuli import Chirp, MovingBars, StimulusBatch
from retinasim.util.progress import Progress

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

log = logging.getLogger(__name__)

POLARITIES = ("ON", "OFF", "ON-OFF", "none")
"""The polarity classes, from the chirp's light step (see :func:`polarity`)."""
MECHANISM_FILE = Path(ANALYSIS) / "mechanism.nc"
"""Where a run folder keeps the mechanism of its direction-selective types (optional)."""


@dataclass(frozen=True)
class Battery:
    """The battery's settings: the bars' ``speed`` (pixels/frame) and ``width`` (pixels) in
    ``n_directions`` directions (even, from 0°), ``bin_frames`` frames averaged per feature,
    ``polarity_threshold`` (of the type's scale) for an ON or OFF response, ``ds_threshold``
    (DSI) for a direction-selective type, ``silent_fraction`` (of the circuit's largest
    scale in the layer) under which a type is silent."""

    speed: float = 2.0
    width: float = 10.0
    n_directions: int = 8
    bin_frames: int = 4
    polarity_threshold: float = 0.1
    ds_threshold: float = 0.3
    silent_fraction: float = 1e-3

    def check(self) -> None:
        """Raise :class:`AnalysisError` for settings out of range."""
        if self.n_directions < 2 or self.n_directions % 2:
            raise AnalysisError(f"n_directions must be even and >= 2, got {self.n_directions}")
        if not (self.speed > 0 and self.width > 0):
            raise AnalysisError(f"bar speed and width must be > 0, got {self.speed}, {self.width}")
        if self.bin_frames < 1:
            raise AnalysisError(f"bin_frames must be >= 1, got {self.bin_frames}")
        if not 0 <= self.silent_fraction < 1:
            raise AnalysisError(f"silent_fraction must lie in [0, 1), got {self.silent_fraction}")


def battery_stimuli(circuit: Circuit, battery: Battery) -> tuple[Chirp, MovingBars]:
    """The chirp (defaults, full-field) and the full-screen bars at the circuit's input size
    and frame rate; the bars last the circuit's input length, as ``retinasim tuning``'s."""
    height, width = (int(v) for v in circuit.plan.input_size)
    rate = float(circuit.spec.input.frame_rate) if circuit.spec is not None else 30.0
    chirp = Chirp(height=height, width=width, frame_rate_hz=rate)
    bars = MovingBars(
        height=height,
        width=width,
        frames=int(circuit.plan.frames),
        frame_rate_hz=rate,
        directions_deg=tuple(360.0 * k / battery.n_directions for k in range(battery.n_directions)),
        speeds=(battery.speed,),
        widths=(battery.width,),
    )
    return chirp, bars


def response_battery(
    circuit: Circuit, battery: Battery | None = None, *, progress: Progress | None = None
) -> xr.Dataset:
    """The battery responses of the centre unit of every cell type of every layer.

    Each type's centre unit (``LAYER:centre``) is recorded to the chirp and to the bars of
    :func:`battery_stimuli`, each minus its response to a blank video at the stimulus's
    background (the chirp's dark level; the bars' background): the *evoked* traces. The
    features are the chirp trace (``bin_frames``-frame means, the last bin shorter) followed
    by each direction's bar trace (binned alike), divided by the type's ``scale``, its
    largest absolute binned value (so the largest feature is ±1). A type whose scale is at
    most ``silent_fraction`` × the largest of its layer (or 0) is ``silent``: features all 0.

    Returns a dataset along ``cell_type`` (coords ``layer``, ``type_index``): ``features
    (cell_type, feature)`` (1; feature coords ``stimulus`` "chirp"/"bars", ``direction_deg``
    (NaN for the chirp), ``frame`` (first frame of the bin), ``time_s``), ``scale`` (a.u.),
    ``silent``, ``on_response``, ``off_response`` and ``polarity`` (:func:`polarity`),
    ``tuning (cell_type, direction)`` (evoked response Σ over frames, a.u. × frames),
    ``dsi``, ``vector_dsi``, ``preferred_direction_deg`` (of ``max(tuning, 0)``,
    :func:`~retinasim.analysis.direction.direction_indices`; NaN for a silent type).
    """
    battery = battery or Battery()
    battery.check()
    circuit.eval()
    chirp, bars = battery_stimuli(circuit, battery)
    layers = list(circuit.layer_names)
    probes = [f"{layer}:centre" for layer in layers]
    steps = 4
    report = progress or (lambda *a, **k: None)
    report("battery", 0, steps, "chirp")
    chirp_trace = _centre(record(circuit, chirp, probes, n=1), layers)[:, 0]
    report("battery", 1, steps, "bars")
    bar_trace = _centre(record(circuit, bars, probes, n=bars.n_conditions), layers)
    report("battery", 2, steps, "blank")
    dark = float(chirp.luminance()[0])
    blank_chirp = _blank(circuit, probes, layers, chirp.frames, dark)
    blank_bars = (
        blank_chirp[:, : bars.frames]
        if dark == bars.background_luminance and chirp.frames >= bars.frames
        else _blank(circuit, probes, layers, bars.frames, bars.background_luminance)
    )
    report("battery", 3, steps, "features")
    evoked_chirp = chirp_trace - blank_chirp  # (cell_type, frame)
    evoked_bars = bar_trace - blank_bars[:, None]  # (cell_type, direction, frame)
    result = _battery_dataset(circuit, layers, chirp, bars, evoked_chirp, evoked_bars, battery)
    report("battery", steps, steps, "")
    return result


def _centre(tree: xr.DataTree, layers: list[str]) -> np.ndarray:
    """The centre units of every layer, ``(cell_type, trial, frame)`` float64 (NaN as 0)."""
    parts = [
        np.asarray(
            tree[layer].to_dataset()[f"{layer}_centre"].transpose("cell_type", "trial", "frame")
        )
        for layer in layers
    ]
    return np.nan_to_num(np.concatenate(parts).astype(np.float64))


def _blank(
    circuit: Circuit, probes: list[str], layers: list[str], frames: int, luminance: float
) -> np.ndarray:
    """The centre units' response to a blank video at ``luminance``, ``(cell_type, frame)``."""
    height, width = circuit.plan.input_size
    rate = float(circuit.spec.input.frame_rate) if circuit.spec is not None else 30.0
    blank = StimulusBatch(
        video=torch.full((1, 1, frames, int(height), int(width)), float(luminance)),
        metadata={"index": np.zeros(1, dtype=np.int64), "seed": np.zeros(1, dtype=np.int64)},
        attrs={"kind": "blank", "background_luminance": float(luminance), "frame_rate_hz": rate},
    )
    return _centre(record(circuit, blank, probes), layers)[:, 0]


def bin_frames(trace: np.ndarray, size: int) -> np.ndarray:
    """Means over consecutive ``size``-frame bins of ``trace (..., frame)``: ``(..., ceil(frames
    / size))``; the last bin averages the frames left."""
    frames = trace.shape[-1]
    starts = np.arange(0, frames, size)
    sums = np.add.reduceat(trace, starts, axis=-1)
    return sums / np.diff(np.append(starts, frames))


def polarity(
    evoked: np.ndarray, chirp: Chirp, scale: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polarity from the chirp's light step, for evoked traces ``(cell_type, frame)``.

    ``on_response`` = mean evoked response over the ON step (the dark blank is the baseline);
    ``off_response`` = mean over the OFF step minus the mean over the ON step's last third
    (the level the light decrement starts from); both divided by ``scale``. A type responds
    to ON (OFF) when its ``on_response`` (``off_response``) is at least ``threshold``:
    ``ON-OFF`` both, ``ON`` or ``OFF`` one, ``none`` neither. Returns ``(on, off, polarity)``.
    """
    frames = chirp.segment_frames
    on_start, on_stop = frames["on"]
    off_start, off_stop = frames["off"]
    late_on = on_start + 2 * (on_stop - on_start) // 3
    safe = np.where(scale > 0, scale, 1.0)
    on = evoked[:, on_start:on_stop].mean(-1) / safe
    off = (evoked[:, off_start:off_stop].mean(-1) - evoked[:, late_on:on_stop].mean(-1)) / safe
    on, off = np.where(scale > 0, on, 0.0), np.where(scale > 0, off, 0.0)
    is_on, is_off = on >= threshold, off >= threshold
    kind = np.where(
        is_on & is_off, "ON-OFF", np.where(is_on, "ON", np.where(is_off, "OFF", "none"))
    )
    return on, off, kind.astype(object)


def _battery_dataset(
    circuit: Circuit,
    layers: list[str],
    chirp: Chirp,
    bars: MovingBars,
    evoked_chirp: np.ndarray,
    evoked_bars: np.ndarray,
    battery: Battery,
) -> xr.Dataset:
    """Features, scale, polarity and direction indices of the evoked traces."""
    names = [name for layer in layers for name in circuit.type_names[layer]]
    layer_of = np.array(
        [layer for layer in layers for _ in circuit.type_names[layer]], dtype=object
    )
    type_index = np.concatenate([np.arange(len(circuit.type_names[layer])) for layer in layers])
    chirp_bins = bin_frames(evoked_chirp, battery.bin_frames)
    bar_bins = bin_frames(evoked_bars, battery.bin_frames)  # (cell_type, direction, bin)
    raw = np.concatenate([chirp_bins, bar_bins.reshape(len(names), -1)], axis=1)
    scale = np.abs(raw).max(axis=1)
    largest = np.array([scale[layer_of == layer].max() for layer in layer_of])
    silent = (scale <= battery.silent_fraction * largest) | (scale == 0)
    features = np.where(silent[:, None], 0.0, raw / np.where(silent, 1.0, scale)[:, None])
    on, off, kind = polarity(
        evoked_chirp, chirp, np.where(silent, 0.0, scale), battery.polarity_threshold
    )
    directions = np.asarray(bars.directions_deg, dtype=np.float64)
    tuning = evoked_bars.sum(-1)  # (cell_type, direction), conditions are directions in order
    indices = direction_indices(np.maximum(tuning, 0.0), directions)
    for key in indices:
        indices[key] = np.where(silent, np.nan, indices[key])
    rate = chirp.frame_rate_hz
    chirp_frames = np.arange(0, chirp.frames, battery.bin_frames)
    bar_frames = np.arange(0, bars.frames, battery.bin_frames)
    n_dir = len(directions)
    feature_coords = {
        "stimulus": (
            "feature",
            np.array(
                ["chirp"] * len(chirp_frames) + ["bars"] * n_dir * len(bar_frames), dtype=object
            ),
        ),
        "direction_deg": (
            "feature",
            np.concatenate(
                [np.full(len(chirp_frames), np.nan), np.repeat(directions, len(bar_frames))]
            ),
            {"long_name": "bar direction", "units": "degree"},
        ),
        "frame": (
            "feature",
            np.concatenate([chirp_frames, np.tile(bar_frames, n_dir)]),
            {"long_name": "first frame of the bin", "units": "frame"},
        ),
        "time_s": (
            "feature",
            np.concatenate([chirp_frames, np.tile(bar_frames, n_dir)]) / rate,
            {"long_name": "time of the bin's first frame", "units": "s"},
        ),
    }
    data = {
        "features": variable(
            ("cell_type", "feature"), features, "normalised battery response", "1"
        ),
        "scale": variable("cell_type", scale, "largest absolute binned evoked response", "a.u."),
        "silent": variable("cell_type", silent, "silent type (features all 0)", "1"),
        "on_response": variable(
            "cell_type", on, "mean evoked response to the light step / scale", "1"
        ),
        "off_response": variable("cell_type", off, "response to the light decrement / scale", "1"),
        "polarity": variable("cell_type", kind, "polarity (ON, OFF, ON-OFF, none)", ""),
        "tuning": variable(
            ("cell_type", "direction"),
            tuning,
            "evoked bar response, sum over frames",
            "a.u. x frames",
        ),
        "dsi": variable("cell_type", indices["dsi"], "direction selectivity index", "1"),
        "vector_dsi": variable("cell_type", indices["vector_dsi"], "vector-sum DSI", "1"),
        "preferred_direction_deg": variable(
            "cell_type",
            indices["preferred_direction_deg"],
            "preferred direction (vector sum)",
            "degree",
        ),
    }
    coords = {
        "cell_type": np.array(names, dtype=object),
        "layer": ("cell_type", layer_of),
        "type_index": ("cell_type", type_index),
        "direction": (
            "direction",
            directions,
            {"long_name": "direction of motion", "units": "degree"},
        ),
        **feature_coords,
    }
    attrs = {
        "bar_speed": battery.speed,
        "bar_width": battery.width,
        "bar_frames": int(bars.frames),
        "chirp_frames": int(chirp.frames),
        "frame_rate_hz": float(rate),
        "bin_frames": battery.bin_frames,
        "polarity_threshold": battery.polarity_threshold,
        "ds_threshold": battery.ds_threshold,
        "silent_fraction": battery.silent_fraction,
        **{f"chirp_{name}_frames": list(bounds) for name, bounds in chirp.segment_frames.items()},
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def build_atlas(
    runs: Sequence[str | Path],
    *,
    reference: str | Path | None = None,
    k_max: int = 10,
    seed: int = 0,
    battery: Battery | None = None,
    progress: Progress | None = None,
) -> xr.Dataset:
    """The atlas of functional types of the trained circuits of ``runs`` (run folders).

    Every type of every run gets :func:`response_battery`; the types of each layer (all runs
    together) are clustered by their ``features`` with :func:`fit_clusters` (``k_max``,
    ``seed``); ``reference`` (a run folder, e.g. the authors' imported model) is placed into
    the clusters with :meth:`~retinasim.analysis.Clustering.predict` and takes no part in the
    fit nor in ``prevalence``. Runs must share their layers' feature layout (frames).

    Returns a dataset (:func:`atlas_dataset`): per ``unit`` (a type of a run or of the
    reference) its cluster and the battery's summary; per ``cluster`` (a layer's cluster) its
    mean features and spread, size, prevalence and the members' polarity and DS.
    """
    from retinasim.provenance import versions
    from retinasim.training import load_trained

    began = time.perf_counter()
    battery = battery or Battery()
    paths = [Path(run) for run in runs]
    if not paths:
        raise AnalysisError("an atlas needs at least one run folder")
    if len(set(_names(paths))) != len(paths):
        raise AnalysisError("the same run folder is given twice")
    every = [*paths, *([Path(reference)] if reference is not None else [])]
    per_run = []
    for done, path in enumerate(every):
        if progress is not None:
            progress("atlas", done, len(every), path.name)
        types = response_battery(load_trained(path), battery)
        per_run.append(_with_run(types, path, is_reference=done >= len(paths)))
    if progress is not None:
        progress("atlas", len(every), len(every), "clustering")
    units = _stack(per_run)
    atlas = atlas_dataset(units, k_max=k_max, seed=seed, n_runs=len(paths))
    atlas.attrs.update(
        {
            **{f"{name}_version": value for name, value in versions().items()},
            "runs": [str(path) for path in paths],
            "reference": "" if reference is None else str(reference),
            "n_runs": len(paths),
            "seed": int(seed),
            "k_max": int(k_max),
            **{key: value for key, value in units.attrs.items()},
            "seconds": time.perf_counter() - began,
        }
    )
    log.info("atlas of %d runs: %.1f s", len(paths), atlas.attrs["seconds"])
    return atlas


def _names(paths: list[Path]) -> list[str]:
    return [str(path.resolve()) for path in paths]


def _with_run(types: xr.Dataset, path: Path, *, is_reference: bool) -> xr.Dataset:
    """The battery of one run along ``unit``, with ``run``, ``reference`` and, where the run
    folder has ``analysis/mechanism.nc``, ``mechanism`` coordinates."""
    count = types.sizes["cell_type"]
    units = types.rename({"cell_type": "unit"})
    units = units.assign_coords(
        cell_type=("unit", units["unit"].values),
        run=("unit", np.array([str(path)] * count, dtype=object)),
        reference=("unit", np.full(count, is_reference)),
        mechanism=("unit", _mechanism(path, units)),
    )
    return units.drop_vars("unit")


def _mechanism(path: Path, units: xr.Dataset) -> np.ndarray:
    """Each type's mechanism from ``path/analysis/mechanism.nc`` (variable ``mechanism``
    along ``cell_type`` named like the battery's types), "" where there is none."""
    from retinasim.run_folder import read_netcdf

    found = np.array([""] * units.sizes["unit"], dtype=object)
    file = path / MECHANISM_FILE
    if not file.is_file():
        return found
    data = read_netcdf(file, ("mechanism",))
    if data is None or "mechanism" not in data or "cell_type" not in data["mechanism"].dims:
        log.warning(
            "%s: no mechanism (cell_type) variable; the mechanism column is left empty", file
        )
        return found
    known = {
        str(name): str(value)
        for name, value in zip(data["cell_type"].values, data["mechanism"].values, strict=True)
    }
    return np.array([known.get(str(name), "") for name in units["unit"].values], dtype=object)


def _stack(per_run: list[xr.Dataset]) -> xr.Dataset:
    """The runs' units along one ``unit`` dimension (their features must line up)."""
    first = per_run[0]
    for other in per_run[1:]:
        if other.sizes["feature"] != first.sizes["feature"] or not np.array_equal(
            other["frame"].values, first["frame"].values
        ):
            raise AnalysisError(
                f"run {other['run'].values[0]} has {other.sizes['feature']} battery features, "
                f"run {first['run'].values[0]} {first.sizes['feature']}: runs of one atlas "
                "need the same input length and frame rate"
            )
    return xr.concat(
        per_run,
        dim="unit",
        data_vars="minimal",
        coords="minimal",
        compat="override",
        join="override",
    )


def atlas_dataset(units: xr.Dataset, *, k_max: int, seed: int, n_runs: int) -> xr.Dataset:
    """Cluster ``units`` (stacked batteries with ``run``, ``layer`` and ``reference``
    coordinates along ``unit``) per layer and summarise each cluster (see docs/atlas.md)."""
    cluster = np.full(units.sizes["unit"], SILENT)
    probability = np.ones(units.sizes["unit"])
    summaries, attrs = [], {}
    for layer in dict.fromkeys(units["layer"].values.tolist()):
        in_layer = units["layer"].values == layer
        fitted = np.flatnonzero(in_layer & ~units["reference"].values)
        placed = np.flatnonzero(in_layer & units["reference"].values)
        labels, chances, means, spreads, fit_attrs = _cluster_layer(
            units, fitted, placed, k_max, seed
        )
        cluster[fitted], probability[fitted] = labels[: len(fitted)], chances[: len(fitted)]
        cluster[placed], probability[placed] = labels[len(fitted) :], chances[len(fitted) :]
        attrs.update({f"{key}_{layer}": value for key, value in fit_attrs.items()})
        summaries.append(_summarise(units, layer, fitted, placed, cluster, means, spreads, n_runs))
    clusters = xr.concat(summaries, dim="layer_cluster")
    result = units.assign(
        cluster=variable("unit", cluster, f"cluster within the layer ({SILENT}: silent)", "1"),
        probability=variable("unit", probability, "posterior probability of the cluster", "1"),
    ).merge(clusters)
    if not any(units["mechanism"].values):
        result = result.drop_vars(["mechanism", "cluster_mechanism"])
    result.attrs = {**units.attrs, **attrs, "polarities": list(POLARITIES)}
    return result


def _cluster_layer(
    units: xr.Dataset, fitted: np.ndarray, placed: np.ndarray, k_max: int, seed: int
) -> tuple[np.ndarray, np.ndarray, xr.DataArray, xr.DataArray, dict[str, Any]]:
    """Cluster labels and probabilities of the ``fitted`` then the ``placed`` units, the
    clusters' ``mean`` and ``spread`` ``(cluster_id, feature)`` with ``cluster_id`` first,
    and the fit's ``k``/``bic``. One non-silent unit is a cluster (0) of its own; the silent
    cluster is always listed."""
    features = units["features"].isel(unit=fitted)
    active = ~units["silent"].values[fitted]
    if active.sum() == 1:
        labels = np.where(active, 0, SILENT)
        reference = np.where(units["silent"].values[placed], SILENT, 0)
        chances = np.ones(len(fitted) + len(placed))
        ids = np.unique(labels)
        values = features.values
        rows = np.stack([values[labels == c].mean(0) for c in ids])
        mean = xr.DataArray(rows, dims=("cluster_id", "feature"), coords={"cluster_id": ids})
        spread = mean.copy(data=np.stack([values[labels == c].std(0) for c in ids]))
        fit_attrs: dict[str, Any] = {"k": 1, "bic": [np.nan]}
        labels = np.concatenate([labels, reference])
        return labels, chances, _with_silent(mean), _with_silent(spread), fit_attrs
    clustering = fit_clusters(features, k_max=k_max, seed=seed)
    fit = clustering.assignment
    labels, chances = fit["cluster"].values, fit["probability"].values
    if len(placed):
        predicted = clustering.predict(units["features"].isel(unit=placed))
        labels = np.concatenate([labels, predicted["cluster"].values])
        chances = np.concatenate([chances, predicted["probability"].values])
    bic = list(fit.attrs["bic"]) or [np.nan]
    means, spreads = _with_silent(fit["mean"]), _with_silent(fit["spread"])
    return labels, chances, means, spreads, {"k": fit.attrs["k"], "bic": bic}


def _with_silent(values: xr.DataArray) -> xr.DataArray:
    """``values (cluster_id, feature)`` with a row of zeros for the silent cluster first
    when it has none (every layer lists its silent cluster, of size 0 if need be)."""
    if SILENT in values["cluster_id"].values:
        return values
    zeros = xr.zeros_like(values.isel(cluster_id=[0])).assign_coords(cluster_id=[SILENT])
    return xr.concat([zeros, values], dim="cluster_id")


def _summarise(
    units: xr.Dataset,
    layer: str,
    fitted: np.ndarray,
    placed: np.ndarray,
    cluster: np.ndarray,
    mean: xr.DataArray,
    spread: xr.DataArray,
    n_runs: int,
) -> xr.Dataset:
    """Per cluster of ``layer``: size, prevalence, majority polarity and mechanism, DS
    fraction and mean preferred direction of the fitted members, reference types placed."""
    ids = mean["cluster_id"].values
    run, polarity = units["run"].values, units["polarity"].values
    dsi, preferred = units["dsi"].values, units["preferred_direction_deg"].values
    mechanism = units["mechanism"].values
    ds_threshold = float(units.attrs["ds_threshold"])
    rows: dict[str, list[Any]] = {
        key: [] for key in ("size", "runs", "polarity", "ds", "pref", "ref", "mech")
    }
    for label in ids:
        members = fitted[cluster[fitted] == label]
        is_ds = np.nan_to_num(dsi[members], nan=0.0) >= ds_threshold
        rows["size"].append(len(members))
        rows["runs"].append(len(set(run[members].tolist())))
        rows["polarity"].append(_majority(polarity[members].tolist(), POLARITIES))
        rows["ds"].append(float(is_ds.mean()) if len(members) else np.nan)
        rows["pref"].append(_circular_mean(preferred[members][is_ds]))
        rows["ref"].append(int((cluster[placed] == label).sum()))
        rows["mech"].append(_majority([m for m in mechanism[members].tolist() if m], ()))
    dims = "layer_cluster"
    return xr.Dataset(
        {
            "cluster_mean": variable(
                (dims, "feature"), mean.values, "mean features of the members", "1"
            ),
            "cluster_spread": variable(
                (dims, "feature"), spread.values, "standard deviation of the members' features", "1"
            ),
            "cluster_size": variable(
                dims, np.array(rows["size"]), "member types (fitted runs)", "1"
            ),
            "cluster_runs": variable(dims, np.array(rows["runs"]), "runs with a member", "1"),
            "prevalence": variable(
                dims, np.array(rows["runs"]) / n_runs, "runs with a member / runs", "1"
            ),
            "cluster_polarity": variable(
                dims,
                np.array(rows["polarity"], dtype=object),
                "most common polarity of the members",
                "",
            ),
            "ds_fraction": variable(
                dims, np.array(rows["ds"]), "members with DSI >= ds_threshold", "1"
            ),
            "cluster_preferred_direction_deg": variable(
                dims,
                np.array(rows["pref"]),
                "circular mean preferred direction of the DS members",
                "degree",
            ),
            "reference_size": variable(
                dims, np.array(rows["ref"]), "reference types placed in the cluster", "1"
            ),
            "cluster_mechanism": variable(
                dims,
                np.array(rows["mech"], dtype=object),
                "most common mechanism of the members",
                "",
            ),
        },
        coords={
            "cluster_layer": (dims, np.array([layer] * len(ids), dtype=object)),
            "cluster_id": (dims, ids),
        },
    )


def _majority(values: list[str], order: Sequence[str]) -> str:
    """The most common of ``values`` (ties: first in ``order``, then alphabetical; "" if none)."""
    if not values:
        return ""
    counts = {value: values.count(value) for value in set(values)}
    rank = {value: i for i, value in enumerate(order)}
    return min(counts, key=lambda v: (-counts[v], rank.get(v, len(order)), v))


def _circular_mean(degrees: np.ndarray) -> float:
    """The direction of the mean unit vector of ``degrees`` (NaN for none)."""
    finite = degrees[np.isfinite(degrees)]
    if not len(finite):
        return float("nan")
    angle = np.rad2deg(np.angle(np.exp(1j * np.deg2rad(finite)).mean())) % 360.0
    return float(angle)


TABLE_COLUMNS = {
    "cluster_size": "size",
    "cluster_runs": "runs",
    "prevalence": "prevalence",
    "cluster_polarity": "polarity",
    "ds_fraction": "ds_fraction",
    "cluster_preferred_direction_deg": "preferred_direction_deg",
    "reference_size": "reference_types",
    "cluster_mechanism": "mechanism",
}
"""atlas.csv's columns after ``layer`` and ``cluster``: the atlas variable of each."""


def atlas_table(atlas: xr.Dataset) -> Any:
    """One row per cluster (a pandas DataFrame): ``layer``, ``cluster`` and
    :data:`TABLE_COLUMNS` (``mechanism`` only when the atlas has it)."""
    import pandas as pd

    columns = {
        "layer": atlas["cluster_layer"].values.astype(str),
        "cluster": atlas["cluster_id"].values,
    }
    for name, header in TABLE_COLUMNS.items():
        if name in atlas:
            values = atlas[name].values
            columns[header] = values.astype(str) if values.dtype == object else values
    return pd.DataFrame(columns)
