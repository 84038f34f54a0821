"""Content hashes that tell whether a saved result is still current, with no version number
anyone must remember to bump."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path


def _sources(module: str) -> Iterator[Path]:
    """The source files of ``module``: its file, or every ``.py`` file of a package."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no module named {module!r}")
    if spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            yield from sorted(Path(folder).rglob("*.py"))
    else:
        yield Path(spec.origin)


@functools.cache
def source_hash(*modules: str) -> str:
    """A hash (16 hex digits) of the source code of ``modules`` (a package: every module in
    it), which changes whenever any of that code does. Computed once per process."""
    digest = hashlib.sha256()
    for module in modules:
        for path in _sources(module):
            digest.update(f"{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
