"""Names of a package imported on first use (PEP 562), so that importing it stays light::

__getattr__, __dir__ = lazy_exports(__name__, {"train": "retinasim.training.loop"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, locations: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: each name of ``locations`` (name → module,
    absolute or a submodule of ``package``) is imported on first use and then kept in the
    package, like an ordinary attribute."""

    def __getattr__(name: str) -> Any:
        module = locations.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if not module.startswith(package.partition(".")[0] + "."):
            module = f"{package}.{module}"  # a submodule of the package
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *locations})

    return __getattr__, __dir__
