"""Deep visualization: the input video that maximises one cell type (or one decoder output).

The video is parameterised as ``luminance = (tanh(p) + 1) / 2`` (bounded to [0, 1]) and ``p``
is optimised with Adam (weight decay pulls unused pixels to mid-grey), with random spatial
jitter of the whole video each iteration and a light spatial blur of ``p`` after each step,
which keep the result smooth and interpretable. Seeded: the same arguments give the same video.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
import xarray as xr

from retinasim.analysis.labels import variable
from retinasim.dissect.errors import DissectionError
from retinasim.dissect.evaluation import evaluating
from retinasim.training.inference import decision_logits

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

LUMINANCE = "luminance (0 black, 1 white)"
READOUT = "readout"
"""Pseudo-layer name selecting a decoder output (``cell_type`` = a class name)."""


def _blur(p: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur over ``y, x`` of ``(1, 1, time, y, x)``, ``sigma`` in pixels."""
    radius = max(1, round(2 * sigma))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1.0) / sigma) ** 2)
    taps = (taps / taps.sum()).to(p)
    _, _, time, height, width = p.shape
    flat = p.reshape(time, 1, height, width)
    flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0), mode="replicate"), taps.view(1, 1, 1, -1))
    flat = F.conv2d(F.pad(flat, (0, 0, radius, radius), mode="replicate"), taps.view(1, 1, -1, 1))
    return flat.reshape(p.shape)


def _index(names: list[str], ref: int | str, what: str) -> int:
    """Index of ``ref`` (an index or a name) among ``names``."""
    if ref in names:
        return names.index(str(ref))
    if isinstance(ref, int) and 0 <= ref < len(names):
        return ref
    raise DissectionError(f"unknown {what} {ref!r}; known: {names}")


def _type_index(circuit, layer: str, cell_type: int | str) -> int:
    """Index of ``cell_type`` (index or name) among ``layer``'s types."""
    if layer not in circuit.type_names:
        raise DissectionError(f"unknown layer {layer!r}; known: {list(circuit.type_names)}")
    return _index(circuit.type_names[layer], cell_type, f"cell type of {layer!r}")


def _target(circuit, layer: str, cell_type: int | str, all_frames: bool):
    """A function ``video → objective`` and the target's description."""
    spec = circuit.spec
    if layer == READOUT:
        classes = list(spec.readout.classes)
        index = _index(classes, cell_type, "decoder output")

        def decision(video: torch.Tensor) -> torch.Tensor:
            return decision_logits(circuit(video), spec)[0, index].view(1, 1)

        return decision, f"decoder output {classes[index]}"
    k = _type_index(circuit, layer, cell_type)

    def objective(video: torch.Tensor) -> torch.Tensor:
        """The type's map ``(y, x)``: last frame, or summed over frames."""
        trace = circuit.run(video, layers=[layer]).activity[layer][0, k]
        return trace.sum(0) if all_frames else trace[-1]

    when = "summed over frames" if all_frames else "on the last frame"
    return objective, f"{circuit.type_names[layer][k]}, {when}"


