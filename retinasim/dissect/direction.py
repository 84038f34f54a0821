"""Direction selectivity of single units, as a retina physiologist measures it: bars centred on
each unit's receptive field (input gradient), the evoked response, its indices and p-values
(:func:`direction_protocol`; steps, definitions and citations in docs/dissection.md).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import xarray as xr

from retinasim.analysis.direction import direction_indices, vector_dsi_p_value
from retinasim.dissect.gradient_rf import GradientFields, Units, gradient_receptive_fields
from retinasim.recording import Probe, record
from retinasim.recording.errors import AnalysisError
from retinasim.stimuli import CentredBars, SparseNoise, StimulusBatch

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

log = logging.getLogger(__name__)

Site = tuple[np.ndarray, float, np.ndarray]
"""A bar path: its centre ``(x, y)`` (pixels), its reach (pixels: the farthest RF edge of its
units from the centre) and its members ``(cell_type, unit)`` (bool)."""


@dataclass
class Setup:
    """What stays fixed through one protocol run (cell types: those of ``layers`` in order)."""

    circuit: Any
    layers: list[str]
    directions: np.ndarray  # (direction,) degrees
    speeds: list[float]  # pixels/frame
    widths: list[float]  # pixels
    grid_speed: float
    grid_width: float
    contrast: float
    background: float
    tail_frames: int
    frame_budget: int
    grid: int
    units: Units = field(default_factory=dict)
    blanks: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    bar_frames: int = 0
    size: tuple[int, int] = field(init=False)  # screen (height, width), pixels
    layer_of: np.ndarray = field(init=False)  # (cell_type,) layer of each cell type
    type_index: np.ndarray = field(init=False)  # (cell_type,) index within its layer
    positions: tuple[np.ndarray, np.ndarray] = field(init=False)  # map (row, column) per unit
    n_units: int = field(init=False)
    middle: int = field(init=False)  # the centre unit's index among the sampled units

    def __post_init__(self) -> None:
        names = self.circuit.type_names
        height, width = self.circuit.plan.input_size
        self.size = int(height), int(width)
        self.layer_of = np.concatenate([[layer] * len(names[layer]) for layer in self.layers])
        self.type_index = np.concatenate([np.arange(len(names[layer])) for layer in self.layers])
        for layer in self.layers:
            rows, cols = (_grid_indices(n, self.grid) for n in self.circuit.layer_shapes[layer][2:])
            ys, xs = np.meshgrid(rows, cols, indexing="ij")
            self.units[layer] = (ys.ravel(), xs.ravel())
        units = [self.units[layer] for layer in self.layer_of]
        self.positions = np.stack([ys for ys, _ in units]), np.stack([xs for _, xs in units])
        self.n_units = self.grid * self.grid
        self.middle = self.n_units // 2


def direction_protocol(
    circuit: Circuit,
    *,
    layers: Sequence[str] | None = None,
    speeds: Sequence[float] = (0.5, 1.0, 2.0, 3.0),
    widths: Sequence[float] = (4.0, 10.0, 20.0),
    n_directions: int = 8,
    grid: int = 3,
    grid_speed: float | None = None,
    grid_width: float | None = None,
    contrast: float = 1.0,
    background: float = 0.0,
    tail_frames: int = 20,
    rf_video: torch.Tensor | None = None,
    rf_window: int = 25,
    rf_level: float = 0.2,
    sweep: str = "cross",
    site_tolerance: float | None = None,
    grid_layers: Sequence[str] | None = None,
    n_permutations: int = 1000,
    seed: int = 0,
    ds_threshold: float = 0.3,
    frame_budget: int = 800,
) -> xr.Dataset:
    """Single-unit direction selectivity of every cell type of ``layers`` (default: all).

    Parameters
    ----------
    circuit
        A compiled circuit (put in eval mode); the videos are luminance.
    speeds, widths, n_directions
        The centre units' sweep: bar speeds (pixels/frame), widths (pixels) and directions
        evenly spaced from 0° (an even number: every direction has its opposite).
    grid, grid_layers, grid_speed, grid_width
        ``grid × grid`` sampled units per type (odd; 1: the centre unit only), measured in
        ``grid_layers`` (default: all; elsewhere ``unit_*`` is NaN but the centre unit's) at
        one condition (default: the speed closest to 2 pixels/frame and the width closest to
        a 25th of the screen, a task dot's size).
    contrast, background, tail_frames
        Bar luminance minus background, background luminance (the blank video), and frames
        after the bar has left the receptive field.
    rf_video, rf_window, rf_level
        The receptive fields' operating point, luminance ``(frames, H, W)`` (default: 40
        frames of sparse noise, docs/dissection.md, seeded by ``seed``); the objective's last
        frames; the fraction of the peak gradient whose area gives the RF radius.
    sweep
        ``"cross"``: every speed at ``grid_width`` and every width at ``grid_speed`` (half the
        frames); ``"full"``: every speed × width.
    site_tolerance
        Units whose RF centres lie within this many pixels share a bar path (default: the
        larger of half the median RF radius and an 8th of the screen).
    n_permutations, seed
        Shuffles of the direction labels for the p-values, and their seed.
    ds_threshold
        The DSI from which a unit counts as direction selective (``fraction_ds_units``).
    frame_budget
        Frames per forward pass (batch × frames), for memory.

    Returns
    -------
    xarray.Dataset
        The variables of :data:`LABELS`: per ``cell_type``
        (coords ``layer``, ``type_index``) the centre unit's indices at its preferred
        condition, receptive field and ``tuning (cell_type, speed, width, direction)``
        (evoked, not rectified); per ``(cell_type, unit)`` the sampled units' indices,
        receptive fields, validity and positions, and per type their summary. The settings
        and ``seconds`` in attrs.
    """
    began = time.perf_counter()
    if n_directions < 2 or n_directions % 2:
        raise AnalysisError(f"n_directions must be even and >= 2, got {n_directions}")
    if grid < 1 or grid % 2 == 0:
        raise AnalysisError(f"grid must be odd and >= 1, got {grid}")
    if sweep not in ("cross", "full"):
        raise AnalysisError(f"sweep must be 'cross' or 'full', got {sweep!r}")
    circuit.eval()
    speeds, widths = [float(s) for s in speeds], [float(w) for w in widths]
    screen = min(circuit.plan.input_size)
    setup = Setup(
        circuit=circuit,
        layers=list(layers or circuit.layer_names),
        directions=np.arange(n_directions) * 360.0 / n_directions,
        speeds=speeds,
        widths=widths,
        grid_speed=_closest(speeds, 2.0) if grid_speed is None else float(grid_speed),
        grid_width=_closest(widths, screen / 25) if grid_width is None else float(grid_width),
        contrast=float(contrast),
        background=float(background),
        tail_frames=int(tail_frames),
        frame_budget=int(frame_budget),
        grid=grid,
    )
    if sweep == "cross" and not (setup.grid_speed in speeds and setup.grid_width in widths):
        raise AnalysisError("a cross sweep needs grid_speed in speeds and grid_width in widths")
    # 1. receptive fields: the gradient of each unit's response at an operating point
    video = _operating_point(setup, rf_video, seed)
    rf = gradient_receptive_fields(
        circuit, video, setup.layers, setup.units, window=rf_window, level=rf_level
    )
    valid, sampled = _valid_units(setup, rf, grid_layers)
    _centre_fallback(setup, rf)
    # 2. bar paths; 3. the centre units' sweep; 4. the sampled units at one condition
    tolerance = site_tolerance
    if tolerance is None:
        half_radius = 0.5 * float(np.median(rf.radius[rf.found])) if rf.found.any() else 1.0
        tolerance = max(half_radius, min(setup.size) / 8)
    centre_sites, grid_sites = _sites(setup, rf, valid, tolerance)
    tuning = _sweep(setup, centre_sites, sweep)
    centre = _centre_summary(setup, tuning, n_permutations, seed)
    unit_curve = _unit_curves(setup, grid_sites, centre_sites, tuning, valid)
    units = _unit_summary(setup, unit_curve, valid, ds_threshold, n_permutations, seed)
    settings = {
        "grid_speed": setup.grid_speed,
        "grid_width": setup.grid_width,
        "contrast": setup.contrast,
        "background_luminance": setup.background,
        "tail_frames": setup.tail_frames,
        "rf_window": int(rf_window),
        "n_permutations": int(n_permutations),
        "permutation_seed": int(seed),
        "ds_threshold": float(ds_threshold),
        "rf_level": float(rf_level),
        "sweep": sweep,
        "site_tolerance": float(tolerance),
        "grid_layers": ",".join(layer for layer in setup.layers if layer in sampled),
        "centre_sites": len(centre_sites),
        "grid_sites": len(grid_sites),
        "bar_frames": int(setup.bar_frames),
        "seconds": time.perf_counter() - began,
    }
    log.info("direction protocol: %d bar frames, %.1f s", setup.bar_frames, settings["seconds"])
    values = {**centre, "tuning": tuning, **units, "unit_valid": valid}
    return _dataset(setup, rf, values, settings)


def _grid_indices(size: int, grid: int) -> list[int]:
    """Map indices of a ``grid``-wide sample around the middle (clipped to the map: on a map
    under 3 units wide the extra units repeat the border ones, which are not counted)."""
    step = max(size // 4, 1)
    return [min(max(size // 2 + (k - (grid - 1) // 2) * step, 0), size - 1) for k in range(grid)]


def _closest(values: Sequence[float], target: float) -> float:
    return float(min(values, key=lambda v: (abs(v - target), v)))


def _operating_point(setup: Setup, rf_video: torch.Tensor | None, seed: int) -> torch.Tensor:
    """The receptive fields' operating point, luminance ``(1, 1, frames, H, W)``."""
    height, width = setup.size
    if rf_video is None:
        noise = SparseNoise(
            height=height,
            width=width,
            frames=40,
            square=max(1, round(min(height, width) / 20)),
            density=0.25,
            contrast=setup.contrast,
            background_luminance=setup.background,
        )
        rf_video = noise.generate([0], seed=seed).video
    return torch.as_tensor(rf_video).reshape(1, 1, -1, height, width)


def _valid_units(setup: Setup, rf: GradientFields, grid_layers) -> tuple[np.ndarray, set[str]]:
    """Units ``(cell_type, unit)`` off their map's border, with a found RF inside the screen,
    in a sampled layer (or the centre unit), and the sampled layers."""
    height, width = setup.size
    layer_of = setup.layer_of
    row, col = setup.positions
    shapes = setup.circuit.layer_shapes
    map_h = np.array([shapes[layer][2] for layer in layer_of])[:, None]
    map_w = np.array([shapes[layer][3] for layer in layer_of])[:, None]
    border = (row <= 0) | (col <= 0) | (row >= map_h - 1) | (col >= map_w - 1)
    edge = (
        (rf.x - rf.radius < 0)
        | (rf.y - rf.radius < 0)
        | (rf.x + rf.radius > width - 1)
        | (rf.y + rf.radius > height - 1)
    )
    sampled = set(setup.layers if grid_layers is None else grid_layers)
    in_grid = np.isin(layer_of, list(sampled))[:, None] | (np.arange(setup.n_units) == setup.middle)
    return rf.found & ~border & ~edge & in_grid, sampled


def _centre_fallback(setup: Setup, rf: GradientFields) -> None:
    """A centre unit silent at the operating point takes its layer's median RF (else all
    layers', else a quarter-screen disc in the middle), in place."""
    height, width = setup.size
    middle, layer_of = setup.middle, setup.layer_of
    found = rf.found[:, middle]
    for k in np.flatnonzero(~found):
        same = found & (layer_of == layer_of[k])
        pool = same if same.any() else found
        if pool.any():
            rf.x[k, middle] = np.median(rf.x[pool, middle])
            rf.y[k, middle] = np.median(rf.y[pool, middle])
            rf.radius[k, middle] = np.median(rf.radius[pool, middle])
        else:
            rf.x[k, middle], rf.y[k, middle] = (width - 1) / 2, (height - 1) / 2
            rf.radius[k, middle] = min(height, width) / 4


def _sites(setup: Setup, rf: GradientFields, valid: np.ndarray, tolerance: float):
    """The centre units' one path, centred on the median of their RFs (a centre unit whose RF
    lies farther than ``tolerance`` from it is measured there but no longer counted valid: in
    place), and the sampled units' paths."""
    middle = setup.middle
    centre_xy = np.median(np.stack([rf.x[:, middle], rf.y[:, middle]], -1), 0)
    offset = np.hypot(rf.x[:, middle] - centre_xy[0], rf.y[:, middle] - centre_xy[1])
    near = offset <= tolerance
    valid[:, middle] &= near
    radius = rf.radius
    reach = float((offset + radius[:, middle])[near].max()) if near.any() else radius.max()
    centre_members = np.zeros_like(valid)
    centre_members[:, middle] = True
    grid_mask = valid.copy()
    grid_mask[:, middle] = False
    return [(centre_xy, reach, centre_members)], _group_sites(grid_mask, rf, tolerance)


def _group_sites(mask: np.ndarray, rf: GradientFields, tolerance: float) -> list[Site]:
    """One path per group of ``mask``'s units whose RF centres lie within ``tolerance`` of the
    group's first unit; the path reaches all their RFs."""
    out = []
    left = mask.copy()
    while left.any():
        first = tuple(np.argwhere(left)[0])
        near = np.hypot(rf.x - rf.x[first], rf.y - rf.y[first]) <= tolerance
        members = left & near
        xy = np.stack([rf.x[members], rf.y[members]], -1)
        centre = np.median(xy, 0)
        reach = float((np.linalg.norm(xy - centre, axis=-1) + rf.radius[members]).max())
        out.append((centre, reach, members))
        left &= ~members
    return out


def _measure(setup: Setup, sites: list[Site], speed: float, bar_width: float) -> np.ndarray:
    """Evoked curves ``(cell_type, unit, direction)`` of the sites' members to bars crossing
    the sites (NaN for the other units)."""
    curve = np.full((len(setup.layer_of), setup.n_units, len(setup.directions)), np.nan)
    if not sites:
        return curve
    # whole pixels: the path is centred on a pixel, so the two senses of one axis see
    # mirror-image sub-pixel positions (no aliasing bias between them)
    half = [math.ceil(reach + bar_width / 2 + 1) for _, reach, _ in sites]
    centres = np.round(np.asarray([centre for centre, _, _ in sites], dtype=np.float64))
    frames = math.ceil(2 * max(half) / speed) + 1 + setup.tail_frames
    height, width = setup.size
    bars = CentredBars(
        height=height,
        width=width,
        frames=frames,
        directions_deg=tuple(float(d) for d in setup.directions),
        centres_xy=tuple((float(x), float(y)) for x, y in centres),
        half_paths=tuple(float(h) for h in half),
        speeds=(speed,),
        widths=(bar_width,),
        contrasts=(setup.contrast,),
        background_luminance=setup.background,
    )
    response = unit_activity(setup.circuit, bars, setup.units, setup.frame_budget)
    setup.bar_frames += bars.n_conditions * frames
    baseline = _blank(setup, frames)
    evoked = np.concatenate(
        [(response[layer] - baseline[layer][None]).sum(2) for layer in setup.layers], axis=1
    )  # (videos, cell_type, unit)
    evoked = evoked.reshape(len(sites), len(setup.directions), *evoked.shape[1:])
    for k, (_, _, members) in enumerate(sites):
        t, u = np.nonzero(members)
        curve[t, u] = evoked[k][:, t, u].T
    return curve


def _blank(setup: Setup, frames: int) -> dict[str, np.ndarray]:
    """Activity ``layer -> (types, frame, unit)`` of the sampled units to a blank video of the
    background, ``frames`` long (cached)."""
    if frames not in setup.blanks:
        height, width = setup.size
        blank = StimulusBatch(
            video=torch.full((1, 1, frames, height, width), setup.background),
            metadata={"index": np.zeros(1, dtype=np.int64)},
            attrs={"kind": "blank", "background_luminance": setup.background},
        )
        activity = unit_activity(setup.circuit, blank, setup.units, setup.frame_budget)
        setup.blanks[frames] = {layer: value[0] for layer, value in activity.items()}
    return setup.blanks[frames]


def unit_activity(
    circuit: Circuit, stimuli: CentredBars | StimulusBatch, units: Units, frame_budget: int
) -> dict[str, np.ndarray]:
    """Activity of the sampled ``units`` (layer -> rows, columns) to every stimulus of
    ``stimuli`` (a generator: its ``n_conditions``), recorded with :func:`retinasim.record` in
    batches of at most ``frame_budget`` frames in all (at least one video): ``layer ->
    (stimulus, cell_type, frame, unit)``, float64, a.u."""
    probes = [
        Probe(layer, space="positions", positions=tuple(zip(ys.tolist(), xs.tolist(), strict=True)))
        for layer, (ys, xs) in units.items()
    ]
    n = None if isinstance(stimuli, StimulusBatch) else stimuli.n_conditions
    frames = stimuli.frames
    tree = record(circuit, stimuli, probes, n=n, batch_size=max(1, frame_budget // frames))
    return {
        layer: np.asarray(tree[layer][f"{layer}_positions"], dtype=np.float64) for layer in units
    }


def _sweep(setup: Setup, centre_sites: list[Site], sweep: str) -> np.ndarray:
    """The centre units' evoked curves ``(cell_type, speed, width, direction)`` (NaN at the
    conditions a cross sweep skips)."""
    middle = setup.middle
    shape = (len(setup.layer_of), len(setup.speeds), len(setup.widths), len(setup.directions))
    tuning = np.full(shape, np.nan)
    for i, speed in enumerate(setup.speeds):
        for j, bar_width in enumerate(setup.widths):
            if sweep == "full" or speed == setup.grid_speed or bar_width == setup.grid_width:
                tuning[:, i, j] = _measure(setup, centre_sites, speed, bar_width)[:, middle]
    return tuning


def _indices(curves: np.ndarray, setup: Setup) -> dict[str, np.ndarray]:
    """DSI, vector DSI and preferred direction of ``max(curves, 0)`` (NaN as 0), and its
    preferred-direction response ``pref``."""
    values = np.maximum(np.nan_to_num(curves), 0.0)
    return {**direction_indices(values, setup.directions), "pref": values.max(-1)}


def _p_value(curves: np.ndarray, setup: Setup, n_permutations: int, seed: int) -> np.ndarray:
    """:func:`~retinasim.analysis.vector_dsi_p_value` of ``max(curves, 0)`` ``(cell_type,
    group, direction)``, the direction labels shuffled within each group."""
    n_types, groups, n_dir = curves.shape
    directions, within = np.tile(setup.directions, groups), np.repeat(np.arange(groups), n_dir)
    trials = xr.DataArray(
        np.maximum(curves, 0.0).reshape(n_types, -1),
        dims=("cell_type", "trial"),
        coords={"direction": ("trial", directions), "within": ("trial", within)},
    )
    p = vector_dsi_p_value(
        trials, direction="direction", within="within", n_permutations=n_permutations, seed=seed
    )
    return p.values


def _centre_summary(setup: Setup, tuning: np.ndarray, n_permutations: int, seed: int) -> dict:
    """The centre units' indices at their preferred condition, and the vector DSI's p-value
    with the direction labels shuffled within each measured speed × width."""
    n_types, n_dir = len(tuning), len(setup.directions)
    measured = np.isfinite(tuning).all(-1)  # (cell_type, speed, width)
    index = _indices(tuning, setup)
    flat_pref = np.where(measured, index.pop("pref"), -np.inf).reshape(n_types, -1)
    best = flat_pref.argmax(-1)
    best_speed, best_width = np.unravel_index(best, (len(setup.speeds), len(setup.widths)))
    summary = {k: v[np.arange(n_types), best_speed, best_width] for k, v in index.items()}
    conditions = tuning.reshape(n_types, -1, n_dir)[:, measured[0].ravel()]
    p = _p_value(np.nan_to_num(conditions), setup, n_permutations, seed)
    return {
        **summary,
        "vector_dsi_p_value": p,
        "preferred_speed": np.asarray(setup.speeds)[best_speed],
        "preferred_width": np.asarray(setup.widths)[best_width],
        "peak_response": flat_pref.max(-1),
    }


def _unit_curves(setup, grid_sites, centre_sites, tuning, valid) -> np.ndarray:
    """Evoked curves ``(cell_type, unit, direction)`` of the sampled units at the grid
    condition (NaN where not valid); the centre unit's from the sweep when it has it."""
    unit_curve = _measure(setup, grid_sites, setup.grid_speed, setup.grid_width)
    if setup.grid_speed in setup.speeds and setup.grid_width in setup.widths:
        i, j = setup.speeds.index(setup.grid_speed), setup.widths.index(setup.grid_width)
        unit_curve[:, setup.middle] = tuning[:, i, j]
    else:
        centre = _measure(setup, centre_sites, setup.grid_speed, setup.grid_width)
        unit_curve[:, setup.middle] = centre[:, setup.middle]
    unit_curve[~valid] = np.nan
    return unit_curve


def _unit_summary(setup, unit_curve, valid, ds_threshold, n_permutations, seed) -> dict:
    """The sampled units' indices (NaN where not valid), their median DSI, the fraction of
    them with DSI >= ``ds_threshold`` and the map's p-value (labels shuffled within units)."""
    index = _indices(unit_curve, setup)
    unit = {f"unit_{k}": np.where(valid, v, np.nan) for k, v in index.items() if k != "pref"}
    unit_dsi = unit["unit_dsi"]
    n_valid = valid.sum(1)
    with np.errstate(invalid="ignore"):
        fraction = np.where(
            n_valid > 0,
            (np.nan_to_num(unit_dsi, nan=-1) >= ds_threshold).sum(1) / n_valid,
            np.nan,
        )
    median = np.array(
        [np.median(d[np.isfinite(d)]) if np.isfinite(d).any() else np.nan for d in unit_dsi]
    )
    curves = np.where(valid[..., None], np.nan_to_num(unit_curve), 0.0)
    p = _p_value(curves, setup, n_permutations, seed)
    return {
        **unit,
        "median_unit_dsi": median,
        "fraction_ds_units": fraction,
        "map_p_value": np.where(n_valid > 0, p, np.nan),
    }


LABELS = {
    "dsi": ("direction selectivity index (pref - null) / (pref + null)", "1"),
    "vector_dsi": ("vector-sum direction selectivity index |sum R e^(i theta)| / sum R", "1"),
    "vector_dsi_p_value": (
        "permutation p-value of the vector DSI (directions shuffled within each speed x width)",
        "1",
    ),
    "preferred_direction_deg": (
        "preferred direction (vector sum; 0 rightward, 90 up, 180 leftward)",
        "degree",
    ),
    "preferred_speed": ("bar speed of the largest preferred-direction response", "pixels/frame"),
    "preferred_width": ("bar width of the largest preferred-direction response", "pixels"),
    "peak_response": (
        "preferred-direction evoked response at the preferred speed and width",
        "a.u. x frames",
    ),
    "rf_x": ("receptive-field centre, column (input gradient)", "pixels"),
    "rf_y": ("receptive-field centre, row (input gradient)", "pixels"),
    "rf_radius": ("receptive-field radius (input gradient)", "pixels"),
    "rf_found": (
        "the centre unit was active at the operating point (else its RF is its layer's median)",
        "1",
    ),
    "tuning": ("evoked response: sum over time of (activity - blank baseline)", "a.u. x frames"),
    "unit_dsi": ("DSI of each sampled unit (grid condition)", "1"),
    "unit_vector_dsi": ("vector DSI of each sampled unit (grid condition)", "1"),
    "unit_preferred_direction_deg": ("preferred direction of each sampled unit", "degree"),
    "unit_rf_x": ("receptive-field centre, column", "pixels"),
    "unit_rf_y": ("receptive-field centre, row", "pixels"),
    "unit_valid": ("unit measured (off the map border, receptive field inside the screen)", "1"),
    "unit_row": ("unit's row in its layer's map", "1"),
    "unit_column": ("unit's column in its layer's map", "1"),
    "median_unit_dsi": ("median DSI over the valid sampled units", "1"),
    "fraction_ds_units": ("fraction of valid sampled units with DSI >= {threshold}", "1"),
    "map_p_value": (
        "permutation p-value of the vector DSI across sampled units "
        "(directions shuffled within each unit)",
        "1",
    ),
}
"""Variable → long name (``{threshold}``: the protocol's ``ds_threshold``) and units, in the
Dataset's order."""

CENTRE = tuple(LABELS)[:6]
"""The centre unit's variables (``dsi`` to ``preferred_width``) that are NaN where the type
does not respond."""

DIMS = {
    1: ("cell_type",),
    2: ("cell_type", "unit"),
    4: ("cell_type", "speed", "width", "direction"),
}


def _dataset(
    setup: Setup, rf: GradientFields, values: dict[str, np.ndarray], settings: dict[str, Any]
) -> xr.Dataset:
    """The Dataset of one protocol run: the protocol's ``values`` by variable name, the units'
    receptive fields ``rf`` and positions, labelled; ``settings`` become its attrs."""
    middle = setup.middle
    responsive = values["peak_response"] > 0
    values = {
        **values,
        **{name: np.where(responsive, values[name], np.nan) for name in CENTRE},
        "peak_response": np.maximum(values["peak_response"], 0.0),
        "rf_x": rf.x[:, middle],
        "rf_y": rf.y[:, middle],
        "rf_radius": rf.radius[:, middle],
        "rf_found": rf.found[:, middle],
        "unit_rf_x": rf.x,
        "unit_rf_y": rf.y,
        "unit_row": setup.positions[0],
        "unit_column": setup.positions[1],
    }
    threshold = settings["ds_threshold"]
    names, layer_of, type_index = setup.circuit.type_names, setup.layer_of, setup.type_index
    coords = {
        "cell_type": [str(names[layer][i]) for layer, i in zip(layer_of, type_index, strict=True)],
        "layer": ("cell_type", layer_of.astype(str)),
        "type_index": ("cell_type", type_index),
        "speed": ("speed", setup.speeds, {"long_name": "bar speed", "units": "pixels/frame"}),
        "width": ("width", setup.widths, {"long_name": "bar width", "units": "pixels"}),
        "direction": (
            "direction",
            setup.directions,
            {"long_name": "direction of motion", "units": "degree"},
        ),
        "unit": (
            "unit",
            np.arange(setup.n_units),
            {"long_name": "sampled unit (middle: the centre unit)"},
        ),
    }
    result = xr.Dataset(
        {
            name: xr.DataArray(
                values[name],
                dims=DIMS[np.ndim(values[name])],
                attrs={"long_name": long.format(threshold=threshold), "units": unit},
            )
            for name, (long, unit) in LABELS.items()
        },
        coords=coords,
    )
    result.attrs = {
        "protocol": "single-unit bars centred on the receptive field (input gradient)",
        "centre_unit": int(middle),
        **settings,
    }
    return result
