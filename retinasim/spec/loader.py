"""Load a circuit file into a validated :class:`CircuitSpec`, reporting every problem at once.

Problems come as one :class:`~retinasim.errors.SpecError` holding a list of
``file:line:column: field.path: message`` issues: YAML syntax, unknown keys (with a "did you
mean"), wrong types, out-of-range values, unknown cell-type plugins, invalid plugin params,
dangling or duplicated connections, cycles and spatial shapes that disagree.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from retinasim.errors import SpecError, SpecIssue
from retinasim.spec.fields import allowed_keys
from retinasim.spec.graph import check_circuit, check_links
from retinasim.spec.models import CircuitSpec
from retinasim.spec.shipped import (
    is_circuit_name,
    shipped_circuits,
    unknown_circuit_message,
)
from retinasim.spec.training import TrainingSpec
from retinasim.spec.yaml_source import Path as DataPath
from retinasim.spec.yaml_source import SourceMap, read_yaml
from retinasim.util.reading import InputFileError, read_bounded
from retinasim.util.text import did_you_mean

MAX_FILE_BYTES = 1_000_000
"""Circuit files larger than this are refused (a circuit is a few kilobytes)."""


def read_circuit_text(path: str | Path) -> str:
    """Read a circuit file as UTF-8 text, with one clear error for anything else."""
    path = Path(path)
    name = str(path)
    if path.is_dir():
        raise SpecError.at(name, "is a directory, expected a circuit YAML file")
    try:
        raw = read_bounded(path, MAX_FILE_BYTES, "a circuit YAML file")
    except InputFileError as error:  # missing, a device, too large, ...
        raise SpecError.at(name, str(error).removeprefix(f"{path}: ")) from None
    if b"\x00" in raw:
        raise SpecError.at(name, "is a binary file, expected a circuit YAML file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"is not UTF-8 text (invalid byte at offset {error.start})"
        raise SpecError.at(name, message) from None


def resolve_circuit(source: str | Path) -> Path:
    """The file a circuit ``source`` names: an existing file as given, else the shipped
    circuit of that name (see :mod:`retinasim.spec.shipped`).

    A ``source`` that reads as a name (no folder, no suffix) but is neither raises
    :class:`SpecError` listing the shipped names; any other missing path is returned as is, for
    :func:`read_circuit_text` to report."""
    path = Path(source)
    if path.is_file() or not is_circuit_name(source):
        return path
    circuits = shipped_circuits()
    if str(source) in circuits:
        return circuits[str(source)].path
    if path.exists():
        return path  # a folder of that name: reported as a folder
    raise SpecError.at(str(source), unknown_circuit_message(str(source)))


def load_circuit(source: str | Path, *, text: str | None = None) -> CircuitSpec:
    """Load and fully validate a circuit: a YAML file, or a shipped circuit's name
    (``"murray2021"``, when no such file exists; see :func:`resolve_circuit`), or, with ``text``,
    the YAML text to parse, ``source`` naming it in messages.

    Raises :class:`SpecError` with every problem found, each placed at ``file:line:column``."""
    name = str(source)
    if text is None:
        path = resolve_circuit(source)
        name = str(path) if path != Path(source) else name
        text = read_circuit_text(path)
    data, positions = read_yaml(text, name)
    if data is None:
        message = (
            "file is empty; expected a circuit mapping with name, layers, connections and readout"
        )
        raise SpecError.at(name, message)
    if not isinstance(data, Mapping):
        raise SpecError(
            [positions.issue((), f"expected a mapping of circuit fields, got a {_yaml_type(data)}")]
        )
    issues = _plugin_issues(data, positions)
    try:
        spec = CircuitSpec.model_validate(data)
    except ValidationError as error:
        issues += _validation_issues(error, positions) + _link_issues(data, positions)
    else:
        issues += [positions.issue(path, message) for path, message in check_circuit(spec)]
    if issues:
        raise SpecError(sorted(issues, key=lambda i: (i.line or 0, i.column or 0)))
    return spec


def _link_issues(data: Mapping[str, Any], positions: SourceMap) -> list[SpecIssue]:
    """Name-level checks (see :func:`check_links`) on a file that failed validation."""
    layers, connections = data.get("layers"), data.get("connections")
    if not layers or not isinstance(layers, list):
        return []  # nothing to check names against; the missing layers are reported already

    def name(item: Any, key: str) -> str | None:  # None: not a name (reported already)
        value = item.get(key) if isinstance(item, Mapping) else None
        return value if isinstance(value, str) else None

    def delay(item: Any) -> int | None:  # None: not a delay (reported already)
        value = item.get("delay", 0) if isinstance(item, Mapping) else None
        valid = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return value if valid else None

    connections = connections if isinstance(connections, list) else []
    pairs = [(name(c, "source"), name(c, "target")) for c in connections]
    delays = [delay(c) for c in connections]
    layer_names = [name(layer, "name") for layer in layers]
    problems = check_links(layer_names, pairs, name(data.get("readout"), "layer"), delays=delays)
    return [positions.issue(path, message) for path, message in problems]


LEGACY_TRAINING_FIELDS = ("dropout_start", "dropout_ramp_steps", "dropout_cooldown_steps")
"""Training fields, in the order they were added, from before :func:`spec_hash` left fields
at their defaults out: run folders of that time hashed every field, so their hash is the
whole dump without the fields that did not exist yet (see :func:`accepted_spec_hashes`)."""


LEGACY_CONNECTION_FIELDS: dict[str, Any] = {"delay": 0, "upsample": [1, 1]}
"""Connection fields (with their defaults, as dumped to JSON) added after :func:`spec_hash`
left fields at their defaults out: no earlier run folder's whole-dump hash has them."""


