"""The layout of a recording: dimensions, coordinates and attributes, and one batch as xarray.

Vocabulary (the same in every recording, see ``docs/recording.md``):

- ``trial``: one stimulus; every per-trial stimulus parameter (``s``, ``alpha``,
  ``fast_direction``, ``direction_deg``, ``speed``, ``seed``, ``index``, ...) is a coordinate
  along it, plus ``label`` (the correct answer's name) for a task.
- ``time``: frame index (``frame``), with ``time_s`` in seconds; ``frame_rate_hz`` in attrs.
- ``cell_type``: the union of the probed layers' cell types, in layer order, labelled by type
  name (``<layer>.<name>`` if a name repeats across layers), with coordinates ``layer``,
  ``type_index`` and ``sign`` (+1 excitatory, -1 inhibitory). A probe's variable is NaN on
  the types (and frames) it does not record.
- ``y``, ``x``: units of a layer's map, for full-map probes; when full maps of layers of
  different sizes share a recording, each layer gets its own ``y_<layer>``, ``x_<layer>``.
- ``class``: decoder outputs of the ``readout`` probe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from retinasim.record.errors import RecordingError
from retinasim.record.probes import READOUT, Probe

ACTIVITY_UNITS = "a.u."
"""Activity of the built-in cell types has arbitrary units (a rectified filter output)."""


@dataclass(frozen=True)
class ResolvedProbe:
    """A probe checked against a circuit: type indices, frames and dimension names."""

    probe: Probe
    type_indices: tuple[int, ...]
    frames: np.ndarray
    spatial_dims: tuple[str, str] | None
    unit: tuple[int, int] | None

    @property
    def variable(self) -> str:
        return self.probe.variable


@dataclass
class RecordingLayout:
    """Everything about a recording that does not change from batch to batch."""

    probes: list[ResolvedProbe]
    cell_labels: list[str]
    cell_layers: list[str]
    cell_indices: list[int]
    cell_signs: list[int]
    frames: np.ndarray
    frame_rate_hz: float
    layer_sizes: dict[str, tuple[int, int]]
    classes: list[str]

    @property
    def layers(self) -> list[str]:
        """Layers whose activity the circuit must return."""
        return sorted({p.probe.layer for p in self.probes if p.probe.layer != READOUT})

    def cell_position(self, layer: str, index: int) -> int:
        """Position along ``cell_type`` of type ``index`` of ``layer``."""
        for position, (name, number) in enumerate(
            zip(self.cell_layers, self.cell_indices, strict=True)
        ):
            if name == layer and number == index:
                return position
        raise KeyError((layer, index))

    def batch_dataset(
        self,
        values: dict[str, np.ndarray],
        metadata: dict[str, np.ndarray],
        first_trial: int,
        units: dict[str, str] | None = None,
    ) -> xr.Dataset:
        """One batch as a Dataset.

        Parameters
        ----------
        values
            Variable → probe output: ``(batch, n_selected_types, n_frames[, y, x])`` or, for
            the readout, ``(batch, n_frames, n_classes)``.
        metadata
            Per-trial stimulus parameters, ``(batch,)`` each.
        first_trial
            Trial number of the batch's first trial.
        units
            Stimulus parameter → its units (the stimulus batch's ``attrs["units"]``).
        """
        batch = len(next(iter(metadata.values())))
        data_vars = {}
        for resolved in self.probes:
            data_vars[resolved.variable] = self._variable(resolved, values[resolved.variable])
        coords = self._coords(batch, metadata, first_trial, units or {})
        return xr.Dataset(data_vars, coords=coords)

    def _variable(self, resolved: ResolvedProbe, value: np.ndarray) -> xr.Variable:
        time_positions = np.searchsorted(self.frames, resolved.frames)
        batch = value.shape[0]
        probe = resolved.probe
        if probe.layer == READOUT:
            full = np.full((batch, len(self.frames), len(self.classes)), np.nan, value.dtype)
            full[:, time_positions] = value
            attrs = {"long_name": "decoder output", "units": "logit"}
            return xr.Variable(("trial", "time", "class"), full, attrs)
        positions = [self.cell_position(probe.layer, i) for i in resolved.type_indices]
        shape = (batch, len(self.cell_labels), len(self.frames), *value.shape[3:])
        full = np.full(shape, np.nan, value.dtype)
        full[np.ix_(np.arange(batch), positions, time_positions)] = value
        dims = ("trial", "cell_type", "time", *(resolved.spatial_dims or ()))
        readout = {
            "centre": "centre unit",
            "position": "unit",
            "mean": "mean over space",
            "max": "max over space",
            "full": "map",
        }[probe.space]
        attrs = {
            "long_name": f"{probe.layer} activity, {readout}",
            "units": ACTIVITY_UNITS,
            "layer": probe.layer,
            "space": probe.space,
        }
        if resolved.unit is not None:
            attrs["unit_y"], attrs["unit_x"] = resolved.unit
        return xr.Variable(dims, full, attrs)

    def _coords(self, batch: int, metadata: dict, first: int, units: dict[str, str]) -> dict:
        trial = np.arange(first, first + batch)
        coords: dict = {
            "trial": ("trial", trial, {"long_name": "trial", "units": "1"}),
            "time": ("time", self.frames, {"long_name": "frame", "units": "frame"}),
            "time_s": (
                "time",
                self.frames / self.frame_rate_hz,
                {"long_name": "time", "units": "s"},
            ),
        }
        if any(p.probe.layer != READOUT for p in self.probes):
            coords["cell_type"] = (
                "cell_type",
                np.array(self.cell_labels, dtype=object),
                {"long_name": "cell type"},
            )
            coords["layer"] = (
                "cell_type",
                np.array(self.cell_layers, dtype=object),
                {"long_name": "layer"},
            )
            coords["type_index"] = (
                "cell_type",
                np.array(self.cell_indices),
                {"long_name": "type index within its layer", "units": "1"},
            )
            coords["sign"] = (
                "cell_type",
                np.array(self.cell_signs),
                {"long_name": "sign onto targets (+1 excitatory, -1 inhibitory)", "units": "1"},
            )
        if any(p.probe.layer == READOUT for p in self.probes):
            coords["class"] = (
                "class",
                np.array(self.classes, dtype=object),
                {"long_name": "decoder output"},
            )
        for resolved in self.probes:
            if resolved.spatial_dims:
                size = self.layer_sizes[resolved.probe.layer]
                for dim, length in zip(resolved.spatial_dims, size, strict=True):
                    axis = "row" if dim.startswith("y") else "column"
                    coords[dim] = (
                        dim,
                        np.arange(length),
                        {"long_name": f"{resolved.probe.layer} map {axis}", "units": "unit"},
                    )
        for name, values in metadata.items():
            if name in coords:
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
    circuit, probes: list[Probe], frames: int, frame_rate_hz: float
) -> RecordingLayout:
    """Check ``probes`` against ``circuit`` and lay out the recording.

    Parameters
    ----------
    circuit
        A compiled :class:`~retinasim.circuit.Circuit`.
    probes
        At least one; variable names must be unique.
    frames
        Frames of every stimulus video.
    frame_rate_hz
        Frames per second of the stimuli.
    """
    if not probes:
        raise RecordingError("no probes: give at least one (e.g. ganglion:centre)")
    names = [p.variable for p in probes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise RecordingError(f"two probes fill the variable(s) {', '.join(repeated)}; name them")
    sizes = {name: tuple(shape[2:]) for name, shape in circuit.layer_shapes.items()}
    full_sizes = {sizes[p.layer] for p in probes if p.keeps_space and p.layer in sizes}
    resolved = [_resolve(circuit, p, frames, sizes, len(full_sizes) > 1) for p in probes]
    chosen = {(p.probe.layer, i) for p in resolved for i in p.type_indices}
    labels, layers, indices, signs = [], [], [], []
    for layer in circuit.layer_names:
        for index, name in enumerate(circuit.type_names[layer]):
            if (layer, index) in chosen:
                labels.append(name)
                layers.append(layer)
                indices.append(index)
                signs.append(-1 if circuit.plan.layer(layer).inhibitory else 1)
    if len(set(labels)) < len(labels):
        labels = [f"{layer}.{name}" for layer, name in zip(layers, labels, strict=True)]
    all_frames = np.unique(np.concatenate([p.frames for p in resolved]))
    return RecordingLayout(
        probes=resolved,
        cell_labels=labels,
        cell_layers=layers,
        cell_indices=indices,
        cell_signs=signs,
        frames=all_frames,
        frame_rate_hz=float(frame_rate_hz),
        layer_sizes=sizes,
        classes=list(circuit.classes),
    )


def _resolve(circuit, probe: Probe, frames: int, sizes: dict, per_layer_space: bool):
    chosen_frames = probe.frame_indices(frames)
    if probe.layer == READOUT:
        if READOUT in circuit.type_names:
            raise RecordingError(
                f"the circuit has a layer named {READOUT!r}, which clashes with the decoder "
                "probe; rename the layer"
            )
        return ResolvedProbe(probe, (), chosen_frames, None, None)
    if probe.layer not in circuit.type_names:
        known = ", ".join([*circuit.layer_names, READOUT])
        raise RecordingError(f"probe {probe.variable!r}: unknown layer {probe.layer!r} ({known})")
    names = circuit.type_names[probe.layer]
    indices = (
        tuple(range(len(names)))
        if probe.cell_types is None
        else tuple(_type_index(probe, ref, names) for ref in probe.cell_types)
    )
    unit = None
    if probe.space in ("centre", "position"):
        unit = probe.unit(sizes[probe.layer])
    dims = None
    if probe.keeps_space:
        dims = (f"y_{probe.layer}", f"x_{probe.layer}") if per_layer_space else ("y", "x")
    return ResolvedProbe(probe, indices, chosen_frames, dims, unit)


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
