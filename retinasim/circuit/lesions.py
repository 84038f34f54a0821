"""Which cell types a lesion silences: parsing and checking user requests."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence

from retinasim.circuit.errors import CircuitError

TypeRef = int | str
"""A cell type by 0-based index within its layer, or by name (``type_names`` in the spec)."""


def resolve_lesions(
    lesions: Mapping[str, Iterable[TypeRef]], type_names: Mapping[str, Sequence[str]]
) -> dict[str, list[int]]:
    """Type indices to silence per layer.

    Parameters
    ----------
    lesions
        Layer name → cell types, each an index or a type name, e.g.
        ``{"ganglion": [0, "ganglion_2"]}``.
    type_names
        Layer name → names of its cell types, in index order.

    Raises
    ------
    CircuitError
        For an unknown layer, an index out of range, an unknown type name, or a bare string
        or number given instead of a list.
    """
    resolved: dict[str, list[int]] = {}
    for layer, refs in lesions.items():
        if layer not in type_names:
            raise CircuitError(_unknown("layer", layer, list(type_names)))
        if isinstance(refs, str | int):
            raise CircuitError(
                f"lesions of layer {layer!r} must be a list of cell types, got {refs!r}"
            )
        names = list(type_names[layer])
        resolved[layer] = sorted({_type_index(layer, ref, names) for ref in refs})
    return resolved


def _type_index(layer: str, ref: TypeRef, names: list[str]) -> int:
    if isinstance(ref, bool) or not isinstance(ref, int | str):
        raise CircuitError(
            f"cell type {ref!r} of layer {layer!r}: expected an index or a type name"
        )
    if isinstance(ref, int):
        if not 0 <= ref < len(names):
            raise CircuitError(
                f"cell type index {ref} is out of range for layer {layer!r}, which has "
                f"{len(names)} types (0..{len(names) - 1})"
            )
        return ref
    if ref not in names:
        raise CircuitError(_unknown(f"cell type of layer {layer!r}", ref, names))
    return names.index(ref)


def _unknown(what: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint} (known: {', '.join(known)})"
