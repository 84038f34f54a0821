"""Shared machinery of the electrophysiology stimuli: screen geometry and condition grids.

Electrophysiology stimuli (bars, gratings, flashes) are defined by a grid of *conditions*, the
Cartesian product of the values given for each parameter (e.g. every direction × every speed).
Stimulus ``index`` shows condition ``index mod n_conditions``, repeat ``index // n_conditions``,
so ``generate_range(0, n_conditions)`` is one full set and longer ranges are repeats.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np
import torch


def condition_grid(axes: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
    """Every combination of the values of ``axes``, the last axis varying fastest.

    Returns a dict of arrays of shape ``(n_conditions,)``, one per axis, in the order of ``axes``.
    """
    columns = zip(*itertools.product(*axes.values()), strict=True)
    return {name: np.array(column) for name, column in zip(axes, columns, strict=True)}


class ConditionGrid:
    """Mixin of generators that show a grid of conditions: ``axes`` names each condition's
    per-trial metadata and the parameter listing its values (the last axis varying fastest)."""

    axes: ClassVar[dict[str, str]] = {}

    def conditions(self) -> dict[str, np.ndarray]:
        """The condition grid: one array of shape ``(n_conditions,)`` per axis."""
        return condition_grid({name: getattr(self, field) for name, field in self.axes.items()})

    @property
    def n_conditions(self) -> int:
        """Number of distinct conditions: one full set is ``generate_range(0, n_conditions)``."""
        return len(next(iter(self.conditions().values())))

    def trial_conditions(self, indices: torch.Tensor) -> dict[str, np.ndarray]:
        """Per-trial condition values for stimulus ``indices``: the grid rows plus
        ``condition`` and ``repeat`` (int64 arrays of shape ``(batch,)``)."""
        grid = self.conditions()
        count = len(next(iter(grid.values())))
        index = indices.numpy()
        condition = index % count
        return {
            "condition": condition,
            "repeat": index // count,
            **{name: values[condition] for name, values in grid.items()},
        }


def direction_projection(
    direction_deg: np.ndarray, height: int, width: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Distance of each pixel centre from the frame centre along each motion direction
    (``direction_deg``, ``(batch,)``: 0 = rightward, 90 = up the screen), pixels
    ``(batch, 1, height, width)``: ``x cos θ + y sin θ`` with ``x`` growing rightward and
    ``y`` upward, both 0 at the frame centre; a pattern moving in direction θ moves toward
    larger values."""
    radians = torch.deg2rad(torch.as_tensor(direction_deg).to(device=device, dtype=torch.float64))
    x = torch.arange(width, dtype=torch.float64, device=device) + 0.5 - width / 2
    y_up = height / 2 - (torch.arange(height, dtype=torch.float64, device=device) + 0.5)
    projection = (
        torch.cos(radians)[:, None, None] * x[None, None, :]
        + torch.sin(radians)[:, None, None] * y_up[None, :, None]
    )
    return projection[:, None].to(dtype)
