"""Direction selectivity of single units, as a retina physiologist measures it.

The protocol (:func:`direction_protocol`; definitions and citations in docs/dissection.md):

1. **Units.** In every layer, the centre unit of each cell type and a ``grid × grid`` sample
   of units around it (step a quarter of the map; the middle one is the centre unit). A unit
   is skipped (``unit_valid`` false) when it sits on the map's border (padding) or when its
   receptive field touches the screen's edge.
2. **Receptive field from the unit itself: the input gradient.** At an operating point
   (``rf_video``; default 40 frames of binary noise, squares of a 20th of the screen at the
   bars' luminance, each bright with probability a quarter, on the background), the map of
   ``|∂ r / ∂ luminance|`` summed over frames, ``r`` the unit's activity summed over the last
   ``rf_window`` frames. One backward pass per cell type gives all its sampled units (each
   owns the pixels nearest its nominal position). The RF centre is the gradient-weighted
   centroid of the pixels above half the peak, its radius that of a disc with the area above
   ``rf_level`` (0.2) of the peak, + 1 pixel. A unit silent at the operating point has no
   gradient (``rf_found`` false; a centre unit then takes its layer's median RF).
3. **Bars crossing the RF entirely.** A full-length bar (perpendicular to its motion) whose
   path is centred on the RF centre (rounded to a pixel): it starts ``H`` pixels before it
   and moves at constant speed for ``2H / speed`` frames plus ``tail_frames`` (the
   response's decay), with ``H`` = the RF radius (and the distance between the units
   sharing the path) + half the bar width + 1, rounded up to whole pixels, so it enters and
   leaves the RF. The centre units share one path; sampled units within ``site_tolerance``
   of one another share one.
4. **Evoked response** = Σ over time of (activity − baseline), the baseline being the same
   unit's response to a blank video of the background (same length). The indices use the
   rectified response ``max(evoked, 0)``.
5. **Indices.** Classic ``DSI = (R_pref − R_null) / (R_pref + R_null)`` (pref: the direction
   of the largest response, null: the opposite) and vector ``DSI = |Σ R(θ) e^{iθ}| / Σ R(θ)``
   with the preferred direction ``arg Σ R(θ) e^{iθ}`` (0° = rightward, 90° = up the screen,
   180° = leftward, as :mod:`retinasim.stimuli`). Swept over ``speeds × widths`` for the
   centre units; reported at the preferred condition (the largest preferred-direction
   response). The sampled units are measured at one condition (``grid_speed``, ``grid_width``).
6. **p-values.** A deterministic model has no trial-to-trial noise, so the repeats are the
   stimulus conditions: for ``vector_dsi_p_value`` the direction labels are shuffled
   independently within each speed × width condition and the vector DSI of the summed curve
   is recomputed (``n_permutations`` times, seeded; p = (1 + #{shuffled ≥ observed}) /
   (1 + n)). (:func:`retinasim.analysis.direction_tuning` also has ``dsi_p_value``, the same
   test of the classic DSI; this protocol tests the vector DSI only.)
   ``map_p_value`` does the same across the sampled units (positions).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
import xarray as xr

from retinasim.recording.errors import AnalysisError

Transform = Callable[[torch.Tensor], torch.Tensor]


def render_centred_bars(
    height: int,
    width: int,
    *,
    directions_deg: Sequence[float],
    centres_xy: Sequence[tuple[float, float]],
    half_paths: Sequence[float],
    speed: float,
    bar_width: float,
    frames: int,
    contrast: float = 1.0,
    background: float = 0.0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Bars whose path is centred on given screen positions: ``(batch, 1, frames, H, W)``.

    Bar ``i`` moves in ``directions_deg[i]`` (0 = rightward, 90 = up the screen); its centre
    line is ``half_paths[i]`` pixels before ``centres_xy[i]`` (``(x, y)``: column and row,
    pixel centres at integers) on frame 0 and advances ``speed`` pixels per frame. Edges are
    anti-aliased with a one-pixel box filter along the motion, as
    :class:`~retinasim.stimuli.MovingBars`.
    """
    n = len(directions_deg)
    if not (len(centres_xy) == len(half_paths) == n):
        raise AnalysisError("directions_deg, centres_xy and half_paths must have equal lengths")
    radians = torch.deg2rad(torch.as_tensor(directions_deg, dtype=torch.float64))
    centre = torch.as_tensor(np.asarray(centres_xy, dtype=np.float64).reshape(n, 2))
    x = torch.arange(width, dtype=torch.float64)[None, None, :] - centre[:, 0, None, None]
    y = torch.arange(height, dtype=torch.float64)[None, :, None] - centre[:, 1, None, None]
    distance = x * torch.cos(radians)[:, None, None] - y * torch.sin(radians)[:, None, None]
    start = -torch.as_tensor(half_paths, dtype=torch.float64)[:, None]
    position = start + speed * torch.arange(frames, dtype=torch.float64)[None, :]  # (n, T)
    distance = distance[:, None].to(torch.float32)
    position = position[:, :, None, None].to(torch.float32)
    covered = torch.minimum(distance + 0.5, position + bar_width / 2)
    covered -= torch.maximum(distance - 0.5, position - bar_width / 2)
    video = covered.clamp_(0.0, 1.0).mul_(contrast).add_(background).clamp_(0.0, 1.0)
    return video[:, None].to(dtype)