def maximise_activation(
    circuit: Circuit,
    *,
    layer: str,
    cell_type: int | str,
    iterations: int = 200,
    learning_rate: float = 0.05,
    weight_decay: float = 1e-3,
    jitter: int = 0,
    blur_sigma: float = 0.0,
    init_scale: float = 1.0,
    all_frames: bool = False,
    restarts: int = 20,
    seed: int = 0,
) -> xr.Dataset:
    """Optimise the input video to maximise one cell type's (or one decoder output's) response.

    Parameters
    ----------
    circuit
        Compiled circuit (kept in eval mode; its lesions apply).
    layer, cell_type
        The target: a layer and a type (index or name), or ``layer="readout"`` and a class.
        The unit maximised is the active unit nearest the centre of the type's map (attrs
        ``position``, map pixels): edge units see zero padding, which distorts their
        preference.
    iterations, learning_rate, weight_decay
        Adam settings on the unbounded parameter ``p`` ``(1, 1, time, y, x)``.
    jitter, blur_sigma
        Largest random shift of the whole video per iteration and spatial Gaussian blur of
        ``p`` after each step, pixels (0: none).
    init_scale
        ``p`` starts as ``U(-init_scale, init_scale)`` (the authors: U(-1, 1)).
    all_frames
        Maximise the response summed over all frames instead of on the last (decision)
        frame, whose video shows what precedes a response (a sum favours static patterns).
    restarts
        A rectified target silent at the start has no gradient: up to this many more random
        starts, then task stimuli (moving dots of the test seed), are tried; the start whose
        active unit is nearest the centre is kept.
    seed
        Seed of the initialisation and of the jitter.

    Returns
    -------
    xarray.Dataset
        ``video (time, y, x)`` luminance in [0, 1]; ``objective (iteration)``;
        ``decoder (class)``, the decision-frame logits for the optimised video;
        ``saliency (time, y, x)``, |d target / d luminance| there; attrs
        ``initial_activation``, ``final_activation`` and ``target``.
    """
    spec = circuit.spec
    if iterations < 1:
        raise DissectionError(f"deep visualization needs at least 1 iteration, got {iterations}")
    objective, target = _target(circuit, layer, cell_type, all_frames)
    generator = torch.Generator().manual_seed(seed)
    height, width = spec.input.size
    shape = (1, spec.input.channels, spec.input.frames, height, width)
    with evaluating(circuit):
        best = None  # (distance of the active unit from the centre, p, position, response)
        for p in _starts(spec, shape, generator, init_scale, restarts):
            with torch.no_grad():
                response = objective(luminance_of(p))
            position, distance = _position(response)
            if best is None or distance < best[0]:
                best = (distance, p, position, float(response[position]))
            if distance == 0:
                break
        assert best is not None  # restarts >= 0: at least one start
        _, p, position, initial = best
        trace = ascend(
            p.requires_grad_(True),
            lambda luminance: objective(luminance)[position],
            torch.optim.Adam([p], lr=learning_rate, weight_decay=weight_decay),
            iterations,
            jitter=jitter,
            blur_sigma=blur_sigma,
            generator=generator,
        )
        video = luminance_of(p).detach().requires_grad_(True)
        value = objective(video)[position]
        (saliency,) = torch.autograd.grad(value, video)
        with torch.no_grad():
            logits = decision_logits(circuit(video), spec)[0]
    optimised = video.detach()[0, 0].numpy()
    return xr.Dataset(
        {
            "video": variable(("time", "y", "x"), optimised, "optimised stimulus", LUMINANCE),
            "objective": variable("iteration", np.array(trace), "target response"),
            "decoder": variable("class", logits.numpy(), "decision-frame logit"),
            "saliency": variable(
                ("time", "y", "x"),
                saliency.abs()[0, 0].numpy(),
                "|d target / d luminance| at the optimised video",
            ),
        },
        coords={
            "time": ("time", np.arange(optimised.shape[0]), {"units": "frames"}),
            "y": ("y", np.arange(optimised.shape[1]), {"units": "pixels"}),
            "x": ("x", np.arange(optimised.shape[2]), {"units": "pixels"}),
            "class": list(spec.readout.classes),
        },
        attrs={
            "target": target,
            "position": list(position),
            "initial_activation": initial,
            "final_activation": float(value.detach()),
        },
    )


def luminance_of(p: torch.Tensor) -> torch.Tensor:
    """The luminance ``(tanh(p) + 1) / 2`` in [0, 1] of the unbounded parameter ``p``."""
    return (torch.tanh(p) + 1) / 2


def parameter_of(luminance: torch.Tensor) -> torch.Tensor:
    """The parameter ``p`` of ``luminance`` (:func:`luminance_of`'s inverse, clamped)."""
    return torch.atanh((2 * luminance - 1).clamp(-0.96, 0.96))


