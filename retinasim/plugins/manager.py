"""Find, load and check cell-type plugins.

Plugins are loaded lazily, on the first call of :func:`cell_types` (never at import time). A
plugin that fails to import, raises in its hook, returns something that is not a cell type, or
reuses a name that is already registered is recorded as a :class:`PluginProblem` naming the
plugin; every other plugin keeps working.
"""

from __future__ import annotations

import importlib.metadata as metadata
from dataclasses import dataclass
from typing import Any

import pluggy

from retinasim.plugins import hookspecs

ENTRY_POINT_GROUP = "retinasim"
BUILTIN_PLUGINS = ("retinasim.cells.builtin",)
"""Modules of the cell types that ship with retinasim, registered like third-party plugins."""


@dataclass(frozen=True)
class RegisteredCellType:
    """A cell type and where it came from."""

    name: str
    cell_type: type
    plugin: str
    package: str
    version: str

    @property
    def description(self) -> str:
        """First line of the cell type's description or docstring."""
        text = getattr(self.cell_type, "description", "") or (self.cell_type.__doc__ or "")
        return text.strip().splitlines()[0] if text.strip() else ""


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that could not be used, and why."""

    plugin: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r}: {self.message}"


@dataclass
class _State:
    manager: pluggy.PluginManager
    origins: dict[str, tuple[str, str]]  # plugin name -> (package, version)
    problems: list[PluginProblem]
    registry: dict[str, RegisteredCellType] | None = None


_state: _State | None = None


def _new_state() -> _State:
    import importlib

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    state = _State(manager, {}, [])
    from retinasim import __version__

    for module_name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
        state.origins[module_name] = ("retinasim", __version__)
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        name = entry_point.name
        if manager.has_plugin(name) or manager.is_blocked(name):
            continue
        dist = entry_point.dist
        origin = (dist.name, dist.version) if dist is not None else ("?", "?")
        try:
            plugin = entry_point.load()
            manager.register(plugin, name=name)
        except Exception as error:  # a broken plugin must not take the others down
            state.problems.append(
                PluginProblem(
                    name, f"failed to load ({entry_point.value}): {type(error).__name__}: {error}"
                )
            )
            continue
        state.origins[name] = origin
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        state.problems.append(PluginProblem(str(error.plugin), f"unknown hook: {error}"))
    return state


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager (built-ins and entry points registered on first use)."""
    global _state
    if _state is None:
        _state = _new_state()
    return _state.manager


def register(plugin: Any, name: str | None = None, *, package: str = "", version: str = "") -> str:
    """Register a plugin object (e.g. a module defined in a notebook) at run time.

    Returns the name it was registered under. The cell-type registry is rebuilt on next use.
    """
    manager = get_plugin_manager()
    assert _state is not None
    registered = manager.register(plugin, name=name)
    if registered is None:
        raise ValueError(f"plugin {name or plugin!r} is already registered")
    _state.origins[registered] = (package or getattr(plugin, "__name__", "<runtime>"), version)
    _state.registry = None
    return registered


def reset() -> None:
    """Forget every plugin; the next use loads built-ins and entry points afresh."""
    global _state
    _state = None


def _collect(state: _State) -> dict[str, RegisteredCellType]:
    from retinasim.cells.base import CellType

    registry: dict[str, RegisteredCellType] = {}
    hook = state.manager.hook.retinasim_cell_types
    # In registration order: built-ins first, so they keep their names.
    for impl in hook.get_hookimpls():
        plugin = impl.plugin_name
        package, version = state.origins.get(plugin, ("?", "?"))
        try:
            provided = impl.function()
        except Exception as error:
            state.problems.append(
                PluginProblem(
                    plugin, f"retinasim_cell_types() raised {type(error).__name__}: {error}"
                )
            )
            continue
        if not isinstance(provided, list | tuple):
            state.problems.append(
                PluginProblem(
                    plugin,
                    f"retinasim_cell_types() must return a list of CellType subclasses, "
                    f"got {type(provided).__name__}",
                )
            )
            continue
        for item in provided:
            if not (isinstance(item, type) and issubclass(item, CellType)):
                state.problems.append(
                    PluginProblem(
                        plugin,
                        f"returned {item!r}, which is not a subclass of retinasim.cells.CellType",
                    )
                )
                continue
            problem = item.check_definition()
            if problem:
                state.problems.append(
                    PluginProblem(plugin, f"cell type {item.__name__}: {problem}")
                )
                continue
            if item.name in registry:
                first = registry[item.name]
                state.problems.append(
                    PluginProblem(
                        plugin,
                        f"cell type name {item.name!r} is already registered by plugin "
                        f"{first.plugin!r} ({first.package}); this one is ignored",
                    )
                )
                continue
            registry[item.name] = RegisteredCellType(item.name, item, plugin, package, version)
    return registry


def cell_types() -> dict[str, RegisteredCellType]:
    """Every registered cell type by name."""
    get_plugin_manager()
    assert _state is not None
    if _state.registry is None:
        _state.registry = _collect(_state)
    return dict(_state.registry)


def plugin_problems() -> list[PluginProblem]:
    """Problems met while loading plugins and collecting their cell types."""
    cell_types()
    assert _state is not None
    return list(_state.problems)
