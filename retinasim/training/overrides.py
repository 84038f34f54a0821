"""Command-line overrides of a circuit's training settings, validated like the file itself."""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from retinasim.spec import CircuitSpec
from retinasim.spec.yaml_source import MAX_DEPTH
from retinasim.training.errors import TrainingError
from retinasim.util import assignments

TOP_LEVEL = {"dropout"}
"""Circuit fields (outside ``training``) that may be overridden for a run."""


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"key=value"`` → ``(key, value)``; the value is read as YAML (``1e-3``, ``null``)."""
    key, value = assignments.parse_assignment(
        text, "--set", read=read_value, error=TrainingError, example="learning_rate=3e-3"
    )
    if key.count(".") >= MAX_DEPTH:
        shown = reprlib.repr(key)
        raise TrainingError(f"--set {shown}: no setting is nested {MAX_DEPTH} levels deep")
    return key, value


def read_value(raw: str, what: str) -> Any:
    """A command-line value read as YAML, with the circuit loader's limits (size, nesting,
    aliases, plain tags only; see :mod:`retinasim.spec.yaml_source`)."""
    from retinasim.errors import SpecError
    from retinasim.spec.yaml_source import read_yaml

    if not raw.strip():
        return None
    try:
        value, _ = read_yaml(raw, what)
    except SpecError as error:
        reasons = "; ".join(issue.message for issue in error.issues)
        raise TrainingError(f"{what}: cannot read the value as YAML ({reasons})") from None
    return value


def apply_overrides(spec: CircuitSpec, overrides: Mapping[str, Any]) -> CircuitSpec:
    """``spec`` with ``overrides`` applied and everything validated again (a
    :class:`TrainingError` names each bad override and why).

    ``overrides``: dotted keys relative to the ``training`` section (``learning_rate``,
    ``stimulus.alpha``, ``stimulus_seeds.train``; a ``training.`` prefix is allowed), or
    ``dropout``; a ``None`` value sets the field to null.
    """
    data = spec.model_dump(mode="json")
    given: dict[tuple[str, ...], str] = {}
    for key, value in overrides.items():
        top = key.split(".")[0] in TOP_LEVEL  # "dropout": the circuit's; "training.dropout"
        path = tuple(key.removeprefix("training.").split("."))
        target = data if top else data["training"]
        full = path if top else ("training", *path)
        given[full] = key
        for part in path[:-1]:
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = {}
                target[part] = nested
            target = nested
        target[path[-1]] = value
        if value is not None and full in {("training", "steps"), ("training", "epochs")}:
            other = "epochs" if path[-1] == "steps" else "steps"
            if ("training", other) not in given:
                data["training"][other] = None  # one replaces the other
    if not given:
        return spec
    try:
        return CircuitSpec.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False):
            loc = tuple(str(part) for part in item["loc"])
            where = ".".join(loc)
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown setting"
            problems.append(f"{where}: {message} (got {item['input']!r})")
        raise TrainingError("invalid override: " + "; ".join(problems)) from None
