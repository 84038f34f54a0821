"""Walk the spec models by data path, e.g. to list the keys allowed at ``layers[2]``."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic models reachable from a type annotation (through Optional, list, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (list, tuple, dict, typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def allowed_keys(root: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """Field names of the model found at ``path`` below ``root`` (empty if none)."""
    model: type[BaseModel] | None = root
    for part in path:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        models = _models_in(field.annotation) if field is not None else []
        model = models[0] if models else None
    return sorted(model.model_fields) if model is not None else []