def ascend(
    p: torch.Tensor,
    objective: Callable[[torch.Tensor], torch.Tensor],
    optimiser: torch.optim.Optimizer,
    iterations: int,
    *,
    jitter: int = 0,
    blur_sigma: float = 0.0,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Gradient ascent of the scalar ``objective(luminance_of(p))`` on ``p`` (in place): its
    value at each step. ``jitter``: random shift of the video (pixels) per step;
    ``blur_sigma``: spatial blur of ``p`` after each step (pixels)."""
    trace = []
    for _ in range(iterations):
        luminance = luminance_of(p)
        if jitter:
            dy, dx = torch.randint(-jitter, jitter + 1, (2,), generator=generator).tolist()
            luminance = torch.roll(luminance, shifts=(dy, dx), dims=(3, 4))
        value = objective(luminance)
        (gradient,) = torch.autograd.grad(-value, p)
        p.grad = gradient
        optimiser.step()
        if blur_sigma > 0:
            with torch.no_grad():
                p.copy_(_blur(p, blur_sigma))
        trace.append(float(value.detach()))
    return trace


def _position(response: torch.Tensor) -> tuple[tuple[int, int], float]:
    """The unit to maximise on a ``(y, x)`` map and its distance from the centre (map pixels):
    the active unit nearest the centre (``inf`` when the whole map is silent)."""
    height, width = response.shape
    centre = (height // 2, width // 2)
    active = torch.nonzero(response > 0)
    if len(active) == 0:
        return centre, float("inf")
    distance = (active - torch.tensor(centre)).float().norm(dim=1)
    k = int(distance.argmin())
    return (int(active[k, 0]), int(active[k, 1])), float(distance[k])


def _starts(spec, shape, generator, init_scale: float, restarts: int):
    """Starting parameters ``p``: ``restarts + 1`` random draws, then task stimuli."""
    for _ in range(restarts + 1):
        yield (torch.rand(shape, generator=generator) * 2 - 1) * init_scale
    for video in task_videos(spec, restarts + 1):
        yield parameter_of(video[None])


def task_videos(spec, n: int) -> list[torch.Tensor]:
    """Task stimuli ``0 .. n - 1`` of the test seed, luminance ``(1, frames, y, x)`` each
    (none for an input of several channels)."""
    if spec.input.channels != 1:
        return []
    from retinasim.task import task_generator

    test = spec.training.stimulus_seeds.test
    return list(task_generator(spec).generate(range(n), seed=test).video)


def xt_slice(result: xr.Dataset, *, weighted: bool = True) -> xr.DataArray:
    """Space–time slice ``(time, x)`` of a :func:`maximise_activation` result.

    Luminance minus mid-grey (0.5): with ``weighted``, weighted by the saliency (what the
    target sees) and summed over rows ``y``; otherwise averaged over rows.
    """
    if not weighted:
        slice_ = (result["video"] - 0.5).mean("y")
        return slice_.assign_attrs(long_name="luminance - 0.5, row mean", units="luminance")
    slice_ = ((result["video"] - 0.5) * result["saliency"]).sum("y")
    return slice_.assign_attrs(long_name="saliency-weighted luminance - 0.5", units="a.u.")


def motion_index(xt: xr.DataArray) -> float:
    """Direction of motion in an x–t slice from its Fourier energy, in [-1, 1].

    A pattern ``f(x - v t)`` puts its energy where temporal and spatial frequency have
    opposite signs when ``v > 0``. Returns ``(E_right - E_left) / (E_right + E_left)``:
    positive for rightward (+x) motion, negative for leftward, 0 when there is none.
    """
    values = np.asarray(xt.transpose("time", "x").values, dtype=float)
    values = values - values.mean()
    energy = np.abs(np.fft.fft2(values)) ** 2
    ft = np.fft.fftfreq(values.shape[0])[:, None]
    fx = np.fft.fftfreq(values.shape[1])[None, :]
    right = energy[ft * fx < 0].sum()
    left = energy[ft * fx > 0].sum()
    total = right + left
    return float((right - left) / total) if total > 0 else 0.0


def structure_velocity(xt: xr.DataArray) -> float:
    """Slope of an x–t slice's structure, pixels/frame (> 0: rightward, +x).

    Weighted least squares of ``x`` on ``time`` with weights ``|xt|`` (a slice centred on its
    background, as :func:`xt_slice` returns): for a single
    moving bar it is the bar's velocity; for the two coincident inputs of a delay-and-compare
    detector it is their spacing over their delay.
    """
    values = np.asarray(xt.transpose("time", "x").values, dtype=float)
    weights = np.abs(values)
    total = weights.sum()
    if total <= 0:
        return 0.0
    t = np.arange(values.shape[0], dtype=float)[:, None]
    x = np.arange(values.shape[1], dtype=float)[None, :]
    mean_t = (weights * t).sum() / total
    mean_x = (weights * x).sum() / total
    variance = (weights * (t - mean_t) ** 2).sum()
    if variance <= 0:
        return 0.0
    return float((weights * (t - mean_t) * (x - mean_x)).sum() / variance)
