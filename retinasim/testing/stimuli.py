"""Contract checks of a stimulus kind (:class:`retinasim.plugins.StimulusParams` and its
generator) and of a task (a kind with ``classes``).

Units: video luminance in ``[0, 1]`` (0 black, 1 white); time in frames; space in pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from retinasim.compile import compile_circuit
from retinasim.errors import StimulusError
from retinasim.plugins import RegisteredStimulus, stimuli
from retinasim.stimuli import StimulusBatch, StimulusGenerator
from retinasim.task import EVALUATION_PARAMETERS, task_generator
from retinasim.testing.circuits import no_error, raised, registered_entry, small_circuit

__all__ = ["check_stimulus_kind", "check_task", "held_out_accuracy", "registered_stimulus"]

BASE_BAD_PARAMETERS = ({"height": 0}, {"width": -1}, {"frames": 0}, {"frame_rate_hz": 0})
"""Values of the inherited parameters that every kind refuses."""


def check_stimulus_kind(
    kind: type | str,
    parameters: Mapping[str, Any] | None = None,
    *,
    bad_parameters: Iterable[Mapping[str, Any]] = (),
    package: str | None = None,
    size: tuple[int, int] = (16, 24),
    frames: int = 6,
    n: int = 6,
    seed: int = 0,
    varies: bool = True,
    random: bool = True,
) -> None:
    """Check a registered stimulus kind against the contracts of
    :class:`~retinasim.plugins.StimulusParams` and :class:`~retinasim.stimuli.StimulusGenerator`
    (each failure an AssertionError saying what broke): its registration
    (:func:`registered_stimulus`; ``kind``: the parameter model or generator class, or the
    name; ``package``: the distribution that must provide it), its generator importing and
    subclassing both; ``parameters`` validate (``height``, ``width``, ``frames`` default to
    ``size`` and ``frames``), while an unknown parameter, bad inherited values (``height: 0``,
    ...) and each of ``bad_parameters`` raise one one-line StimulusError naming the kind;
    ``n`` stimuli of set ``seed`` render as float32 ``(n, 1, frames, height, width)`` (float64
    when asked), finite, in ``[0, 1]``, with metadata per trial and int64 labels ``(n,)``
    indexing ``classes`` for a task (else None); the same ``(seed, index)`` renders the same
    bits, metadata and labels alone or in any batch order; with ``varies`` (false for a kind
    that renders one stimulus) other indices, and with ``random`` (false for a kind that draws
    nothing) another seed, render other videos.
    """
    entry = registered_stimulus(kind, package=package)
    given = dict(parameters or {})
    for bad in (*BASE_BAD_PARAMETERS, {"not_a_parameter": 1}, *bad_parameters):
        _check_refused(entry, {**given, **bad})
    parameters = {"height": size[0], "width": size[1], "frames": frames, **given}
    with no_error(f"{entry.params.__name__}(**{parameters!r})"):
        entry.params(**parameters)
    generator = _generator(entry)(**parameters)
    batch = _render(generator, range(n), seed)
    _check_batch(batch, generator, n)
    _check_seeding(generator, batch, seed)
    _check_variety(generator, batch, seed, varies=varies, random=random)


def registered_stimulus(kind: type | str, *, package: str | None = None) -> RegisteredStimulus:
    """The registry's entry of ``kind`` (a class or a name), checking its registration
    (:func:`~retinasim.testing.circuits.registered_entry`), its definition and its classes."""
    name = kind if isinstance(kind, str) else getattr(kind, "kind", None)
    entry = registered_entry("stimulus kind", name, stimuli(), package)
    if not isinstance(kind, str):
        assert isinstance(kind, type) and issubclass(kind, entry.params), (
            f"stimulus kind {name!r} is registered by plugin {entry.plugin!r} "
            f"({entry.package}) as {entry.params!r}, which {kind!r} does not subclass"
        )
    assert entry.params.check_definition() is None, entry.params.check_definition()
    assert len(set(entry.classes)) == len(entry.classes), f"classes repeat: {entry.classes}"
    return entry


def check_task(
    kind: type | str,
    parameters: Mapping[str, Any] | None = None,
    *,
    size: tuple[int, int] = (16, 16),
    frames: int = 6,
    n: int = 64,
    seed: int = 0,
    balanced: bool = True,
) -> None:
    """Check a task (a stimulus kind with ``classes``) for training a circuit on it.

    Checks: the kind (class or name) is a registered task with at least two classes; a small
    circuit (:func:`~retinasim.testing.circuits.small_circuit`, input ``size`` pixels and
    ``frames`` frames) with ``training: {stimulus: {kind, **parameters}}`` and the task's
    classes validates; :func:`retinasim.task.task_generator` builds its generator; ``n``
    trials of set ``seed`` have labels in ``range(len(classes))`` with every class present
    and, with ``balanced``, each class's share within 4 standard errors of
    ``1 / len(classes)``; the circuit's logits give a finite cross-entropy whose gradient
    reaches the readout; a task with ``alpha``, ``s`` and ``s_range`` parameters (evaluable
    by alpha) renders at another alpha with per-trial ``s`` and ``fast_direction`` metadata.
    """
    entry = registered_stimulus(kind)
    classes = entry.classes
    assert len(classes) >= 2, f"{entry.name!r} is not a task: `classes` has {len(classes)}"
    stimulus = {"kind": entry.name, **(parameters or {})}
    options = {"size": size, "frames": frames, "classes": classes, "stimulus": stimulus}
    with no_error(f"a small circuit training on {entry.name!r}"):
        spec = small_circuit(**options)
        generator = task_generator(spec)
    assert isinstance(generator, _generator(entry)), (
        f"task_generator built {type(generator).__name__}"
    )
    batch = _render(generator, range(n), seed)
    _check_labels(batch.labels, classes, balanced)
    _check_circuit_learns(spec, batch, seed)
    if set(entry.params.model_fields) >= EVALUATION_PARAMETERS:
        _check_evaluable(spec, seed)


def held_out_accuracy(features: np.ndarray, labels: np.ndarray, train: int) -> float:
    """Accuracy on rows ``train:`` of an L2-regularised logistic regression of binary ``labels``
    ``(trials,)`` on ``features`` ``(trials, n)`` fit on the first ``train`` rows: a decoder
    of a task's candidate leaks (0.5 is chance)."""
    mean, std = features[:train].mean(0), features[:train].std(0) + 1e-12
    inputs = torch.tensor((features - mean) / std)
    inputs = torch.cat([inputs, torch.ones(len(inputs), 1, dtype=inputs.dtype)], dim=1)
    targets = torch.tensor(labels, dtype=inputs.dtype)
    weights = torch.zeros(inputs.shape[1], dtype=inputs.dtype, requires_grad=True)
    optimiser = torch.optim.LBFGS([weights], max_iter=200, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        logits = inputs[:train] @ weights
        value = F.binary_cross_entropy_with_logits(logits, targets[:train])
        value = value + 1e-3 * weights[:-1].square().sum()
        value.backward()
        return value

    optimiser.step(loss)
    predictions = (inputs[train:] @ weights.detach()) > 0
    return float((predictions == targets[train:].bool()).double().mean())


def _generator(entry: RegisteredStimulus) -> type[StimulusGenerator]:
    with no_error(f"importing the generator of {entry.name!r}"):
        generator = entry.generator_class()
    assert issubclass(generator, StimulusGenerator) and issubclass(generator, entry.params), (
        f"the generator of {entry.name!r}, {generator!r}, must subclass {entry.params.__name__} "
        f"and retinasim.stimuli.StimulusGenerator"
    )
    return generator


def _check_refused(entry: RegisteredStimulus, bad: dict[str, Any]) -> None:
    with no_error(f"{entry.params.__name__}(**{bad!r}) raising a StimulusError"):
        error = raised(StimulusError, lambda: entry.params(**bad))
    assert error, f"{entry.params.__name__} accepts the bad parameters {bad!r}"
    text = str(error)
    assert "\n" not in text and text.startswith(f"invalid {entry.name} parameters"), (
        f"the error of {bad!r} is not one line starting 'invalid {entry.name} parameters': {text!r}"
    )


def _render(
    generator: StimulusGenerator, indices: Iterable[int], seed: int, **options: Any
) -> StimulusBatch:
    indices = list(indices)
    with no_error(f"rendering stimuli {indices} of seed {seed} with {generator!r}"):
        return generator.generate(indices, seed=seed, **options)


def _check_batch(batch: StimulusBatch, generator: StimulusGenerator, n: int) -> None:
    shape = (n, 1, generator.frames, generator.height, generator.width)
    video = batch.video
    assert tuple(video.shape) == shape, f"video {tuple(video.shape)}, expected {shape}"
    assert video.dtype == torch.float32, f"video is {video.dtype}, expected float32"
    assert torch.isfinite(video).all(), "the video is not finite"
    low, high = float(video.min()), float(video.max())
    assert low >= 0.0 and high <= 1.0, f"luminance spans [{low}, {high}], outside [0, 1]"
    for name, values in batch.metadata.items():
        assert np.shape(values) == (n,), f"metadata {name!r} is not one value per trial"
    if generator.classes:
        _check_labels(batch.labels, generator.classes, balanced=False)
    else:
        assert batch.labels is None, "a kind without classes returned labels"
    double = _render(generator, range(2), 0, dtype=torch.float64).video
    assert double.dtype == torch.float64, f"asked for float64, got {double.dtype}"


def _check_labels(labels: torch.Tensor | None, classes: tuple[str, ...], balanced: bool) -> None:
    assert labels is not None, "a task returned no labels"
    assert labels.dtype == torch.int64, f"labels are {labels.dtype}, expected int64"
    k = len(classes)
    assert labels.min() >= 0 and labels.max() < k, f"labels outside range({k}) of {classes}"
    if not balanced:
        return
    counts = torch.bincount(labels, minlength=k).tolist()
    n = len(labels)
    share, tolerance = 1 / k, 4 * math.sqrt((1 / k) * (1 - 1 / k) / n)
    assert all(count > 0 and abs(count / n - share) <= tolerance for count in counts), (
        f"labels are unbalanced: {dict(zip(classes, counts, strict=True))} of {n}"
    )


def _check_seeding(generator: StimulusGenerator, batch: StimulusBatch, seed: int) -> None:
    n = len(batch)
    again = _render(generator, range(n), seed)
    reordered = _render(generator, [n - 1, 0], seed)
    assert torch.equal(again.video, batch.video), "the same seed renders other videos"
    assert torch.equal(reordered.video[0], batch.video[n - 1]), (
        "a stimulus depends on the others in its batch: draw with retinasim.stimuli.rng per "
        "(seed, index), not with a stateful generator"
    )
    for name, values in batch.metadata.items():
        assert np.array_equal(again.metadata[name], values), f"metadata {name!r} is not seeded"
    if batch.labels is not None:
        same = again.labels is not None and torch.equal(again.labels, batch.labels)
        assert same, "the same seed gives other labels"


def _check_variety(
    generator: StimulusGenerator, batch: StimulusBatch, seed: int, *, varies: bool, random: bool
) -> None:
    if varies:
        assert any(not torch.equal(batch.video[0], video) for video in batch.video[1:]), (
            f"all {len(batch)} stimuli are the same (pass varies=False for a kind that renders "
            f"one stimulus)"
        )
    if random:
        other = _render(generator, range(len(batch)), seed + 1).video
        assert not torch.equal(other, batch.video), (
            "another seed renders the same videos (random=False: a kind that draws nothing)"
        )


def _check_circuit_learns(spec: Any, batch: StimulusBatch, seed: int) -> None:
    assert batch.labels is not None, "a task's stimuli carry labels"  # (checked before)
    with no_error("compiling the small circuit and its forward and backward pass"):
        circuit = compile_circuit(spec, seed=seed)
        logits = circuit(batch.video)
        loss = F.cross_entropy(logits[:, -1], batch.labels)
        loss.backward()
    k = len(spec.readout.classes)
    assert logits.shape[0] == len(batch) and logits.shape[-1] == k, (
        f"logits {tuple(logits.shape)}, expected ({len(batch)}, frames, {k})"
    )
    assert torch.isfinite(loss), "the task's loss is not finite"
    grad = circuit.readout.weight.grad
    assert grad is not None and torch.isfinite(grad).all(), "no gradient reaches the readout"


def _check_evaluable(spec: Any, seed: int) -> None:
    with no_error("task_generator(spec, alpha=1.5)"):
        generator = task_generator(spec, alpha=1.5)
    batch = _render(generator, range(4), seed)
    missing = {"s", "fast_direction"} - set(batch.metadata)
    assert not missing, (
        f"a task with {sorted(EVALUATION_PARAMETERS)} is evaluated by alpha and needs the "
        f"per-trial metadata {sorted(missing)}"
    )