def sparse_noise(
    height: int,
    width: int,
    *,
    frames: int,
    videos: int,
    square: int,
    density: float = 0.06,
    background: float = 0.0,
    contrast: float = 1.0,
    seed: int = 0,
) -> tuple[torch.Tensor, np.ndarray]:
    """Sparse noise: ``video (videos, 1, frames, H, W)`` and ``stimulus (videos, frames, gy, gx)``
    in {−1, 0, +1}: squares of ``square`` pixels on a coarse grid at luminance
    ``background ± |contrast|`` (clipped to [0, 1]; a sign that the clip makes invisible, such
    as dark squares on black, is not drawn), each grid position on with probability
    ``density`` per frame."""
    rng = np.random.default_rng(seed)
    gy, gx = math.ceil(height / square), math.ceil(width / square)
    level = {k: min(max(background + k * abs(contrast), 0.0), 1.0) for k in (1, -1)}
    signs = [k for k in (1, -1) if level[k] != background]
    draw = rng.random((videos, frames, gy, gx))
    stimulus = np.zeros(draw.shape, dtype=np.int8)
    for n, k in enumerate(signs):
        stimulus[(draw >= n * density / len(signs)) & (draw < (n + 1) * density / len(signs))] = k
    big = np.repeat(np.repeat(stimulus, square, axis=2), square, axis=3)[:, :, :height, :width]
    video = np.full(big.shape, background, dtype=np.float32)
    for k in signs:
        video[big == k] = level[k]
    return torch.from_numpy(video)[:, None], stimulus