def spec_hash(spec: CircuitSpec) -> str:
    """SHA-256 of the canonical JSON of ``spec`` (first 16 hex digits): names a circuit's
    content independently of formatting and comments. Fields at their default are left out,
    so a field added to a later version (at a default that changes nothing) keeps the hash of
    every existing circuit and run folder."""
    return _digest(spec.model_dump(mode="json", exclude_defaults=True))


def accepted_spec_hashes(spec: CircuitSpec) -> set[str]:
    """:func:`spec_hash` of ``spec`` and the hashes that earlier versions gave the same
    content (every field dumped, without the :data:`LEGACY_TRAINING_FIELDS` added after
    them, when those are at their default, and without the :data:`LEGACY_CONNECTION_FIELDS`
    at their default): what a run folder's checkpoint may carry."""
    data = spec.model_dump(mode="json")
    for connection in data["connections"]:
        for name, default in LEGACY_CONNECTION_FIELDS.items():  # added later: left out
            if connection[name] == default:
                del connection[name]
    hashes = {spec_hash(spec), _digest(data)}
    training = data["training"]
    for first in range(len(LEGACY_TRAINING_FIELDS)):
        later = LEGACY_TRAINING_FIELDS[first:]
        if all(training[name] == TrainingSpec.model_fields[name].default for name in later):
            older = {k: v for k, v in training.items() if k not in later}
            hashes.add(_digest({**data, "training": older}))
    return hashes


def _digest(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def cell_params(spec: CircuitSpec) -> dict[str, BaseModel]:
    """Every layer's validated cell-type ``Params`` instance, by layer name."""
    from retinasim.plugins import cell_types

    registry = cell_types()
    return {
        layer.name: registry[layer.cell_type].cell_type.Params.model_validate(layer.params)
        for layer in spec.layers
    }


def _yaml_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def _validation_issues(error: ValidationError, positions: SourceMap) -> list[SpecIssue]:
    """Turn pydantic errors into placed issues; union branches on one field are merged."""
    merged: dict[tuple[DataPath, bool], list[str]] = {}
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path, _, _ = positions.locate(loc)
        is_unknown_key = item["type"] == "extra_forbidden"
        if is_unknown_key:
            path, key = loc, str(loc[-1])
            known = allowed_keys(CircuitSpec, loc[:-1])
            listing = f" (expected one of: {', '.join(known)})" if known else ""
            message = f"unknown key {key!r}{did_you_mean(key, known)}{listing}"
        elif item["type"] == "missing":
            path = loc
            message = "required field is missing"
        else:
            message = _describe(item)
        messages = merged.setdefault((path, is_unknown_key), [])
        if message not in messages:
            messages.append(message)
    return [
        positions.issue(path, "; or ".join(messages), prefer_key=unknown)
        for (path, unknown), messages in merged.items()
    ]


def _describe(item: Mapping[str, Any]) -> str:
    message = re.sub(r" or instance of \w+", "", item["msg"].removeprefix("Value error, "))
    given = item.get("input")
    if item["type"] in {"enum", "literal_error"} and isinstance(given, str):
        options = [
            o.strip(" '")
            for o in message.split("should be", 1)[-1].replace(" or ", ",").split(",")
            if o.strip(" '")
        ]
        message += did_you_mean(given, options)
    if not isinstance(given, dict | list) and given is not None and "got" not in message:
        message += f" (got {given!r})"
    return message


def _plugin_issues(data: Mapping[str, Any], positions: SourceMap) -> list[SpecIssue]:
    """Unknown cell-type plugins and invalid plugin params, checked on the raw data."""
    from retinasim.plugins import cell_types
    from retinasim.plugins.manager import unknown_name_message

    layers = data.get("layers")
    if not isinstance(layers, list):
        return []
    registry = cell_types()
    issues: list[SpecIssue] = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, Mapping) or not isinstance(layer.get("cell_type"), str):
            continue
        name = layer["cell_type"]
        if name not in registry:
            message = unknown_name_message(
                "cell type", name, sorted(registry), listing="registered"
            )
            issues.append(positions.issue(("layers", i, "cell_type"), message))
            continue
        params = layer.get("params", {})
        if not isinstance(params, Mapping):
            continue  # the circuit model reports the wrong type
        model = registry[name].cell_type.Params
        try:
            model.model_validate(params)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                loc = ("layers", i, "params", *item["loc"])
                if item["type"] == "extra_forbidden":
                    key = str(item["loc"][-1])
                    known = sorted(model.model_fields)
                    message = (
                        f"unknown parameter {key!r} of cell type {name!r}"
                        f"{did_you_mean(key, known)} "
                        f"(expected one of: {', '.join(known) or 'none'})"
                    )
                    issues.append(positions.issue(loc, message, prefer_key=True))
                else:
                    issues.append(positions.issue(loc, f"{_describe(item)} (cell type {name!r})"))
    return issues
