"""Receptive fields from the units themselves: the input gradient at an operating point (step
2 of :func:`retinasim.dissect.direction_protocol`, docs/dissection.md). The map of a unit is
``|∂ r / ∂ luminance|`` summed over frames, ``r`` the unit's activity summed over the last
``window`` frames of the operating-point video; one backward pass per cell type gives all its
sampled units, each owning the pixels nearer its nominal position than any other sampled
unit's. The RF centre is the gradient-weighted centroid of the pixels above half the peak, its
radius that of a disc with the area above ``level`` of the peak, + 1 pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

Units = dict[str, tuple[np.ndarray, np.ndarray]]
"""Layer → rows and columns ``(units,)`` of its sampled units in the layer's map."""


@dataclass
class GradientFields:
    """Receptive fields of the sampled units, ``(cell_type, unit)`` each (cell types of the
    layers in order): centre column ``x`` and row ``y`` and ``radius`` (pixels), and
    ``found`` (the unit had a gradient; else its nominal position and radius 0)."""

    x: np.ndarray
    y: np.ndarray
    radius: np.ndarray
    found: np.ndarray


def gradient_receptive_fields(
    circuit: Circuit,
    video: torch.Tensor,
    layers: Sequence[str],
    units: Units,
    *,
    window: int,
    level: float,
) -> GradientFields:
    """Receptive fields of the sampled ``units`` of ``layers`` (the same number in every layer)
    from the input gradient at the operating point ``video``, luminance ``(1, 1, frames, H,
    W)``, of the circuit in eval mode (module docstring: ``window``, ``level``)."""
    maps = _gradient_maps(circuit, video, layers, units, window)  # (cell_type, H, W)
    height, width = video.shape[-2:]
    rows = np.arange(height, dtype=np.float64)[:, None]
    cols = np.arange(width, dtype=np.float64)[None, :]
    owners = {layer: _owner(units[layer], circuit, layer, rows, cols) for layer in layers}
    n_units = len(units[layers[0]][0])
    out = np.zeros((4, len(maps), n_units))
    types = [layer for layer in layers for _ in circuit.type_names[layer]]
    for b, layer in enumerate(types):
        owner, nominal_x, nominal_y = owners[layer]
        for u in range(n_units):
            part = np.where(owner == u, maps[b], 0.0)  # the unit's gradient map
            peak = part.max()
            if peak <= 0:  # not found
                out[:2, b, u] = nominal_x[u], nominal_y[u]
                continue
            core = np.where(part >= 0.5 * peak, part, 0.0)
            out[0, b, u] = (core * cols).sum() / core.sum()
            out[1, b, u] = (core * rows).sum() / core.sum()
            out[2, b, u] = np.sqrt((part >= level * peak).sum() / np.pi) + 1.0
            out[3, b, u] = 1.0
    return GradientFields(out[0], out[1], out[2], out[3].astype(bool))


def _gradient_maps(circuit, video: torch.Tensor, layers, units: Units, window: int) -> np.ndarray:
    """``|∂ objective / ∂ luminance|`` summed over frames, ``(cell_type, H, W)``: batch
    element ``b`` holds the objective of cell type ``b`` (its sampled units' activity over
    the last ``window`` frames)."""
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
    return grad.abs().sum((1, 2)).double().cpu().numpy()


def _owner(unit_rc, circuit, layer: str, rows: np.ndarray, cols: np.ndarray):
    """Which sampled unit owns each pixel (the nearest nominal position: the map index
    scaled to the screen), ``(H, W)``, and the nominal ``x``, ``y`` ``(units,)``."""
    ys, xs = unit_rc
    my, mx = circuit.layer_shapes[layer][2:]
    height, width = rows.shape[0], cols.shape[1]
    nominal_y = (ys + 0.5) * height / my - 0.5
    nominal_x = (xs + 0.5) * width / mx - 0.5
    distance = (rows[None] - nominal_y[:, None, None]) ** 2
    distance = distance + (cols[None] - nominal_x[:, None, None]) ** 2
    return np.argmin(distance, axis=0), nominal_x, nominal_y
