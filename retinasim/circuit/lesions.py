"""Lesions: silencing chosen cell types of a compiled circuit without touching its weights.

Each layer has a boolean mask buffer ``lesion_masks[layer]`` ``(n_types,)`` (not saved in
checkpoints). A silenced type's activity is exactly zero, so it sends nothing and is recorded
as zero (the authors zeroed a type's temporal weights and bias: the same for ReLU cells).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch

from retinasim.circuit.errors import CircuitError
from retinasim.util.text import did_you_mean

TypeRef = int | str
"""A cell type by 0-based index within its layer, or by name (``type_names`` in the spec)."""


def resolve_lesions(
    lesions: Mapping[str, Iterable[TypeRef]], type_names: Mapping[str, Sequence[str]]
) -> dict[str, list[int]]:
    """Type indices to silence per layer, from layer → cell types (each an index or a type
    name, e.g. ``{"ganglion": [0, "ganglion_2"]}``) and layer → names of its cell types.

    Raises :class:`CircuitError` for an unknown layer, an index out of range, an unknown type
    name, or a bare string or number given instead of a list.
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
    return f"unknown {what} {name!r}{did_you_mean(name, known)} (known: {', '.join(known)})"


class LesionControl:
    """The lesion API of :class:`~retinasim.circuit.Circuit` (mixed into it), on its
    ``type_names``, ``layer_names``, ``lesion_masks`` and ``_lesions``."""

    type_names: dict[str, list[str]]
    layer_names: list[str]
    lesion_masks: Any
    _lesions: dict[str, list[int]]

    @property
    def lesions(self) -> dict[str, list[int]]:
        """Silenced cell types per layer (indices), empty when none."""
        return {layer: list(types) for layer, types in self._lesions.items()}

    def set_lesions(self, lesions: Mapping[str, Iterable[TypeRef]]) -> None:
        """Silence exactly these cell types, layer → indices or names (e.g. ``{"ganglion":
        [0, 2]}``), replacing earlier lesions; weights are untouched. Raises
        :class:`CircuitError` for an unknown layer or type (nothing is changed then)."""
        resolved = resolve_lesions(lesions, self.type_names)
        self._lesions = {layer: types for layer, types in resolved.items() if types}
        for layer in self.layer_names:
            mask = self.lesion_masks[layer]
            mask.fill_(True)
            mask[self._lesions.get(layer, [])] = False

    def clear_lesions(self) -> None:
        """Remove every lesion."""
        self.set_lesions({})

    @contextmanager
    def lesioned(self, lesions: Mapping[str, Iterable[TypeRef]]) -> Iterator[Any]:
        """Silence these types *in addition to* current lesions inside a ``with`` block; the
        lesions before it are restored afterwards."""
        before = self.lesions
        combined = {layer: list(types) for layer, types in before.items()}
        for layer, types in resolve_lesions(lesions, self.type_names).items():
            combined[layer] = sorted(set(combined.get(layer, [])) | set(types))
        self.set_lesions(combined)
        try:
            yield self
        finally:
            self.set_lesions(before)

    def _silence_lesioned(self, layer: str, activity: torch.Tensor) -> torch.Tensor:
        """``activity (batch, n_types, time, y, x)`` with the layer's silenced types at 0."""
        if layer not in self._lesions:
            return activity
        silenced = (~self.lesion_masks[layer]).nonzero().squeeze(1)
        return activity.index_fill(1, silenced, 0.0)  # exact zeros, even for inf or NaN
