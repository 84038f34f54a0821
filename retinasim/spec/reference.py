"""Render the circuit-file reference (``docs/spec-reference.md``) from the models' docstrings.

The field docstrings of :mod:`retinasim.spec.models` and of every registered cell type's
``Params`` are the single source; a test checks that the committed page is up to date.
"""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from retinasim.spec.models import (
    CircuitSpec,
    ConnectionSpec,
    InputSpec,
    LayerSpec,
    ReadoutSpec,
    as_pair,
)
from retinasim.spec.training import TrainingSpec

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("circuit (top level)", CircuitSpec),
    ("input", InputSpec),
    ("layers[]", LayerSpec),
    ("connections[]", ConnectionSpec),
    ("readout", ReadoutSpec),
    ("training", TrainingSpec),
]


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " \\| ".join(f"`{member.value}`" for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"mapping ({annotation.__name__})"
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is tuple:
        return "[" + ", ".join(_type_name(a) for a in typing.get_args(annotation)) + "]"
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        return "mapping"
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args:
        return " or ".join(_type_name(a) for a in args)
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, BaseModel):
        return "see section"
    if value == "":
        return '`""`'
    return f"`{value!r}`".replace("'", "")


def _constraints(field: FieldInfo) -> str:
    symbols = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
    bounds = [
        (symbols[name], getattr(item, name, None)) for item in field.metadata for name in symbols
    ]
    return ", ".join(f"{symbol} {bound}" for symbol, bound in bounds if bound is not None)


def model_table(model: type[BaseModel]) -> str:
    """A markdown table of ``model``'s fields: name, type, default, description."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        pair = any(getattr(m, "func", None) is as_pair for m in field.metadata)
        kind = "number or [height, width]" if pair else _type_name(field.annotation)
        limits = _constraints(field)
        if limits:
            kind += f" ({limits})"
        description = (field.description or "").replace("\n", " ").replace("|", "\\|")
        rows.append(f"| `{name}` | {kind} | {_default(field)} | {description} |")
    return "\n".join(rows)


RECURRENT_EXAMPLE = """\
  - {source: amacrine, target: bipolar, kernel: 3, padding: 2, upsample: 4, delay: 1}
  - {source: amacrine, target: amacrine, kernel: 3, padding: 1, delay: 1}
"""
"""Connections that make murray2021 recurrent (a test checks that they validate)."""

RECURRENT = f"""\
## Feedback and lateral connections

Connections may form cycles when every cycle has a connection with `delay` ≥ 1 (whole
frames), and a layer may connect to itself with `delay` ≥ 1. `upsample` lets a coarse map feed
a finer one. Appended to `circuits/murray2021.yaml`'s connections, these two give amacrine
feedback onto the bipolar terminals (12×12 upsampled 4× to 48×48, kernel 3 with padding 2:
50×50, the bipolar map's size) and lateral inhibition among amacrine cells:

```yaml
{RECURRENT_EXAMPLE}```

Layers outside every cycle run over the whole video at once, as in a feed-forward circuit;
each recurrent component runs frame by frame (its cells step: the built-in
`spatiotemporal` filter and `leaky_integrator` can, docs/plugins.md), with backpropagation
through time. Shipped examples: `murray2021_feedback`, `murray2021_lateral` and
`murray2021_leaky` (leaky integrators, τ learnable per type)."""


def render_reference() -> str:
    """The whole reference page as markdown."""
    from retinasim.plugins import cell_types

    parts = [
        "# Circuit file reference",
        "",
        "Generated from the field docstrings by `retinasim schema --format markdown`; do not "
        "edit by hand. Every mapping is strict: unknown keys are errors (with a *did you mean*)."
        " Sizes are in pixels of the source map, times in frames.",
    ]
    for title, model in SECTIONS:
        parts += ["", f"## `{title}`", "", (model.__doc__ or "").strip(), "", model_table(model)]
    parts += ["", RECURRENT, "", "## Cell types (`layers[].params`)", ""]
    for name, entry in sorted(cell_types().items()):
        params = entry.cell_type.Params
        parts += [f"### `{name}` ({entry.package} {entry.version})", "", entry.description, ""]
        parts += [model_table(params) if params.model_fields else "No parameters.", ""]
    return "\n".join(parts).rstrip() + "\n"
