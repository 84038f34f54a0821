"""Current probes ("voltage clamp in silico"): the drive one connection delivers to its target.

A probe ``SOURCE->TARGET`` (:class:`~retinasim.recording.probes.Probe` with ``source``)
records, for each probed type of ``TARGET``, the part of its drive (the input of its
cell-type module) that the connection delivers: the source's recorded activity (lesions
applied: a silenced type delivers nothing; from ``input``, the stimulus as the circuit sees
it) convolved with the connection's own weights (stride, padding), **signed** (an
inhibitory source's output arrives negated, as in the circuit) and with the connection's
bias, without dropout (eval mode). The currents of all connections into a layer sum to its
drive. With ``by_source`` the current is split along ``source_type``: one entry per source
type, ``(trial, cell_type, source_type, frame[, ...])``, and the bias an entry of its own
(``bias_from_<source>``), so that the entries sum to the whole.

The currents are recomputed from the source's activity with the connection's module
(:meth:`~retinasim.circuit.Circuit.connection_drive`), not read from the pass, which runs
the connections of one source as one fused convolution. A delayed (feedback, lateral)
connection reads its source ``delay`` frames earlier, at rest (0) before the first frame
(:func:`source_frames`); an upsampled one, the source map upsampled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from retinasim.circuit.plan import INPUT
from retinasim.recording.errors import RecordingError
from retinasim.recording.probes import Probe

if TYPE_CHECKING:
    from retinasim.circuit import Circuit, CircuitOutput

CURRENT_UNITS = "a.u."
"""Currents are drives, in the arbitrary units of the activity that produces them."""


@dataclass(frozen=True)
class SourceEntry:
    """One entry of a by-source current's ``source_type`` dimension: type ``index`` (``-1``:
    the connection's bias) of ``layer`` (a layer or ``input``), called ``name``, entering
    its target with ``sign`` (+1, or -1 from an inhibitory layer; +1 for a bias)."""

    layer: str
    index: int
    name: str
    sign: int


def check_connection(circuit: Circuit, probe: Probe) -> None:
    """Refuse (:class:`RecordingError`) a current probe whose source is no layer of
    ``circuit`` (nor ``input``) or whose connection the circuit does not have."""
    assert probe.source is not None and probe.connection is not None
    if probe.source != INPUT and probe.source not in circuit.type_names:
        known = ", ".join([INPUT, *circuit.layer_names])
        raise RecordingError(
            f"probe {probe.variable!r}: unknown source layer {probe.source!r} ({known})"
        )
    if probe.connection not in circuit.connections:
        into = [c.key for c in circuit.plan.connections if c.target == probe.layer]
        raise RecordingError(
            f"probe {probe.variable!r}: the circuit has no connection {probe.connection} "
            f"(connections into {probe.layer}: {', '.join(into) or 'none'})"
        )


def source_sign(circuit: Circuit, source: str) -> int:
    """+1, or -1 for an inhibitory source layer (how its output enters its targets)."""
    return -1 if source != INPUT and circuit.plan.layer(source).inhibitory else 1


def source_entries(circuit: Circuit, probe: Probe) -> tuple[SourceEntry, ...]:
    """The ``source_type`` entries of a by-source current probe: every source type in index
    order (input channels ``input_<c>``), then the bias if the connection has one."""
    assert probe.source is not None and probe.connection is not None
    source = probe.source
    names = (
        [f"{INPUT}_{c}" for c in range(circuit.plan.input_channels)]
        if source == INPUT
        else circuit.type_names[source]
    )
    sign = source_sign(circuit, source)
    entries = [SourceEntry(source, i, name, sign) for i, name in enumerate(names)]
    if circuit.connection(probe.connection).bias is not None:
        entries.append(SourceEntry(source, -1, f"bias_from_{source}", 1))
    return tuple(entries)


def source_type_coords(entries: list[SourceEntry]) -> dict[str, tuple]:
    """Coordinates along ``source_type`` of a group: ``source_type`` (the type's name, or
    ``<layer>:<name>`` for all when two source layers share a name; ``bias_from_<source>``),
    ``source_layer``, ``source_type_index`` (-1: the bias) and ``source_sign``."""
    names = [e.name for e in entries]
    if len(set(names)) < len(names):
        names = [e.name if e.index < 0 else f"{e.layer}:{e.name}" for e in entries]
    columns = {
        "source_type": (names, object, "source cell type (or the connection's bias)", None),
        "source_layer": ([e.layer for e in entries], object, "source layer", None),
        "source_type_index": (
            [e.index for e in entries],
            np.int64,
            "type index within the source layer (-1: the connection's bias)",
            "1",
        ),
        "source_sign": (
            [e.sign for e in entries],
            np.int64,
            "sign onto the target (+1 excitatory, -1 inhibitory)",
            "1",
        ),
    }
    coords = {}
    for name, (values, dtype, long_name, units) in columns.items():
        attrs = {"long_name": long_name, **({"units": units} if units else {})}
        coords[name] = ("source_type", np.array(values, dtype=dtype), attrs)
    return coords


def current_attrs(circuit: Circuit, probe: Probe, space_name: str) -> dict[str, Any]:
    """The attributes of a current probe's variable: what it is, source, target, sign, units."""
    assert probe.source is not None
    sign = source_sign(circuit, probe.source)
    split = ", by source type" if probe.by_source else ""
    return {
        "long_name": f"drive from {probe.source} to {probe.layer}, {space_name}{split}",
        "units": CURRENT_UNITS,
        "description": (
            f"drive (arbitrary units) that the connection {probe.connection} delivers to the "
            f"{probe.layer} types: the source's activity convolved with its weights, "
            f"{'negated (inhibitory source)' if sign < 0 else 'as is (excitatory source)'}, "
            "plus its bias"
            + (" (the source_type entry bias_from_" + probe.source + ")" if probe.by_source else "")
            + "; no dropout; the currents of all connections into a layer sum to its drive"
        ),
        "quantity": "current",
        "layer": probe.layer,
        "source": probe.source,
        "target": probe.layer,
        "connection": str(probe.connection),
        "sign": sign,
        "space": probe.space,
    }


