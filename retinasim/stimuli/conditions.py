"""Shared machinery of the electrophysiology stimuli: screen geometry and condition grids.

Electrophysiology stimuli (bars, gratings, flashes) are defined by a grid of *conditions*, the
Cartesian product of the values given for each parameter (e.g. every direction × every speed).
Stimulus ``index`` shows condition ``index mod n_conditions``, repeat ``index // n_conditions``,
so ``generate_range(0, n_conditions)`` is one full set and longer ranges are repeats.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import torch


def condition_grid(axes: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
    """Every combination of the values of ``axes``, the last axis varying fastest.

    Returns a dict of arrays of shape ``(n_conditions,)``, one per axis, in the order of ``axes``.
    """
    names = list(axes)
    combinations = list(itertools.product(*(axes[name] for name in names)))
    return {
        name: np.array([combination[k] for combination in combinations])
        for k, name in enumerate(names)
    }


class ConditionGrid:
    """Mixin of generators that show a grid of conditions (their ``conditions()``)."""

    @property
    def n_conditions(self) -> int:
        """Number of distinct conditions: one full set is ``generate_range(0, n_conditions)``."""
        return len(next(iter(self.conditions().values())))  # type: ignore[attr-defined]


def condition_metadata(
    indices: torch.Tensor, grid: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per-trial condition values for stimulus ``indices``: the grid rows plus ``condition``
    and ``repeat`` (int64 arrays of shape ``(batch,)``)."""
    count = len(next(iter(grid.values())))
    index = indices.numpy()
    condition = index % count
    return {
        "condition": condition,
        "repeat": index // count,
        **{name: values[condition] for name, values in grid.items()},
    }


def direction_projection(
    direction_deg: torch.Tensor,
    height: int,
    width: int,
    *,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """Distance of each pixel centre from the frame centre along each motion direction.

    Parameters
    ----------
    direction_deg : torch.Tensor
        Directions, degrees (0 = rightward, 90 = up the screen), shape ``(batch,)``.

    Returns
    -------
    torch.Tensor
        Pixels, shape ``(batch, 1, height, width)``: ``x cos θ + y sin θ`` where ``x`` grows
        rightward and ``y`` grows upward, both 0 at the frame centre. A pattern that moves in
        direction θ moves toward larger values.
    """
    radians = torch.deg2rad(direction_deg.to(device=device, dtype=torch.float64))
    x = torch.arange(width, dtype=torch.float64, device=device) + 0.5 - width / 2
    y_up = height / 2 - (torch.arange(height, dtype=torch.float64, device=device) + 0.5)
    projection = (
        torch.cos(radians)[:, None, None] * x[None, None, :]
        + torch.sin(radians)[:, None, None] * y_up[None, :, None]
    )
    return projection[:, None].to(dtype)
