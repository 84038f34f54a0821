"""The exported JSON Schema: draft-07, committed copy up to date, accepts every shipped circuit."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import CIRCUITS, ROOT, TINY_CIRCUIT

from retinasim.spec.schema import circuit_json_schema

COMMITTED = ROOT / "docs" / "circuit.schema.json"


def validator() -> jsonschema.Draft7Validator:
    schema = circuit_json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_committed_schema_is_up_to_date() -> None:
    assert json.loads(COMMITTED.read_text()) == circuit_json_schema(), (
        "docs/circuit.schema.json is stale: run `retinasim schema --out docs/circuit.schema.json`"
    )


@pytest.mark.parametrize("file", CIRCUITS, ids=lambda f: f.stem)
def test_shipped_circuits_match_the_schema(file: Path) -> None:
    errors = list(validator().iter_errors(yaml.safe_load(file.read_text())))
    assert errors == []


def test_schema_rejects_what_the_loader_rejects() -> None:
    data = yaml.safe_load(TINY_CIRCUIT)
    data["layers"][0]["params"]["temporal_kernel"] = 0
    data["connections"][0]["kernel"] = [1, 2, 3]
    data["readuot"] = {}
    messages = sorted(error.message for error in validator().iter_errors(data))
    assert len(messages) == 3
    assert any("readuot" in m for m in messages)


def test_committed_spec_reference_is_up_to_date() -> None:
    from retinasim.spec.reference import render_reference

    committed = (ROOT / "docs" / "spec-reference.md").read_text()
    assert committed == render_reference(), (
        "docs/spec-reference.md is stale: run "
        "`retinasim schema --format markdown --out docs/spec-reference.md`"
    )
