"""The layout of a recording: one group per probed layer, and one batch as its datasets.

A recording is an :class:`xarray.DataTree` (vocabulary in ``docs/recording.md``):

- ``/``: dimension ``trial`` with every per-trial stimulus parameter (``s``, ``alpha``,
  ``direction_deg``, ``stimulus_seed``, ``index``, ..., and ``label`` for a task) as a
  coordinate along it; the recording's attributes.
- ``/<layer>``, one per probed layer: ``cell_type`` (with ``layer``, ``type_index``, ``sign``,
  ``lesioned``), ``frame`` (with ``time`` in seconds), ``y``, ``x`` when a probe keeps the map,
  ``unit`` (with ``unit_y``, ``unit_x``) for a ``positions`` probe; one variable per probe,
  NaN only on the types and frames that another probe of the layer records and it does not.
  Current probes ``SOURCE->LAYER`` (:mod:`retinasim.recording.currents`) live in the target
  layer's group, ``<layer>_from_<source>_<space>``; split by source type they add the
  dimension ``source_type`` (with ``source_layer``, ``source_type_index``, ``source_sign``;
  the union of the group's split probes' entries, NaN where a probe has none).
- ``/readout``: the decoder's outputs ``(trial, frame, class)``.

Every group repeats the stimulus parameters and the attributes (and ``layer``), so that
``tree["ganglion"].to_dataset()`` is a complete, flat recording of one layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from retinasim.circuit.plan import INPUT
from retinasim.recording.currents import (
    SourceEntry,
    check_connection,
    current_attrs,
    source_entries,
    source_type_coords,
)
from retinasim.recording.errors import RecordingError
from retinasim.recording.probes import READOUT, Probe

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

ACTIVITY_UNITS = "a.u."
"""Activity of the built-in cell types has arbitrary units (a rectified filter output)."""

TRIAL_RENAMES = {"seed": "stimulus_seed"}
"""Stimulus metadata stored under another name: ``seed`` stays free for a dimension of
model seeds when recordings of several trained models are stacked."""

_SPACE_NAMES = {
    "centre": "centre unit",
    "position": "unit",
    "positions": "units",
    "mean": "mean over space",
    "max": "max over space",
    "full": "map",
}


@dataclass(frozen=True)
class ResolvedProbe:
    """A probe checked against a circuit: type indices, frames and the unit it reads (and,
    for a current probe, its attributes and its ``source_type`` entries when split)."""

    probe: Probe
    type_indices: tuple[int, ...]
    frames: np.ndarray
    unit: tuple[int, int] | None
    entries: tuple[SourceEntry, ...] = ()
    current: dict | None = None

    @property
    def variable(self) -> str:
        return self.probe.variable


@dataclass
class GroupLayout:
    """One group of the recording: a probed layer (or the readout) and its probes."""

    name: str
    probes: list[ResolvedProbe]
    type_indices: list[int]
    type_names: list[str]
    sign: int
    lesioned: list[bool]
    frames: np.ndarray
    size: tuple[int, int] | None
    positions: tuple[tuple[int, int], ...] | None = None
    source_types: list[SourceEntry] = field(default_factory=list)

    @property
    def keeps_space(self) -> bool:
        return any(p.probe.keeps_space for p in self.probes)


@dataclass
class RecordingLayout:
    """Everything about a recording that does not change from batch to batch."""

    groups: dict[str, GroupLayout]
    frame_rate_hz: float
    frames_per_trial: int
    classes: list[str]

    @property
    def probes(self) -> list[ResolvedProbe]:
        return [p for group in self.groups.values() for p in group.probes]

    @property
    def layers(self) -> list[str]:
        """Layers whose activity the circuit must return (current probes': their sources)."""
        sources = {p.probe.source for p in self.probes if p.probe.source is not None}
        return sorted({*self.groups, *sources} - {READOUT, INPUT})

    def batch_parts(
        self,
        values: dict[str, np.ndarray],
        metadata: dict[str, np.ndarray],
        first_trial: int,
        units: dict[str, str] | None = None,
    ) -> dict[str, xr.Dataset]:
        """One batch as a Dataset per group: ``{"/": trial coordinates, "/<group>": ...}``.

        ``values``: variable → probe output, ``(batch, selected types, selected frames[, y,
        x])`` or ``(batch, frames, classes)`` for the readout; ``metadata``: the per-trial
        stimulus parameters, ``(batch,)`` each, with their ``units``; ``first_trial``: the
        trial number of the batch's first trial.
        """
        batch = len(next(iter(metadata.values())))
        trial = _trial_coords(batch, metadata, first_trial, units or {})
        parts = {"/": xr.Dataset(coords=trial)}
        # xarray's groups inherit only indexed coordinates: each group keeps the stimulus
        # parameters along trial itself, so that one group alone is a complete recording
        per_trial = {name: value for name, value in trial.items() if name != "trial"}
        for name, group in self.groups.items():
            data = {p.variable: self._variable(group, p, values[p.variable]) for p in group.probes}
            coords = {**per_trial, **self._group_coords(group)}
            parts[f"/{name}"] = xr.Dataset(data, coords=coords)
        return parts

    def _variable(
        self, group: GroupLayout, resolved: ResolvedProbe, value: np.ndarray
    ) -> xr.Variable:
        time_positions = np.searchsorted(group.frames, resolved.frames)
        batch = value.shape[0]
        probe = resolved.probe
        if probe.layer == READOUT:
            full = np.full((batch, len(group.frames), len(self.classes)), np.nan, value.dtype)
            full[:, time_positions] = value
            attrs: dict[str, str | int] = {"long_name": "decoder output", "units": "logit"}
            return xr.Variable(("trial", "frame", "class"), full, attrs)
        index = [
            np.arange(batch),
            np.asarray([group.type_indices.index(i) for i in resolved.type_indices]),
        ]
        sizes = [batch, len(group.type_indices)]
        dims: tuple[str, ...] = ("trial", "cell_type")
        if probe.by_source:
            index.append(np.asarray([group.source_types.index(e) for e in resolved.entries]))
            sizes.append(len(group.source_types))
            dims += ("source_type",)
        index.append(time_positions)
        shape = (*sizes, len(group.frames), *value.shape[len(index) :])
        if shape == value.shape:
            full = value
        else:
            full = np.full(shape, np.nan, value.dtype)
            full[np.ix_(*index)] = value
        space_dims = {"full": ("y", "x"), "positions": ("unit",)}.get(probe.space, ())
        dims += ("frame", *space_dims)
        attrs = resolved.current or {
            "long_name": f"{probe.layer} activity, {_SPACE_NAMES[probe.space]}",
            "units": ACTIVITY_UNITS,
            "layer": probe.layer,
            "space": probe.space,
        }
        if resolved.unit is not None:
            attrs["unit_y"], attrs["unit_x"] = resolved.unit
        return xr.Variable(dims, full, attrs)

    def _group_coords(self, group: GroupLayout) -> dict:
        frames = group.frames
        coords: dict = {
            "frame": _coord("frame", frames, "frame", "1"),
            "time": _coord("frame", frames / self.frame_rate_hz, "time", "s"),
        }
        if group.name == READOUT:
            coords["class"] = _coord(
                "class", np.array(self.classes, dtype=object), "decoder output"
            )
            return coords
        n = len(group.type_indices)
        per_type = {
            "cell_type": (group.type_names, object, f"{group.name} cell type", None),
            "layer": ([group.name] * n, object, "layer", None),
            "type_index": (group.type_indices, np.int64, "type index within its layer", "1"),
            "sign": (
                [group.sign] * n,
                np.int64,
                "sign onto targets (+1 excitatory, -1 inhibitory)",
                "1",
            ),
            "lesioned": (group.lesioned, bool, "silenced during the recording", None),
        }
        for name, (values, dtype, long_name, units) in per_type.items():
            coords[name] = _coord("cell_type", np.array(values, dtype=dtype), long_name, units)
        if group.source_types:
            coords.update(source_type_coords(group.source_types))
        if group.positions is not None:
            positions = np.array(group.positions, dtype=np.int64)  # (unit, 2)
            for column, axis in enumerate(("y", "x")):
                long_name = f"unit's {group.name} map {axis}"
                coords[f"unit_{axis}"] = _coord("unit", positions[:, column], long_name, "unit")
        if group.keeps_space and group.size is not None:
            for dim, length, axis in zip(("y", "x"), group.size, ("row", "column"), strict=True):
                coords[dim] = _coord(dim, np.arange(length), f"{group.name} map {axis}", "unit")
        return coords


def _coord(dim: str, values: np.ndarray, long_name: str, units: str | None = None) -> tuple:
    """A coordinate ``(dim, values, attrs)`` with its ``long_name`` (and ``units``)."""
    attrs = {"long_name": long_name} if units is None else {"long_name": long_name, "units": units}
    return dim, values, attrs


def _trial_coords(batch: int, metadata: dict, first: int, units: dict[str, str]) -> dict:
    coords: dict = {"trial": _coord("trial", np.arange(first, first + batch), "trial", "1")}
    for name, values in metadata.items():
        name = TRIAL_RENAMES.get(name, name)
        if name in coords or name in ("frame", "time", "cell_type", "class", "y", "x"):
            raise RecordingError(f"stimulus metadata {name!r} clashes with a coordinate")
        array = np.asarray(values)
        if array.dtype.kind in "US":
            array = array.astype(object)
        coords[name] = ("trial", array, _parameter_attrs(name, array, units))
    return coords


def _parameter_attrs(name: str, values: np.ndarray, units: dict[str, str]) -> dict[str, str]:
    """``long_name`` and ``units`` of a stimulus parameter; ``units`` holds the text before
    the first comma of the generator's unit note, ``description`` the whole note."""
    attrs = {"long_name": name.replace("_", " ")}
    note = units.get(name)
    if note:
        attrs["units"] = note.split(",")[0].strip()
        if "," in note:
            attrs["description"] = note
    elif values.dtype.kind in "iub":
        attrs["units"] = "1"
    return attrs


def resolve_layout(
    circuit: Circuit,
    probes: list[Probe],
    frames: int,
    frame_rate_hz: float,
    lesioned: dict[str, list[int]] | None = None,
) -> RecordingLayout:
    """Check ``probes`` (at least one, unique variable names) against ``circuit`` and lay out
    the recording of stimuli of ``frames`` frames; ``lesioned``: layer → indices of the types
    silenced during the recording."""
    if not probes:
        raise RecordingError("no probes: give at least one (e.g. ganglion:centre)")
    names = [p.variable for p in probes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise RecordingError(f"two probes fill the variable(s) {', '.join(repeated)}; name them")
    sizes = {name: (shape[2], shape[3]) for name, shape in circuit.layer_shapes.items()}
    resolved = [_resolve(circuit, p, frames, sizes) for p in probes]
    order = [*circuit.layer_names, READOUT]
    groups: dict[str, GroupLayout] = {}
    for layer in sorted({p.probe.layer for p in resolved}, key=order.index):
        members = [p for p in resolved if p.probe.layer == layer]
        indices = sorted({i for p in members for i in p.type_indices})
        silenced = set((lesioned or {}).get(layer, []))
        positions = {p.probe.positions for p in members if p.probe.space == "positions"}
        if len(positions) > 1:  # they share the dimension unit
            raise RecordingError(
                f"the {layer} probes read different positions; one list of positions per layer"
            )
        groups[layer] = GroupLayout(
            name=layer,
            probes=members,
            type_indices=indices,
            type_names=[circuit.type_names[layer][i] for i in indices],
            sign=-1 if layer != READOUT and circuit.plan.layer(layer).inhibitory else 1,
            lesioned=[i in silenced for i in indices],
            frames=np.unique(np.concatenate([p.frames for p in members])),
            size=sizes.get(layer),
            positions=positions.pop() if positions else None,
            source_types=_union_entries(circuit, members),
        )
    return RecordingLayout(
        groups=groups,
        frame_rate_hz=float(frame_rate_hz),
        frames_per_trial=int(frames),
        classes=list(circuit.classes),
    )


def _resolve(
    circuit: Circuit, probe: Probe, frames: int, sizes: dict[str, tuple[int, int]]
) -> ResolvedProbe:
    chosen_frames = probe.frame_indices(frames)
    if probe.layer == READOUT:
        if READOUT in circuit.type_names:
            raise RecordingError(
                f"the circuit has a layer named {READOUT!r}, which clashes with the decoder "
                "probe; rename the layer"
            )
        return ResolvedProbe(probe, (), chosen_frames, None)
    if probe.layer not in circuit.type_names:
        known = ", ".join([*circuit.layer_names, READOUT])
        raise RecordingError(f"probe {probe.variable!r}: unknown layer {probe.layer!r} ({known})")
    names = circuit.type_names[probe.layer]
    entries: tuple[SourceEntry, ...] = ()
    current = None
    if probe.source is not None:
        check_connection(circuit, probe)
        entries = source_entries(circuit, probe) if probe.by_source else ()
        current = current_attrs(circuit, probe, _SPACE_NAMES[probe.space])
    indices = (
        tuple(range(len(names)))
        if probe.cell_types is None
        else tuple(_type_index(probe, ref, names) for ref in probe.cell_types)
    )
    unit = probe.unit(sizes[probe.layer]) if probe.space in ("centre", "position") else None
    for y, x in probe.positions or ():  # (space "positions" only)
        probe.unit_inside(y, x, sizes[probe.layer])
    return ResolvedProbe(probe, indices, chosen_frames, unit, entries, current)


def _union_entries(circuit: Circuit, members: list[ResolvedProbe]) -> list[SourceEntry]:
    """The ``source_type`` entries of a group's split current probes: by source (the input,
    then the layers in order), types in index order, each source's bias last."""
    order = [INPUT, *circuit.layer_names]
    entries = {e for p in members for e in p.entries}
    return sorted(entries, key=lambda e: (order.index(e.layer), e.index < 0, e.index))


def _type_index(probe: Probe, ref: int | str, names: list[str]) -> int:
    if isinstance(ref, int):
        if not 0 <= ref < len(names):
            raise RecordingError(
                f"probe {probe.variable!r}: {probe.layer} has types 0..{len(names) - 1}, not {ref}"
            )
        return ref
    if ref not in names:
        raise RecordingError(
            f"probe {probe.variable!r}: {probe.layer} has no type {ref!r} ({', '.join(names)})"
        )
    return names.index(ref)
