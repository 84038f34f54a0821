"""Deep visualization constrained to rigid motion: the optimal pattern at each velocity.

A free deep visualization (:func:`retinasim.dissect.deepvis.maximise_activation`) may find that
a static flicker drives a direction-selective type best. Here the video is a pattern translating
horizontally at a fixed velocity ``v`` (:func:`translate`: periodic, linearly interpolated), and
for every ``v`` of a grid the pattern is optimised to maximise the type's map-mean response on
the last frame. The velocity whose pattern drives the type most is its preferred velocity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
import xarray as xr

from retinasim.analysis.labels import variable
from retinasim.dissect.deepvis import (
    LUMINANCE,
    _type_index,
    ascend,
    luminance_of,
    parameter_of,
    task_videos,
)
from retinasim.dissect.evaluation import evaluating
from retinasim.training.inference import decision_logits

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

VELOCITIES = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
"""Default velocity grid, pixels/frame (the task's dots move at 0.5–3)."""


def translate(pattern: torch.Tensor, velocities: torch.Tensor, frames: int) -> torch.Tensor:
    """Videos ``(V, 1, T, y, x)`` of ``pattern (V, y, x)`` (luminance) moving horizontally at
    ``velocities (V,)`` (pixels/frame, > 0: rightward) over ``frames`` ``T``, the last frame
    unshifted; differentiable with respect to ``pattern``."""
    n, height, width = pattern.shape
    time = torch.arange(frames, dtype=pattern.dtype) - (frames - 1)
    shift = velocities.to(pattern.dtype)[:, None] * time[None, :]  # (V, T)
    low = torch.floor(shift)
    fraction = (shift - low)[:, :, None, None]
    x = torch.arange(width)
    source = (x[None, None, :] - low.long()[:, :, None]) % width  # (V, T, x)
    expanded = pattern[:, None].expand(n, frames, height, width)

    def gather(index: torch.Tensor) -> torch.Tensor:
        return torch.gather(expanded, 3, index[:, :, None, :].expand(n, frames, height, width))

    # Content at x0 appears at x0 + shift: out[x] = pattern[x - shift].
    video = (1 - fraction) * gather(source) + fraction * gather((source - 1) % width)
    return video[:, None]


def maximise_moving_pattern(
    circuit: Circuit,
    *,
    layer: str,
    cell_type: int | str,
    velocities: Sequence[float] = VELOCITIES,
    iterations: int = 40,
    learning_rate: float = 0.01,
    seed: int = 0,
) -> xr.Dataset:
    """Optimise a translating pattern per velocity for one cell type (module docstring).

    ``circuit`` (one input channel) is kept in eval mode, its lesions apply; the target is a
    type of ``layer`` (index or name); ``velocities`` in pixels/frame. Adam takes
    ``iterations`` small steps (large ones flood the circuit with inhibition) on the
    unbounded pattern ``p`` (luminance ``(tanh(p) + 1) / 2``) from the first of (noise of
    ``seed``, a frame of the task's dots) that drives the target at some velocity.

    Returns
    -------
    xarray.Dataset
        ``response (velocity)`` after optimisation and ``initial_response (velocity)`` (mean
        over the map, last frame, a.u.); ``pattern (velocity, y, x)`` luminance;
        ``xt (time, x)``, the row-mean space–time slice of the preferred velocity's video
        minus mid-grey; ``decoder (class)``, the decision-frame logits for that video;
        attrs ``preferred_velocity`` (pixels/frame, NaN when the target never responds) and
        ``target``.
    """
    spec = circuit.spec
    index = _type_index(circuit, layer, cell_type)
    frames = spec.input.frames
    speeds = torch.tensor([float(v) for v in velocities])
    generator = torch.Generator().manual_seed(seed)

    def responses(luminance: torch.Tensor) -> torch.Tensor:
        """``(velocity,)``: the type's map-mean response on the last frame, every velocity's
        video in one batch."""
        inputs = translate(luminance, speeds, frames)
        return circuit.run(inputs, layers=[layer]).activity[layer][:, index, -1].mean((1, 2))

    with evaluating(circuit):
        starts = [torch.rand(*spec.input.size, generator=generator)]
        for start in starts + [video[0, -1] for video in task_videos(spec, 1)]:
            luminance = start.expand(len(speeds), *start.shape).clone()
            with torch.no_grad():
                initial = responses(luminance)
            if float(initial.max()) > 0:
                break
        p = parameter_of(luminance).requires_grad_(True)
        optimiser = torch.optim.Adam([p], lr=learning_rate)
        ascend(p, lambda luminance: responses(luminance).sum(), optimiser, iterations)
        with torch.no_grad():
            pattern = luminance_of(p)
            final = responses(pattern)
            best = int(final.argmax())
            video = translate(pattern[best : best + 1], speeds[best : best + 1], frames)
            logits = decision_logits(circuit(video), spec)[0]
    preferred = float(speeds[best]) if float(final[best]) > 0 else float("nan")
    target = f"{circuit.type_names[layer][index]}, on the last frame"
    video = video[0, 0]
    return xr.Dataset(
        {
            "response": variable(
                "velocity", final.numpy(), "response to the optimised moving pattern"
            ),
            "initial_response": variable(
                "velocity", initial.numpy(), "response to the starting pattern"
            ),
            "pattern": variable(
                ("velocity", "y", "x"), pattern.numpy(), "optimised pattern", LUMINANCE
            ),
            "decoder": variable(
                "class", logits.numpy(), "decision-frame logit for the preferred velocity's video"
            ),
            "xt": variable(
                ("time", "x"),
                (video.mean(1) - 0.5).numpy(),
                "luminance - 0.5, row mean, preferred velocity",
                "luminance",
            ),
        },
        coords={
            "velocity": ("velocity", speeds.numpy(), {"units": "pixels/frame"}),
            "time": ("time", np.arange(frames), {"units": "frames"}),
            "class": list(spec.readout.classes),
        },
        attrs={"preferred_velocity": preferred, "target": target},
    )
