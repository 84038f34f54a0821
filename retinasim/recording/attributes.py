"""The attributes of a recording: provenance, the stimulus, the lesions, conventions.

``plugins`` lists the packages of the circuit's cell types, its training task and the
recorded stimulus kind as ``package==version`` (a single string for a single package, as
netCDF reads a list of one back).

Values are typed where netCDF and zarr attributes allow (numbers, strings, flat lists of
numbers or of strings): each stimulus parameter is ``stimulus_<name>`` and each lesioned
layer's silenced types are ``lesions_<layer>`` (type names). ``stimulus_parameters`` keeps the
generator's parameters exactly as JSON (``None`` values and all) for
:func:`~retinasim.recording.replay_stimuli`; ``circuit_spec`` is the circuit as YAML.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import yaml

from retinasim.stimuli import StimulusBatch

if TYPE_CHECKING:
    from retinasim.circuit import Circuit
    from retinasim.recording.layout import RecordingLayout
    from retinasim.stimuli import StimulusGenerator


def _flat(values: Sequence[Any]) -> Any:
    """A list attribute as netCDF reads it back: one value stands alone, none is ``""``."""
    if not values:
        return ""
    return values[0] if len(values) == 1 else list(values)


def _typed(value: Any) -> Any:
    """``value`` as a netCDF/zarr attribute, or None where it has no typed form (a list of
    one value is that value, as netCDF gives it back)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str | numbers.Number):
        return value
    if isinstance(value, list | tuple) and value:
        numbers_only = all(isinstance(v, numbers.Number) and not isinstance(v, bool) for v in value)
        if numbers_only or all(isinstance(v, str) for v in value):
            return _flat(value)
    return None


def recording_attrs(
    circuit: Circuit,
    stimuli: StimulusGenerator | StimulusBatch,
    seed: int,
    silenced: dict[str, list[int]],
    layout: RecordingLayout,
) -> dict[str, Any]:
    """Root attributes of a recording (netCDF-friendly scalars and flat lists)."""
    from retinasim.provenance import plugin_requirements, versions

    if isinstance(stimuli, StimulusBatch):
        stimulus_attrs = stimuli.attrs
        seed = int(stimulus_attrs.get("seed", -1))
    else:
        stimulus_attrs = stimuli.attrs(seed)
    parameters = stimulus_attrs.get("parameters", {})
    kind = str(stimulus_attrs.get("kind", ""))
    spec = circuit.spec
    spec_yaml = (
        "" if spec is None else yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False)
    )
    attrs = {
        "title": f"recording of circuit {circuit.plan.name}",
        "circuit": circuit.plan.name,
        "spec_hash": circuit.spec_hash,
        "circuit_spec": spec_yaml,
        **{f"{name}_version": value for name, value in versions().items()},
        "plugins": _flat(plugin_requirements(spec, stimulus_kinds=[kind])),
        "seed": int(seed),
        "stimulus_kind": kind,
        "stimulus_parameters": json.dumps(parameters),
        "frame_rate_hz": layout.frame_rate_hz,
        "frames_per_trial": int(layout.frames_per_trial),
        "direction_convention": str(stimulus_attrs.get("direction_convention", "")),
        "lesioned_layers": _flat([layer for layer in circuit.layer_names if layer in silenced]),
        "activity_units": "a.u. (arbitrary units: rectified filter outputs)",
        # the transform the circuit applies to the stimuli it is given
        "input_offset": float(circuit.plan.input_offset),
        "input_scale": float(circuit.plan.input_scale),
    }
    for name, value in parameters.items():
        typed = _typed(value)
        if typed is not None:
            attrs[f"stimulus_{name}"] = typed
    for layer, types in silenced.items():
        attrs[f"lesions_{layer}"] = _flat([circuit.type_names[layer][i] for i in types])
    return attrs


def lesions_of(attrs: dict) -> dict[str, list[str]]:
    """Layer → silenced type names, from a recording's attributes."""

    def as_list(value: Any) -> list[str]:  # (netCDF gives a list of one back as its value)
        return [value] if isinstance(value, str) else [str(v) for v in value]

    layers = as_list(attrs.get("lesioned_layers", ""))
    return {layer: as_list(attrs.get(f"lesions_{layer}", [])) for layer in layers if layer}
