"""``record``: run a circuit on stimuli and keep what the probes select, as labeled xarray.

The circuit runs in eval mode, one batch of trials at a time; each batch's probe outputs are
reduced (types, frames, space) on the circuit's device before they are copied out. The circuit
applies its own input transform (``input_offset``, ``input_scale``) to the luminance video, as
in training; the stimulus coordinates describe the stimuli themselves, so
:func:`~retinasim.recording.replay_stimuli` re-renders them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import xarray as xr

from retinasim.recording.attributes import recording_attrs as _attrs
from retinasim.recording.currents import record_current, source_map
from retinasim.recording.errors import RecordingError
from retinasim.recording.layout import RecordingLayout, resolve_layout
from retinasim.recording.probes import READOUT, Probe, parse_probe
from retinasim.recording.storage import RecordingWriter, check_target, open_recording
from retinasim.stimuli import StimulusBatch, StimulusGenerator
from retinasim.util import resources
from retinasim.util.progress import Progress
from retinasim.util.resources import available_memory, human

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

Lesions = Mapping[str, Iterable[int | str]]


def record(
    circuit: Circuit,
    stimuli: StimulusGenerator | StimulusBatch,
    probes: Sequence[Probe | str] | Probe | str,
    *,
    n: int | None = None,
    indices: Iterable[int] | None = None,
    seed: int = 0,
    batch_size: int = 16,
    lesions: Lesions | None = None,
    out: str | Path | None = None,
    progress: Progress | None = None,
) -> xr.DataTree:
    """Record ``circuit``'s responses to stimuli (its mode is restored afterwards).

    ``stimuli`` is a generator (trials ``indices``, default ``range(n)``, of the set ``seed`` are
    rendered batch by batch) or a ready :class:`~retinasim.stimuli.StimulusBatch`; ``probes`` are
    :class:`~retinasim.recording.Probe` objects or spec strings (``"ganglion:centre"``;
    ``"amacrine->ganglion:centre"`` records the drive that connection delivers,
    :mod:`~retinasim.recording.currents`). ``batch_size`` trials go through each forward pass (the
    chunk along ``trial`` of a file); a batch or in-memory recording that needs more memory than is
    available is refused first. ``lesions``: layer → cell types silenced on top of the circuit's
    own. With ``out`` (``.nc`` or ``.zarr``) the recording is streamed there and returned opened
    lazily. ``progress`` is told the trials recorded (task ``"recording"``).

    Returns an :class:`xarray.DataTree`: the stimulus parameters along ``trial`` at the root;
    one group per probed layer with one variable per probe, ``(trial, cell_type, frame[, y,
    x])`` or ``(trial, frame, class)`` for ``readout`` (:mod:`retinasim.recording.layout`).
    """
    listed = [probes] if isinstance(probes, Probe | str) else list(probes)
    parsed = [parse_probe(p) if isinstance(p, str) else p for p in listed]
    whole = isinstance(batch_size, int | np.integer) and not isinstance(batch_size, bool)
    if not whole or batch_size < 1:
        raise RecordingError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    frames, frame_rate, chosen = _trials(circuit, stimuli, n, indices)
    silenced = _lesioned(circuit, lesions)
    layout = resolve_layout(circuit, parsed, frames, frame_rate, silenced)
    _check_memory(circuit, layout, min(int(batch_size), len(chosen)), len(chosen), out)
    target = check_target(out) if out is not None else None
    batches = _batches(circuit, stimuli, chosen, seed=seed, size=batch_size, progress=progress)
    attrs = _attrs(circuit, stimuli, seed, silenced, layout)
    was_training = circuit.training
    circuit.eval()
    try:
        with circuit.lesioned(lesions or {}), torch.no_grad():
            if target is not None:
                return _stream(circuit, layout, batches, attrs, target)
            parts = [_record_batch(circuit, layout, batch, first) for batch, first in batches]
    finally:
        circuit.train(was_training)
    if not parts:
        raise RecordingError("no trials to record")
    groups = {}
    for path in parts[0]:
        group = xr.concat(
            [part[path] for part in parts],
            dim="trial",
            data_vars="minimal",
            coords="minimal",
            compat="override",
            join="exact",
        )
        groups[path] = group.assign_attrs(_group_attrs(path, attrs))
    return xr.DataTree.from_dict(groups)


def _group_attrs(path: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """The recording's attributes, and ``layer`` on a layer's group."""
    return dict(attrs) if path == "/" else {**attrs, "layer": path.strip("/")}


def _stream(
    circuit: Circuit,
    layout: RecordingLayout,
    batches: Iterable[tuple[StimulusBatch, int]],
    attrs: dict[str, Any],
    target: Path,
) -> xr.DataTree:
    with RecordingWriter(target) as writer:
        for batch, first in batches:
            writer.append(_record_batch(circuit, layout, batch, first))
        writer.close(attrs, {f"/{name}": _group_attrs(f"/{name}", attrs) for name in layout.groups})
    return open_recording(target)


def _record_batch(
    circuit: Circuit, layout: RecordingLayout, batch: StimulusBatch, first: int
) -> dict[str, xr.Dataset]:
    output = circuit.run(batch.video, layers=layout.layers)
    values: dict[str, np.ndarray] = {}
    for resolved in layout.probes:
        probe = resolved.probe
        frames = torch.as_tensor(resolved.frames, device=output.logits.device)
        if probe.source is not None:
            source = source_map(circuit, output, batch.video, probe.source)
            selected = record_current(
                circuit, probe, source, resolved.type_indices, resolved.frames, resolved.entries
            )
        elif probe.layer == READOUT:
            selected = output.logits.index_select(1, frames)
        else:
            activity = output.activity[resolved.probe.layer]
            types = torch.as_tensor(resolved.type_indices, device=activity.device)
            selected = probe.reduce(activity.index_select(1, types).index_select(2, frames))
        values[resolved.variable] = selected.float().cpu().numpy()
    metadata = dict(batch.metadata)
    if batch.labels is not None and batch.classes:
        metadata["label"] = np.asarray(batch.classes, dtype=object)[batch.labels.cpu().numpy()]
    return layout.batch_parts(values, metadata, first, batch.attrs.get("units", {}))


def _trials(
    circuit: Circuit,
    stimuli: StimulusGenerator | StimulusBatch,
    n: int | None,
    indices: Iterable[int] | None,
) -> tuple[int, float, Sequence[int]]:
    """Frames per trial, frame rate (Hz) and the stimulus indices to record (a batch: all of
    its trials)."""
    if isinstance(stimuli, StimulusBatch):
        if n is not None or indices is not None:
            raise RecordingError("n and indices apply to a stimulus generator, not a batch")
        spec_rate = circuit.spec.input.frame_rate if circuit.spec is not None else 30.0
        rate = float(stimuli.attrs.get("frame_rate_hz", spec_rate))
        return stimuli.frames, rate, range(len(stimuli))
    if not isinstance(stimuli, StimulusGenerator):
        raise RecordingError(
            f"stimuli must be a stimulus generator or a StimulusBatch, got {type(stimuli).__name__}"
        )
    if indices is None:
        if n is None or isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise RecordingError("give the number of trials n (>= 1) or the stimulus indices")
        return stimuli.frames, float(stimuli.frame_rate_hz), range(n)
    return stimuli.frames, float(stimuli.frame_rate_hz), [int(i) for i in indices]


def _batches(
    circuit: Circuit,
    stimuli: StimulusGenerator | StimulusBatch,
    chosen: Sequence[int],
    *,
    seed: int,
    size: int,
    progress: Progress | None = None,
) -> Iterator[tuple[StimulusBatch, int]]:
    """Yield ``(StimulusBatch, first trial number)`` on the circuit's device and dtype, telling
    ``progress`` the trials handed out before."""
    weight = circuit.readout.weight
    for first in range(0, len(chosen), size):
        if progress is not None:
            progress("recording", first, len(chosen))
        if isinstance(stimuli, StimulusBatch):
            part = stimuli.select(slice(first, first + size))
            part.video = part.video.to(device=weight.device, dtype=weight.dtype)
            yield part, first
        else:
            some = list(chosen[first : first + size])
            yield stimuli.generate(some, seed=seed, device=weight.device, dtype=weight.dtype), first
    if progress is not None:
        progress("recording", len(chosen), len(chosen))


def _lesioned(circuit: Circuit, lesions: Lesions | None) -> dict[str, list[int]]:
    """Layer → indices of the types silenced while recording (the circuit's own and these)."""
    from retinasim.circuit.lesions import resolve_lesions

    current = {layer: list(types) for layer, types in circuit.lesions.items()}
    for layer, types in resolve_lesions(lesions or {}, circuit.type_names).items():
        current[layer] = sorted({*current.get(layer, []), *types})
    return {layer: types for layer, types in current.items() if types}


def _check_memory(
    circuit: Circuit, layout: RecordingLayout, batch: int, trials: int, out: str | Path | None
) -> None:
    """Refuse, before anything is allocated, a batch of ``batch`` trials or an in-memory
    recording that needs more memory than is available (the estimate in the message)."""
    height, width = circuit.plan.input_size
    frames = layout.frames_per_trial
    video = float(frames) * height * width * circuit.plan.input_channels
    shapes = circuit.layer_shapes.values()  # (types, frames, y, x) at the circuit's frames
    activity = sum(float(np.prod(shape)) / shape[1] for shape in shapes) * frames
    currents = [p.probe for p in layout.probes if p.probe.source is not None]
    # a current probe convolves its source's chosen frames into its target's whole map
    per_current = [
        2 * float(np.prod(shape)) / shape[1]
        for shape in (circuit.layer_shapes[p.layer] for p in currents)
    ]
    step = batch * (3 * video + 2 * activity + sum(per_current) * frames) * 4  # float32
    kept = 0.0
    for group in layout.groups.values():
        units = float(np.prod(group.size)) if group.keeps_space and group.size else 1.0
        units *= len(group.positions or (None,))
        width_types = len(group.type_indices) or len(layout.classes)
        entries = sum(len(group.source_types) if p.probe.by_source else 1 for p in group.probes)
        kept += entries * width_types * len(group.frames) * units * 4
    total = step + (trials * kept if out is None else 0.0)
    available = available_memory()
    if available is None or total <= available or not resources.CHECK_MEMORY:
        return
    what = (
        f"recording {trials} trials in batches of {batch}"
        f" ({human(step)} a batch{'' if out is not None else f', {human(trials * kept)} kept'})"
    )
    hint = "use a smaller batch_size (--batch-size)"
    if out is None and trials * kept > available / 2:
        hint += " or stream to a file (out=..., --out)"
    raise RecordingError(
        f"{what} needs about {human(total)} ({int(total)} bytes) of memory but only "
        f"{human(available)} are available; {hint}"
    )
