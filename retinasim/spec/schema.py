"""JSON Schema of circuit files, in the draft-07 dialect that editors' YAML servers read.

Point an editor at it with a first line ``# yaml-language-server: $schema=<path>`` in a
circuit file; ``docs/circuit.schema.json`` is the committed copy.
"""

from __future__ import annotations

from typing import Any

from retinasim.spec.models import CircuitSpec

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def _to_draft07(node: Any) -> Any:
    """Rewrite pydantic's draft 2020-12 output into draft 07 (``$defs``, ``prefixItems``)."""
    if isinstance(node, list):
        return [_to_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs":
            out["definitions"] = _to_draft07(value)
        elif key == "$ref" and isinstance(value, str):
            out["$ref"] = value.replace("#/$defs/", "#/definitions/")
        elif key == "prefixItems":
            out["items"] = _to_draft07(value)
            out["additionalItems"] = False
        else:
            out[key] = _to_draft07(value)
    if "prefixItems" in node:
        out.pop("maxItems", None) if node.get("maxItems") == len(node["prefixItems"]) else None
    return out


def circuit_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 07) of a circuit file; each registered cell type's ``params``
    schema is attached to the layers that name it (``if``/``then``), so editors check them too.
    """
    from retinasim.plugins import cell_types

    schema = CircuitSpec.model_json_schema(mode="validation")
    schema["$defs"]["LayerSpec"]["allOf"] = [
        {
            "if": {"properties": {"cell_type": {"const": name}}, "required": ["cell_type"]},
            "then": {"properties": {"params": entry.cell_type.Params.model_json_schema()}},
        }
        for name, entry in sorted(cell_types().items())
    ]
    schema = _to_draft07(schema)
    return {"$schema": DRAFT_07, "$id": "https://retinasim.dev/circuit.schema.json", **schema}