def source_map(
    circuit: Circuit, output: CircuitOutput, video: torch.Tensor, source: str
) -> torch.Tensor:
    """What a connection from ``source`` reads, ``(batch, source types, time, y, x)``: the
    layer's recorded activity (``output.activity``) or the stimulus as the circuit sees it."""
    return circuit.seen_input(video) if source == INPUT else output.activity[source]


def source_frames(circuit: Circuit, probe: Probe, frames: np.ndarray) -> np.ndarray:
    """Frames of the source map that produce the probe's ``frames`` of the target: each
    ``delay`` frames earlier for a delayed connection (negative: before the first frame, when
    the source is at rest), else the same frames."""
    assert probe.connection is not None
    return frames - circuit.connection(probe.connection).plan.delay


def record_current(
    circuit: Circuit,
    probe: Probe,
    source: torch.Tensor,
    type_indices: tuple[int, ...],
    frames: np.ndarray,
    entries: tuple[SourceEntry, ...] = (),
) -> torch.Tensor:
    """A current probe's values for one batch: ``(batch, types, frames[, ...])``, or with
    ``by_source`` ``(batch, types, entries, frames[, ...])``, the spatial read-out applied.

    ``source``: :func:`source_map` ``(batch, source types, time, y, x)``; ``type_indices``:
    the target types; ``frames``: the target frames; ``entries``: :func:`source_entries`.
    Only the chosen frames are convolved; a by-source split is computed one source type at a
    time, so memory holds one current's map at once.
    """
    assert probe.connection is not None
    chosen = torch.as_tensor(source_frames(circuit, probe, frames), device=source.device)
    source = source.index_select(2, chosen.clamp(min=0))
    at_rest = (chosen < 0).nonzero().squeeze(1)
    if at_rest.numel():
        source = source.index_fill(2, at_rest, 0.0)
    types = torch.as_tensor(type_indices, device=source.device)

    def read(drive: torch.Tensor) -> torch.Tensor:
        return probe.reduce(drive.index_select(1, types))

    if not probe.by_source:
        return read(circuit.connection_drive(probe.connection, source, aligned=True))
    parts = [
        read(
            circuit.connection_drive(
                probe.connection, source, source_types=[entry.index], bias=False, aligned=True
            )
        )
        for entry in entries
        if entry.index >= 0
    ]
    bias = circuit.connection(probe.connection).bias
    if any(entry.index < 0 for entry in entries) and bias is not None:  # the last entry
        constant = bias.index_select(0, types).to(source.dtype)
        shape = parts[0].shape
        parts.append(constant.view(1, -1, *[1] * (len(shape) - 2)).expand(shape))
    return torch.stack(parts, dim=2)
