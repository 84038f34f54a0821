"""``record``: run a circuit on stimuli and keep what the probes select, as labeled xarray.

The circuit runs in eval mode under ``torch.no_grad()``, one batch of trials at a time; each
batch's probe outputs are reduced (types, frames, space) on the circuit's device before they
are copied out, so memory holds one batch of the probed layers. With ``out=`` every batch is
appended to the file as it is made (see :mod:`retinasim.record.storage`) and the recording is
returned opened lazily.

The circuit sees the stimuli through its training input transform (``input_offset``,
``input_scale`` of the spec's ``training`` section, :func:`retinasim.train.data.circuit_input`),
exactly as in training and evaluation; the recording's stimulus coordinates describe the
stimuli themselves (luminance), so :func:`~retinasim.record.replay_stimuli` re-renders them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from retinasim.record.errors import RecordingError
from retinasim.record.layout import RecordingLayout, resolve_layout
from retinasim.record.probes import READOUT, Probe, parse_probe
from retinasim.record.storage import RecordingWriter, check_target, open_recording
from retinasim.stimuli import StimulusBatch, StimulusGenerator


def record(
    circuit,
    stimuli: StimulusGenerator | StimulusBatch,
    probes: Sequence[Probe | str] | Probe | str,
    *,
    n: int | None = None,
    indices: Iterable[int] | None = None,
    seed: int = 0,
    batch_size: int = 16,
    lesions: Mapping[str, Iterable[int | str]] | None = None,
    out: str | Path | None = None,
) -> xr.Dataset:
    """Record a circuit's responses to stimuli.

    Parameters
    ----------
    circuit
        A compiled :class:`~retinasim.circuit.Circuit` (its mode is restored afterwards).
    stimuli
        A generator (renders trials ``indices`` of the set ``seed``, one batch at a time) or a
        ready :class:`~retinasim.stimuli.StimulusBatch`.
    probes
        :class:`~retinasim.record.Probe` objects or spec strings (``"ganglion:centre"``).
    n, indices
        With a generator: stimulus indices to record (default ``range(n)``).
    seed
        Seed of the stimulus set (generator only).
    batch_size
        Trials per forward pass; also the chunk size along ``trial`` of a file.
    lesions
        Layer → cell types to silence during the recording, on top of the circuit's own.
    out
        ``.nc`` or ``.zarr``: stream the recording there and return it opened lazily.

    Returns
    -------
    xarray.Dataset
        One variable per probe: ``(trial, cell_type, time[, y, x])``, or ``(trial, time,
        class)`` for ``readout``; coordinates and attributes in ``docs/recording.md``.
    """
    probes = [probes] if isinstance(probes, Probe | str) else list(probes)
    probes = [parse_probe(p) if isinstance(p, str) else p for p in probes]
    if batch_size < 1:
        raise RecordingError(f"batch_size must be at least 1, got {batch_size}")
    frames, frame_rate = _frames_and_rate(circuit, stimuli)
    layout = resolve_layout(circuit, probes, frames, frame_rate)
    batches = _batches(circuit, stimuli, n=n, indices=indices, seed=seed, size=batch_size)
    attrs = _attrs(circuit, stimuli, seed, lesions)
    was_training = circuit.training
    circuit.eval()
    try:
        with circuit.lesioned(lesions or {}), torch.no_grad():
            if out is not None:
                return _stream(circuit, layout, batches, attrs, check_target(out))
            parts = [_record_batch(circuit, layout, batch, first) for batch, first in batches]
    finally:
        circuit.train(was_training)
    if not parts:
        raise RecordingError("no trials to record")
    recording = xr.concat(
        parts, dim="trial", data_vars="minimal", coords="minimal", compat="override", join="exact"
    )
    recording.attrs.update(attrs)
    return recording


def _stream(circuit, layout, batches, attrs: dict, target: Path) -> xr.Dataset:
    with RecordingWriter(target) as writer:
        for batch, first in batches:
            writer.append(_record_batch(circuit, layout, batch, first))
        writer.close(attrs)
    return open_recording(target)


def _circuit_input(circuit, video: torch.Tensor) -> torch.Tensor:
    """``video`` as the circuit saw it in training (its spec's input transform, if any)."""
    training = getattr(getattr(circuit, "spec", None), "training", None)
    if training is None:
        return video
    from retinasim.train.data import circuit_input

    return circuit_input(video, training)


def _record_batch(circuit, layout: RecordingLayout, batch: StimulusBatch, first: int) -> xr.Dataset:
    output = circuit.run(_circuit_input(circuit, batch.video), layers=layout.layers)
    values: dict[str, np.ndarray] = {}
    for resolved in layout.probes:
        frames = torch.as_tensor(resolved.frames, device=output.logits.device)
        if resolved.probe.layer == READOUT:
            selected = output.logits.index_select(1, frames)
        else:
            activity = output.activity[resolved.probe.layer]
            types = torch.as_tensor(resolved.type_indices, device=activity.device)
            selected = resolved.probe.reduce(
                activity.index_select(1, types).index_select(2, frames)
            )
        values[resolved.variable] = selected.float().cpu().numpy()
    metadata = dict(batch.metadata)
    if batch.labels is not None and batch.classes:
        metadata["label"] = np.asarray(batch.classes, dtype=object)[batch.labels.cpu().numpy()]
    return layout.batch_dataset(values, metadata, first, batch.attrs.get("units", {}))


def _frames_and_rate(circuit, stimuli) -> tuple[int, float]:
    if isinstance(stimuli, StimulusBatch):
        return stimuli.frames, float(stimuli.attrs.get("frame_rate_hz", _spec_rate(circuit)))
    if isinstance(stimuli, StimulusGenerator):
        return stimuli.frames, float(stimuli.frame_rate_hz)
    raise RecordingError(
        f"stimuli must be a stimulus generator or a StimulusBatch, got {type(stimuli).__name__}"
    )


def _spec_rate(circuit) -> float:
    spec = getattr(circuit, "spec", None)
    return float(getattr(getattr(spec, "input", None), "frame_rate", 30.0))


def _batches(circuit, stimuli, *, n, indices, seed: int, size: int) -> Iterator:
    """Yield ``(StimulusBatch, first trial number)`` on the circuit's device and dtype."""
    weight = circuit.readout.weight
    if isinstance(stimuli, StimulusBatch):
        if n is not None or indices is not None:
            raise RecordingError("n and indices apply to a stimulus generator, not a batch")
        for first in range(0, len(stimuli), size):
            part = stimuli.select(slice(first, first + size))
            part.video = part.video.to(device=weight.device, dtype=weight.dtype)
            yield part, first
        return
    if indices is None:
        if n is None or n < 1:
            raise RecordingError("give the number of trials n (>= 1) or the stimulus indices")
        indices = range(n)
    chosen = [int(i) for i in indices]
    for first in range(0, len(chosen), size):
        part = chosen[first : first + size]
        yield stimuli.generate(part, seed=seed, device=weight.device, dtype=weight.dtype), first


def _input_transform(circuit) -> dict:
    """``input_offset``/``input_scale`` applied to the stimuli before the circuit (attrs)."""
    training = getattr(getattr(circuit, "spec", None), "training", None)
    if training is None:
        return {"input_offset": 0.0, "input_scale": 1.0}
    return {
        "input_offset": float(training.input_offset),
        "input_scale": float(training.input_scale),
    }


def _attrs(circuit, stimuli, seed: int, lesions) -> dict:
    """Dataset attributes: provenance, stimulus and conventions (netCDF-friendly scalars)."""
    from retinasim.train.provenance import versions

    if isinstance(stimuli, StimulusBatch):
        stimulus_attrs = stimuli.attrs
        seed = int(stimulus_attrs.get("seed", -1))
    else:
        stimulus_attrs = stimuli.attrs(seed)
    current = {layer: list(types) for layer, types in circuit.lesions.items()}
    for layer, types in (lesions or {}).items():
        current.setdefault(layer, []).extend(types)
    attrs = {
        "title": f"recording of circuit {circuit.plan.name}",
        "circuit": circuit.plan.name,
        "spec_hash": circuit.spec_hash,
        **{f"{name}_version": value for name, value in versions().items()},
        "seed": int(seed),
        "stimulus_kind": str(stimulus_attrs.get("kind", "")),
        "stimulus_parameters": json.dumps(stimulus_attrs.get("parameters", {})),
        "stimulus_units": json.dumps(stimulus_attrs.get("units", {})),
        "frame_rate_hz": float(stimulus_attrs.get("frame_rate_hz", _spec_rate(circuit))),
        "direction_convention": str(stimulus_attrs.get("direction_convention", "")),
        "lesions": json.dumps(current, default=str),
        "activity_units": "a.u. (arbitrary units: rectified filter outputs)",
        **_input_transform(circuit),
    }
    return attrs