def _grid_indices(size: int, grid: int) -> list[int]:
    """Map indices of a ``grid``-wide sample around the middle (clipped to the map: on a map
    under 3 units wide the extra units repeat the border ones, which are not counted)."""
    step = max(size // 4, 1)
    return [min(max(size // 2 + (k - (grid - 1) // 2) * step, 0), size - 1) for k in range(grid)]


@torch.no_grad()
def _forward(
    circuit,
    video: torch.Tensor,
    layers: Sequence[str],
    units: dict[str, tuple[np.ndarray, np.ndarray]],
    frame_budget: int,
) -> dict[str, np.ndarray]:
    """Activity of the sampled units: ``layer -> (batch, types, time, units)``, in batches of
    at most ``frame_budget`` frames in all (at least one video)."""
    weight = circuit.readout.weight
    batch_size = max(1, frame_budget // video.shape[2])
    parts: dict[str, list[np.ndarray]] = {layer: [] for layer in layers}
    for start in range(0, len(video), batch_size):
        chunk = video[start : start + batch_size].to(dtype=weight.dtype, device=weight.device)
        activity = circuit.run(chunk, layers=list(layers)).activity
        for layer in layers:
            ys, xs = units[layer]
            picked = activity[layer][:, :, :, torch.as_tensor(ys), torch.as_tensor(xs)]
            parts[layer].append(picked.double().cpu().numpy())
    return {layer: np.concatenate(parts[layer]) for layer in layers}


def _rf_from_gradient(
    circuit,
    video: torch.Tensor,
    layers: Sequence[str],
    units: dict[str, tuple[np.ndarray, np.ndarray]],
    shapes: dict[str, tuple[int, int]],
    window: int,
    level: float,
) -> tuple[np.ndarray, ...]:
    """RF centre x, y, radius (pixels) and whether found, ``(cell_type, unit)`` each.

    One batch element per cell type: the objective is the sum of the type's sampled units'
    activity over the last ``window`` frames of ``video`` (the operating point); the map is
    ``|∂ objective / ∂ luminance|`` summed over frames. Each unit owns the pixels nearer its
    nominal position (its map index scaled to the screen) than any other sampled unit's.
    """
    height, width = video.shape[-2:]
    types = [(layer, k) for layer in layers for k in range(len(circuit.type_names[layer]))]
    weight = circuit.readout.weight
    luminance = video.to(dtype=weight.dtype, device=weight.device)
    luminance = luminance.expand(len(types), *video.shape[1:]).clone().requires_grad_(True)
    with torch.enable_grad():
        activity = circuit.run(luminance, layers=list(layers)).activity
        objective = 0.0
        for b, (layer, k) in enumerate(types):
            ys, xs = units[layer]
            picked = activity[layer][b, k, -window:][:, torch.as_tensor(ys), torch.as_tensor(xs)]
            objective = objective + picked.sum()
        if not torch.is_tensor(objective) or not objective.requires_grad:
            grad = torch.zeros_like(luminance)
        else:
            (grad,) = torch.autograd.grad(objective, luminance)
    maps = grad.abs().sum((1, 2)).double().cpu().numpy()  # (cell_type, H, W)
    rows = np.arange(height, dtype=np.float64)[:, None]
    cols = np.arange(width, dtype=np.float64)[None, :]
    n_units = len(units[layers[0]][0])
    out = np.zeros((4, len(types), n_units))
    for b, (layer, _) in enumerate(types):
        ys, xs = units[layer]
        my, mx = shapes[layer]
        nominal_y = (ys + 0.5) * height / my - 0.5
        nominal_x = (xs + 0.5) * width / mx - 0.5
        owner = np.argmin(
            (rows[None] - nominal_y[:, None, None]) ** 2
            + (cols[None] - nominal_x[:, None, None]) ** 2,
            axis=0,
        )
        for u in range(n_units):
            part = np.where(owner == u, maps[b], 0.0)
            peak = part.max()
            if peak <= 0:
                out[:, b, u] = (nominal_x[u], nominal_y[u], 0.0, 0.0)
                continue
            core = np.where(part >= 0.5 * peak, part, 0.0)
            x = float((core * cols).sum() / core.sum())
            y = float((core * rows).sum() / core.sum())
            radius = float(np.sqrt((part >= level * peak).sum() / np.pi)) + 1.0
            out[:, b, u] = (x, y, radius, 1.0)
    return out[0], out[1], out[2], out[3].astype(bool)


def _indices(curve: np.ndarray, directions: np.ndarray) -> dict[str, np.ndarray]:
    """Classic and vector DSI of rectified curves ``(..., direction)``."""
    radians = np.deg2rad(directions)
    opposite = np.array([int(np.argmin(np.abs((directions - d - 180) % 360))) for d in directions])
    curve = np.maximum(curve, 0.0)
    peak = curve.argmax(-1)
    pref = np.take_along_axis(curve, peak[..., None], -1)[..., 0]
    null = np.take_along_axis(curve, opposite[peak][..., None], -1)[..., 0]
    vector = curve @ np.exp(1j * radians)
    with np.errstate(invalid="ignore", divide="ignore"):
        dsi = (pref - null) / (pref + null)
        vdsi = np.abs(vector) / curve.sum(-1)
    angle = np.rad2deg(np.angle(vector)) % 360.0
    angle = np.where(np.isclose(angle, 360.0), 0.0, angle)
    angle = np.where(np.isfinite(vdsi), angle, np.nan)
    return {"dsi": dsi, "vector_dsi": vdsi, "preferred": angle, "pref": pref}


def stratified_permutation_p(
    values: np.ndarray, directions: np.ndarray, *, n_permutations: int, seed: int
) -> np.ndarray:
    """p-value of the vector DSI of ``values (..., strata, direction)`` summed over strata,
    with the direction labels shuffled independently within each stratum (NaN where no
    response or ``n_permutations == 0``)."""
    values = np.maximum(np.nan_to_num(values, nan=0.0), 0.0)
    observed = _indices(values.sum(-2), directions)["vector_dsi"]
    if n_permutations == 0:
        return np.full(observed.shape, np.nan)
    rng = np.random.default_rng(seed)
    strata, n_dir = values.shape[-2:]
    exceed = np.zeros(observed.shape)
    for start in range(0, n_permutations, 128):
        block = min(128, n_permutations - start)
        order = np.argsort(rng.random((block, strata, n_dir)), axis=-1)
        lead = values.shape[:-2]
        shuffled = np.take_along_axis(
            np.broadcast_to(values[..., None, :, :], (*lead, *order.shape)),
            np.broadcast_to(order, (*lead, *order.shape)),
            axis=-1,
        )  # (..., block, strata, direction)
        null = _indices(shuffled.sum(-2), directions)["vector_dsi"]
        exceed += (null >= observed[..., None] - 1e-12).sum(-1)
    p = (1.0 + exceed) / (1.0 + n_permutations)
    return np.where(np.isfinite(observed), p, np.nan)


def _closest(values: Sequence[float], target: float) -> float:
    return float(min(values, key=lambda v: (abs(v - target), v)))


def direction_protocol(
    circuit,
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
    """Single-unit direction selectivity of every cell type of ``layers`` (module docstring).

    Parameters
    ----------
    circuit
        A compiled :class:`~retinasim.circuit.Circuit` (put in eval mode).
    layers
        Layers to measure (default: all).
    speeds, widths
        Bar speeds (pixels/frame) and widths (pixels) of the centre units' sweep.
    n_directions
        Directions, evenly spaced from 0° (even: every direction has its opposite).
    grid
        ``grid × grid`` sampled units per type (1: the centre unit only).
    grid_speed, grid_width
        The one condition of the sampled units (default: the sweep's speed closest to 2
        pixels/frame and width closest to a 25th of the screen, a task dot's size).
    contrast, background
        Bar luminance minus background, background luminance (the blank video).
    tail_frames
        Frames after the bar has left the receptive field, for the response to decay.
    rf_video, rf_window, rf_level
        The operating point of the receptive-field map, a luminance video ``(frames, H, W)``
        (default: 40 frames of binary noise, squares of a 20th of the screen at the bars'
        luminance or the background, each square bright with probability a quarter); the
        objective's last frames; the fraction of the peak gradient whose footprint gives the
        RF radius (that of a disc of its area, + 1 pixel).
    sweep
        ``"cross"``: every speed at ``grid_width`` and every width at ``grid_speed`` (the
        default, a physiologist's speed-then-size tuning, half the frames); ``"full"``: every
        speed × width.
    site_tolerance
        Units whose RF centres lie within this many pixels share a bar path (default: the
        larger of half the median RF radius and an 8th of the screen; the centre units
        always share one path).
    grid_layers
        Layers whose sampled units are measured (default: all of ``layers``); the other
        layers' ``unit_*`` values are NaN except the centre unit's.
    n_permutations, seed
        Shuffles of the direction labels for the p-values, and their seed.
    ds_threshold
        The DSI from which a unit counts as direction selective (``fraction_ds_units``).
    frame_budget
        Frames per forward pass (batch × frames), for memory.

    Returns
    -------
    xarray.Dataset
        Per ``cell_type`` (coords ``layer``, ``type_index``): ``dsi``, ``vector_dsi``,
        ``vector_dsi_p_value``, ``preferred_direction_deg``, ``preferred_speed``,
        ``preferred_width``, ``peak_response``, ``rf_x``, ``rf_y``, ``rf_radius`` (of the
        centre unit); ``tuning (cell_type, speed, width, direction)`` (evoked, not rectified);
        per ``(cell_type, unit)``: ``unit_dsi``, ``unit_vector_dsi``,
        ``unit_preferred_direction_deg``, ``unit_rf_x``, ``unit_rf_y``, ``unit_valid``,
        ``unit_row``, ``unit_column``; and per type the summary over valid units
        ``median_unit_dsi``, ``fraction_ds_units``, ``map_p_value``. ``units``/``long_name``
        attrs on every variable; the protocol's settings and ``seconds`` in attrs.
    """
    began = time.perf_counter()
    if n_directions < 2 or n_directions % 2:
        raise AnalysisError(f"n_directions must be even and >= 2, got {n_directions}")
    if grid < 1 or grid % 2 == 0:
        raise AnalysisError(f"grid must be odd and >= 1, got {grid}")
    circuit.eval()
    layers = list(layers or circuit.layer_names)
    height, width = circuit.plan.input_size
    directions = np.arange(n_directions) * 360.0 / n_directions
    speeds = [float(s) for s in speeds]
    widths = [float(w) for w in widths]
    grid_speed = _closest(speeds, 2.0) if grid_speed is None else float(grid_speed)
    grid_width = (
        _closest(widths, min(height, width) / 25) if grid_width is None else float(grid_width)
    )
    weight = circuit.readout.weight

    # map sizes (one frame of background)
    with torch.no_grad():
        probe = torch.full((1, 1, 1, height, width), background, dtype=weight.dtype)
        shapes = {k: tuple(a.shape[-2:]) for k, a in circuit.run(probe, layers).activity.items()}
    units: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for layer in layers:
        rows, cols = (_grid_indices(n, grid) for n in shapes[layer])
        ys, xs = np.meshgrid(rows, cols, indexing="ij")
        units[layer] = (ys.ravel(), xs.ravel())
    n_units = grid * grid
    middle = n_units // 2

    # 1. receptive fields: the gradient of each unit's response at an operating point
    if rf_video is None:
        square = max(1, round(min(height, width) / 20))
        rf_video, _ = sparse_noise(
            height,
            width,
            frames=40,
            videos=1,
            square=square,
            background=background,
            contrast=contrast,
            density=0.25,
            seed=seed,
        )
    rf_video = torch.as_tensor(rf_video).reshape(1, 1, -1, height, width)
    found_rf = _rf_from_gradient(circuit, rf_video, layers, units, shapes, rf_window, rf_level)
    rf_x, rf_y, radius, found = found_rf  # (cell_type, unit)
    layer_of = np.concatenate([[layer] * shapes_types(circuit, layer) for layer in layers])
    type_index = np.concatenate([np.arange(shapes_types(circuit, layer)) for layer in layers])
    row = np.stack([units[layer][0] for layer in layer_of])
    col = np.stack([units[layer][1] for layer in layer_of])
    map_h = np.array([shapes[layer][0] for layer in layer_of])[:, None]
    map_w = np.array([shapes[layer][1] for layer in layer_of])[:, None]
    border = (row <= 0) | (col <= 0) | (row >= map_h - 1) | (col >= map_w - 1)
    edge = (
        (rf_x - radius < 0)
        | (rf_y - radius < 0)
        | (rf_x + radius > width - 1)
        | (rf_y + radius > height - 1)
    )
    grid_layers = set(layers if grid_layers is None else grid_layers)
    in_grid = np.isin(layer_of, list(grid_layers))[:, None] | (np.arange(n_units) == middle)
    valid = found & ~border & ~edge & in_grid
    # a centre unit silent at the operating point: its layer's other centre units' RF
    for k in np.flatnonzero(~found[:, middle]):
        same = found[:, middle] & (layer_of == layer_of[k])
        pool = same if same.any() else found[:, middle]
        if pool.any():
            rf_x[k, middle] = np.median(rf_x[pool, middle])
            rf_y[k, middle] = np.median(rf_y[pool, middle])
            radius[k, middle] = np.median(radius[pool, middle])
        else:
            rf_x[k, middle], rf_y[k, middle] = (width - 1) / 2, (height - 1) / 2
            radius[k, middle] = min(height, width) / 4

    # 2. sites: one bar path centre per group of units whose RF centres lie within
    # ``tolerance`` of each other (the path is long enough for all of them)
    tolerance = site_tolerance
    if tolerance is None:
        half_radius = 0.5 * float(np.median(radius[found])) if found.any() else 1.0
        tolerance = max(half_radius, min(height, width) / 8)

    def sites(mask: np.ndarray) -> list[tuple[np.ndarray, float, np.ndarray]]:
        out = []
        left = mask.copy()
        while left.any():
            first = tuple(np.argwhere(left)[0])
            near = np.hypot(rf_x - rf_x[first], rf_y - rf_y[first]) <= tolerance
            members = left & near
            xy = np.stack([rf_x[members], rf_y[members]], -1)
            centre = np.median(xy, 0)
            reach = float((np.linalg.norm(xy - centre, axis=-1) + radius[members]).max())
            out.append((centre, reach, members))
            left &= ~members
        return out

    # the centre units share one path, centred on the median of their RFs; a centre unit
    # whose RF lies farther than ``tolerance`` from it is measured there but not counted
    # among the valid sampled units
    centre_xy = np.median(np.stack([rf_x[:, middle], rf_y[:, middle]], -1), 0)
    offset = np.hypot(rf_x[:, middle] - centre_xy[0], rf_y[:, middle] - centre_xy[1])
    near = offset <= tolerance
    valid[:, middle] &= near
    reach = float((offset + radius[:, middle])[near].max()) if near.any() else radius.max()
    centre_members = np.zeros_like(valid)
    centre_members[:, middle] = True
    centre_sites = [(centre_xy, reach, centre_members)]
    grid_mask = valid.copy()
    grid_mask[:, middle] = False
    grid_sites = sites(grid_mask)

    def run_bars(centres, reaches, speed, bar_width):
        """Evoked response ``(site, direction, cell_type, unit)``."""
        # whole pixels: the path is centred on a pixel, so the two senses of one axis see
        # mirror-image sub-pixel positions (no aliasing bias between them)
        half = [math.ceil(reach + bar_width / 2 + 1) for reach in reaches]
        centres = np.round(np.asarray(centres, dtype=np.float64))
        frames = math.ceil(2 * max(half) / speed) + 1 + tail_frames
        n_sites = len(centres)
        video = render_centred_bars(
            height,
            width,
            directions_deg=np.tile(directions, n_sites),
            centres_xy=np.repeat(np.asarray(centres), n_directions, axis=0),
            half_paths=np.repeat(half, n_directions),
            speed=speed,
            bar_width=bar_width,
            frames=frames,
            contrast=contrast,
            background=background,
        )
        response = _forward(circuit, video, layers, units, frame_budget)
        counted[0] += video.shape[0] * frames
        baseline = blank(frames)
        evoked = np.concatenate(
            [(response[layer] - baseline[layer][None]).sum(2) for layer in layers], axis=1
        )  # (videos, cell_type, unit)
        return evoked.reshape(n_sites, n_directions, *evoked.shape[1:])

    blank_cache: dict[int, dict[str, np.ndarray]] = {}
    counted = [0]

    def blank(frames: int) -> dict[str, np.ndarray]:
        if frames not in blank_cache:
            video = torch.full((1, 1, frames, height, width), background)
            blank_cache[frames] = {
                k: v[0] for k, v in _forward(circuit, video, layers, units, frame_budget).items()
            }
        return blank_cache[frames]

    n_types = len(layer_of)

    def measure(site_list, speed: float, bar_width: float) -> np.ndarray:
        """Evoked curves ``(cell_type, unit, direction)`` of the sites' members (else NaN)."""
        curve = np.full((n_types, n_units, n_directions), np.nan)
        if not site_list:
            return curve
        evoked = run_bars([x[0] for x in site_list], [x[1] for x in site_list], speed, bar_width)
        for k, (_, _, members) in enumerate(site_list):
            t, u = np.nonzero(members)
            curve[t, u] = evoked[k][:, t, u].T
        return curve

    # 3. the centre units' sweep
    tuning = np.zeros((n_types, len(speeds), len(widths), n_directions))
    if sweep not in ("cross", "full"):
        raise AnalysisError(f"sweep must be 'cross' or 'full', got {sweep!r}")
    if sweep == "cross" and not (grid_speed in speeds and grid_width in widths):
        raise AnalysisError("a cross sweep needs grid_speed in speeds and grid_width in widths")
    tuning = np.full((n_types, len(speeds), len(widths), n_directions), np.nan)
    for i, speed in enumerate(speeds):
        for j, bar_width in enumerate(widths):
            if sweep == "full" or speed == grid_speed or bar_width == grid_width:
                tuning[:, i, j] = measure(centre_sites, speed, bar_width)[:, middle]
    measured = np.isfinite(tuning).all(-1)  # (cell_type, speed, width)
    observed = _indices(np.nan_to_num(tuning), directions)
    flat_pref = np.where(measured, observed["pref"], -np.inf).reshape(n_types, -1)
    best = flat_pref.argmax(-1)
    best_speed, best_width = np.unravel_index(best, (len(speeds), len(widths)))
    pick = np.arange(n_types)
    at_best = {k: v[pick, best_speed, best_width] for k, v in observed.items()}
    strata = tuning.reshape(n_types, -1, n_directions)[:, measured[0].ravel()]
    p_value = stratified_permutation_p(strata, directions, n_permutations=n_permutations, seed=seed)
    responsive = flat_pref.max(-1) > 0

    # 4. the sampled units at one condition
    unit_curve = measure(grid_sites, grid_speed, grid_width)
    if grid_speed in speeds and grid_width in widths:
        unit_curve[:, middle] = tuning[:, speeds.index(grid_speed), widths.index(grid_width)]
    else:
        unit_curve[:, middle] = measure(centre_sites, grid_speed, grid_width)[:, middle]
    unit_curve[~valid] = np.nan
    unit = _indices(np.nan_to_num(unit_curve), directions)
    for key in unit:
        unit[key] = np.where(valid, unit[key], np.nan)
    n_valid = valid.sum(1)
    with np.errstate(invalid="ignore"):
        fraction = np.where(
            n_valid > 0,
            (np.nan_to_num(unit["dsi"], nan=-1) >= ds_threshold).sum(1) / n_valid,
            np.nan,
        )
    median = np.array(
        [np.median(d[np.isfinite(d)]) if np.isfinite(d).any() else np.nan for d in unit["dsi"]]
    )
    map_p = stratified_permutation_p(
        np.where(valid[..., None], np.nan_to_num(unit_curve), 0.0),
        directions,
        n_permutations=n_permutations,
        seed=seed,
    )

    names = [
        str(circuit.type_names[layer][i]) for layer, i in zip(layer_of, type_index, strict=True)
    ]
    nan_if_silent = lambda a: np.where(responsive, a, np.nan)  # noqa: E731
    one = ("cell_type",)
    two = ("cell_type", "unit")
    data = {
        "dsi": (
            one,
            nan_if_silent(at_best["dsi"]),
            "direction selectivity index (pref - null) / (pref + null)",
            "1",
        ),
        "vector_dsi": (
            one,
            nan_if_silent(at_best["vector_dsi"]),
            "vector-sum direction selectivity index |sum R e^(i theta)| / sum R",
            "1",
        ),
        "vector_dsi_p_value": (
            one,
            np.where(responsive, p_value, np.nan),
            "permutation p-value of the vector DSI (directions shuffled within each speed x width)",
            "1",
        ),
        "preferred_direction_deg": (
            one,
            nan_if_silent(at_best["preferred"]),
            "preferred direction (vector sum; 0 rightward, 90 up, 180 leftward)",
            "degree",
        ),
        "preferred_speed": (
            one,
            nan_if_silent(np.asarray(speeds)[best_speed]),
            "bar speed of the largest preferred-direction response",
            "pixels/frame",
        ),
        "preferred_width": (
            one,
            nan_if_silent(np.asarray(widths)[best_width]),
            "bar width of the largest preferred-direction response",
            "pixels",
        ),
        "peak_response": (
            one,
            np.maximum(flat_pref.max(-1), 0.0),
            "preferred-direction evoked response at the preferred speed and width",
            "a.u. x frames",
        ),
        "rf_x": (one, rf_x[:, middle], "receptive-field centre, column (input gradient)", "pixels"),
        "rf_y": (one, rf_y[:, middle], "receptive-field centre, row (input gradient)", "pixels"),
        "rf_radius": (one, radius[:, middle], "receptive-field radius (input gradient)", "pixels"),
        "rf_found": (
            one,
            found[:, middle],
            "the centre unit was active at the operating point (else its RF is its layer's median)",
            "1",
        ),
        "tuning": (
            ("cell_type", "speed", "width", "direction"),
            tuning,
            "evoked response: sum over time of (activity - blank baseline)",
            "a.u. x frames",
        ),
        "unit_dsi": (two, unit["dsi"], "DSI of each sampled unit (grid condition)", "1"),
        "unit_vector_dsi": (
            two,
            unit["vector_dsi"],
            "vector DSI of each sampled unit (grid condition)",
            "1",
        ),
        "unit_preferred_direction_deg": (
            two,
            unit["preferred"],
            "preferred direction of each sampled unit",
            "degree",
        ),
        "unit_rf_x": (two, rf_x, "receptive-field centre, column", "pixels"),
        "unit_rf_y": (two, rf_y, "receptive-field centre, row", "pixels"),
        "unit_valid": (
            two,
            valid,
            "unit measured (off the map border, receptive field inside the screen)",
            "1",
        ),
        "unit_row": (two, row, "unit's row in its layer's map", "1"),
        "unit_column": (two, col, "unit's column in its layer's map", "1"),
        "median_unit_dsi": (one, median, "median DSI over the valid sampled units", "1"),
        "fraction_ds_units": (
            one,
            fraction,
            f"fraction of valid sampled units with DSI >= {ds_threshold}",
            "1",
        ),
        "map_p_value": (
            one,
            np.where(n_valid > 0, map_p, np.nan),
            "permutation p-value of the vector DSI across sampled units "
            "(directions shuffled within each unit)",
            "1",
        ),
    }
    result = xr.Dataset(
        {
            name: xr.DataArray(values, dims=dims, attrs={"long_name": long, "units": unit_})
            for name, (dims, values, long, unit_) in data.items()
        },
        coords={
            "cell_type": ("cell_type", names),
            "layer": ("cell_type", layer_of.astype(str)),
            "type_index": ("cell_type", type_index),
            "speed": ("speed", speeds, {"long_name": "bar speed", "units": "pixels/frame"}),
            "width": ("width", widths, {"long_name": "bar width", "units": "pixels"}),
            "direction": (
                "direction",
                directions,
                {"long_name": "direction of motion", "units": "degree"},
            ),
            "unit": (
                "unit",
                np.arange(n_units),
                {"long_name": "sampled unit (middle: the centre unit)"},
            ),
        },
    )
    result.attrs = {
        "protocol": "single-unit bars centred on the receptive field (input gradient)",
        "centre_unit": int(middle),
        "grid_speed": grid_speed,
        "grid_width": grid_width,
        "contrast": float(contrast),
        "background_luminance": float(background),
        "tail_frames": int(tail_frames),
        "rf_window": int(rf_window),
        "n_permutations": int(n_permutations),
        "permutation_seed": int(seed),
        "ds_threshold": float(ds_threshold),
        "rf_level": float(rf_level),
        "sweep": sweep,
        "site_tolerance": float(tolerance),
        "grid_layers": ",".join(layer for layer in layers if layer in grid_layers),
        "centre_sites": len(centre_sites),
        "grid_sites": len(grid_sites),
        "bar_frames": int(counted[0]),
        "seconds": time.perf_counter() - began,
    }
    return result


def shapes_types(circuit, layer: str) -> int:
    """Number of cell types of ``layer``."""
    return len(circuit.type_names[layer])
