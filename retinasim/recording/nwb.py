"""Export a recording to Neurodata Without Borders (NWB 2, through pynwb; core types only).

The trials are laid end to end on the file's clock (trial ``k`` from ``k × T`` to
``(k + 1) × T``, ``T = frames_per_trial / frame_rate_hz``). The file holds the trials table
(one column per stimulus parameter), one ``TimeSeries`` per probe and cell type
(``<variable>_<cell type>``, its ``comments`` as JSON), optionally Poisson spike trains of the
single-unit probes in the Units table, and the spec, provenance, stimulus and lesions as
metadata; ``docs/recording.md``, "NWB export", gives the details.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from retinasim.recording.attributes import lesions_of
from retinasim.recording.errors import RecordingError
from retinasim.recording.probes import READOUT
from retinasim.recording.storage import check_target, remove_stale_temporaries, temporary_suffix
from retinasim.util.files import atomic_path, make_folder

if TYPE_CHECKING:
    from pynwb import NWBFile

RESERVED_COLUMNS = ("id", "start_time", "stop_time", "tags", "timeseries")
"""Trials-table names a stimulus parameter may not take (prefixed ``stimulus_``)."""

_PROVENANCE = (
    "circuit",
    "spec_hash",
    "seed",
    "frame_rate_hz",
    "frames_per_trial",
    "input_offset",
    "input_scale",
    "direction_convention",
    "activity_units",
)


def require_pynwb() -> ModuleType:
    """The ``pynwb`` module, or a :class:`RecordingError` saying how to install it."""
    try:
        import pynwb
    except ImportError:
        raise RecordingError(
            "NWB export needs pynwb: pip install retinasim[nwb] (or pip install pynwb)"
        ) from None
    return pynwb


def to_nwb(
    recording: xr.DataTree | xr.Dataset,
    path: str | Path,
    *,
    spikes: bool = False,
    seed: int = 0,
    spike_rate_hz: float = 10.0,
) -> Path:
    """Write ``recording`` (:func:`~retinasim.recording.record`'s tree, or one group of it as a
    Dataset) to the NWB file ``path`` atomically; layout in the module docstring.

    ``spikes``: also draw Poisson spike trains (seeded with ``seed``) from the single-unit
    rates into the Units table, ``spike_rate_hz`` (Hz) for an activity of 1 a.u. (rates are
    ``spike_rate_hz × max(r, 0)``).
    """
    require_pynwb()
    from pynwb import NWBHDF5IO, NWBFile

    path = check_target(path, (".nwb",))
    if isinstance(recording, xr.DataTree):
        root = recording.to_dataset()
        groups = [node.to_dataset() for node in recording.children.values()]
    elif isinstance(recording, xr.Dataset):
        root, groups = recording, [recording]
    else:
        raise RecordingError(
            f"to_nwb takes a recording (DataTree or Dataset), not {type(recording)}"
        )
    attrs = dict(recording.attrs)
    rate = float(attrs.get("frame_rate_hz", 0) or 0)
    frames = int(attrs.get("frames_per_trial", 0) or 0)
    if rate <= 0 or frames <= 0:
        raise RecordingError("to_nwb needs a recording's frame_rate_hz and frames_per_trial")
    duration, n_trials = frames / rate, root.sizes["trial"]
    lesions = "; ".join(
        f"{layer}: {', '.join(types)}" for layer, types in lesions_of(attrs).items()
    )
    nwbfile = NWBFile(
        session_description=(
            f"retinasim model recording: circuit {attrs.get('circuit', '?')}, "
            f"{attrs.get('stimulus_kind', 'stimulus')} stimuli, {n_trials} trials"
        ),
        identifier=str(uuid.uuid4()),
        session_start_time=datetime.now(timezone.utc),
        session_id=str(attrs.get("spec_hash", "")) or None,
        experiment_description=str(attrs.get("circuit_spec", "")) or None,
        notes=json.dumps(
            {
                **{k: _plain(attrs[k]) for k in _PROVENANCE if k in attrs},
                **{k: str(v) for k, v in attrs.items() if k.endswith("_version")},
            }
        ),
        stimulus_notes=json.dumps(
            {
                "kind": str(attrs.get("stimulus_kind", "")),
                "parameters": json.loads(attrs.get("stimulus_parameters", "{}") or "{}"),
            }
        ),
        pharmacology=f"silenced cell types: {lesions}" if lesions else None,
        source_script=f"retinasim {attrs.get('retinasim_version', '')}".strip(),
        source_script_file_name="retinasim",
        keywords=["retinasim", "model", "in silico"],
    )
    _trials(nwbfile, root, duration)
    units = []
    for group in groups:
        units += _series(nwbfile, group, rate, duration, n_trials)
    if spikes:
        _spikes(nwbfile, units, rate, duration, seed, spike_rate_hz)
    make_folder(path.parent)
    remove_stale_temporaries(path)
    with (
        atomic_path(path, suffix=temporary_suffix(".nwb")) as temporary,
        NWBHDF5IO(str(temporary), "w") as io,
    ):
        io.write(nwbfile)
    return path


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray | np.generic) else value


def _trials(nwbfile: NWBFile, root: xr.Dataset, duration: float) -> None:
    columns = {}
    for name, coord in root.coords.items():
        if coord.dims != ("trial",) or name == "trial":
            continue
        column = f"stimulus_{name}" if name in RESERVED_COLUMNS else str(name)
        units = coord.attrs.get("units")
        description = str(coord.attrs.get("long_name", name)) + (f" [{units}]" if units else "")
        nwbfile.add_trial_column(name=column, description=description)
        values = np.asarray(coord.values)
        columns[column] = values.astype(str) if values.dtype.kind in "OUST" else values
    for position, trial in enumerate(np.asarray(root["trial"].values)):
        row = {column: _plain(values[position]) for column, values in columns.items()}
        nwbfile.add_trial(
            start_time=position * duration,
            stop_time=(position + 1) * duration,
            id=int(trial),
            **row,
        )


def _series(
    nwbfile: NWBFile, group: xr.Dataset, rate: float, duration: float, n_trials: int
) -> list:
    """Add one TimeSeries per variable and cell type (and source type, for a current split
    by source) of ``group``; returns the single units ``(name, data (trial, time), frames,
    comments)`` of activity for spike trains."""
    from pynwb import TimeSeries

    units = []
    for variable, array in group.data_vars.items():
        array = array.transpose("trial", ...).load()
        frames = np.asarray(array["frame"].values)
        typed = "cell_type" in array.dims
        current = array.attrs.get("quantity") == "current"
        for part in _parts(array):
            values = np.asarray(part.values)
            keep = ~np.isnan(values).reshape(values.shape[0], values.shape[1], -1).all(axis=(0, 2))
            if not keep.any():
                continue  # a type (or source type) another probe of this layer records
            values, kept = values[:, keep], frames[keep]
            name, description = str(variable), str(array.attrs.get("long_name", variable))
            comments: dict[str, Any] = {
                "variable": str(variable),
                "layer": str(array.attrs.get("layer", READOUT)),
                "space": str(array.attrs.get("space", "")),
                "frames": kept.tolist(),
            }
            for dim, coords, what in _LABELS:
                if dim in array.dims:
                    label = str(part[dim].values)
                    name, description = f"{name}_{label}", f"{description}, {what} {label}"
                    comments[dim] = label
                    comments.update({c: _plain(part[c].values) for c in coords if c in part.coords})
            if current:
                comments.update({k: _plain(array.attrs[k]) for k in _CURRENT if k in array.attrs})
                comments["connection_sign"] = _plain(array.attrs.get("sign", 1))
                description += f"; {array.attrs.get('description', '')}"
            if "unit_y" in array.attrs:
                comments["unit"] = [int(array.attrs["unit_y"]), int(array.attrs["unit_x"])]
            if "class" in array.dims:
                comments["class"] = [str(c) for c in array["class"].values]
            timing: dict = {"rate": rate, "starting_time": 0.0}
            if not np.array_equal(kept, np.arange(round(duration * rate))):
                timing = {
                    "timestamps": (np.arange(n_trials)[:, None] * duration + kept / rate).ravel()
                }
            name = re.sub(r"[/:]", "_", name)
            nwbfile.add_acquisition(
                TimeSeries(
                    name=name,
                    data=values.reshape(n_trials * len(kept), *values.shape[2:]),
                    unit=str(array.attrs.get("units", "a.u.")),
                    description=description,
                    comments=json.dumps(comments),
                    **timing,
                )
            )
            if typed and not current and array.attrs.get("space") in ("centre", "position"):
                units.append((name, values, kept, comments))
    return units


_LABELS = (
    ("cell_type", ("type_index", "sign", "lesioned"), "cell type"),
    ("source_type", ("source_layer", "source_type_index", "source_sign"), "source type"),
)
"""Dimensions split into one series per label: name, coordinates kept in ``comments``, and
their words in the description."""
_CURRENT = ("quantity", "source", "target", "connection")
"""Attributes of a current probe's variable kept in its series' ``comments`` (and its
``sign`` as ``connection_sign``)."""


def _parts(array: xr.DataArray) -> list[xr.DataArray]:
    """``array`` split along ``cell_type`` and ``source_type`` (those it has): one part per
    combination, ``(trial, frame, ...)`` each."""
    parts = [array]
    for dim, _, _ in _LABELS:
        if dim in array.dims:
            parts = [part.isel({dim: k}) for part in parts for k in range(array.sizes[dim])]
    return parts


def _spikes(
    nwbfile: NWBFile, units: list, rate: float, duration: float, seed: int, gain: float
) -> None:
    if not units:
        raise RecordingError(
            "spike trains need a single-unit probe (LAYER:centre or LAYER:pos=Y,X)"
        )
    if not np.isfinite(gain) or gain < 0:
        raise RecordingError(f"spike_rate_hz must be a non-negative number, got {gain}")
    nwbfile.add_unit_column(name="series", description="TimeSeries of the unit's rate")
    nwbfile.add_unit_column(name="layer", description="layer of the cell type")
    nwbfile.add_unit_column(name="cell_type", description="cell type")
    rng = np.random.default_rng(seed)
    dt = 1.0 / rate
    for name, values, frames, comments in units:
        starts = np.arange(values.shape[0])[:, None] * duration + frames[None, :] * dt
        expected = gain * np.clip(values, 0.0, None) * dt  # (trial, time)
        counts = rng.poisson(expected)
        times = np.repeat(starts.ravel(), counts.ravel())
        times = np.sort(times + rng.random(times.size) * dt)
        nwbfile.add_unit(
            spike_times=times,
            series=name,
            layer=comments["layer"],
            cell_type=comments["cell_type"],
        )
