"""Find, load and check plugins: cell types and stimulus kinds.

Plugins are loaded lazily, on the first call of :func:`cell_types` or :func:`stimuli` (never
at import time). Every hook is called through pluggy (:func:`hook_results`). A plugin that
fails to import, raises in its hook, returns something that is not a cell type (stimulus
kind), or reuses a name that is already registered is recorded as a :class:`PluginProblem`
naming the plugin; every other plugin keeps working. Built-ins keep their names.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pluggy

from retinasim.errors import StimulusError
from retinasim.plugins import hookspecs
from retinasim.plugins.cell_type import CellType
from retinasim.plugins.stimulus_kind import StimulusParams
from retinasim.util.text import did_you_mean

ENTRY_POINT_GROUP = "retinasim"
BUILTIN_PLUGINS = ("retinasim.cells.builtin", "retinasim.stimuli.builtin")
"""Modules of the cell types and stimuli that ship with retinasim (torch-free), registered
like third-party plugins."""


@dataclass(frozen=True)
class _Registered:
    name: str
    plugin: str
    package: str
    version: str
    description: str
    """First line of the class's ``description`` or docstring."""


@dataclass(frozen=True)
class RegisteredCellType(_Registered):
    """A cell type and where it came from."""

    cell_type: type[CellType]


@dataclass(frozen=True)
class RegisteredStimulus(_Registered):
    """A stimulus kind (its torch-free parameter model, ``params``) and where it came from."""

    params: type[StimulusParams]

    @property
    def classes(self) -> tuple[str, ...]:
        """The labels of a task; empty for a stimulus without labels."""
        return tuple(self.params.classes)

    @property
    def is_task(self) -> bool:
        """Whether the kind is a task (its stimuli carry labels)."""
        return bool(self.classes)

    def generator_class(self) -> type[Any]:
        """The generator class that renders this kind (imports it, and torch).

        Raises :class:`~retinasim.errors.StimulusError` naming the plugin when it cannot.
        """
        try:
            return self.params.generator_class()
        except StimulusError as error:
            raise StimulusError(f"{error} (plugin {self.plugin!r}, {self.package})") from None


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
    registries: dict[str, dict[str, Any]] = field(default_factory=dict)  # by hook, on first use


_state: _State | None = None


def _loaded() -> _State:
    """The process-wide state, with built-ins and entry points registered on first use."""
    global _state
    if _state is not None:
        return _state
    from retinasim import __version__

    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    state = _State(manager, {}, [])
    for module_name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
        state.origins[module_name] = ("retinasim", __version__)
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        name, dist = entry_point.name, entry_point.dist
        origin = (dist.name, dist.version) if dist is not None else ("?", "?")
        if manager.has_plugin(name) or manager.is_blocked(name):
            first = state.origins.get(name, ("?", "?"))[0]
            problem = (
                f"the entry point of {origin[0]} ({entry_point.value}) has the name of one "
                f"already registered by {first}; it is ignored (rename one of them)"
            )
            state.problems.append(PluginProblem(name, problem))
            continue
        try:
            manager.register(entry_point.load(), name=name)
            state.origins[name] = origin
        except BaseException as error:  # even sys.exit() at import: name it, keep the others
            problem = f"failed to load ({entry_point.value}): {type(error).__name__}: {error}"
            state.problems.append(PluginProblem(name, problem))
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        state.problems.append(PluginProblem(str(error.plugin), f"unknown hook: {error}"))
    _state = state
    return state


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager (built-ins and entry points registered on first use)."""
    return _loaded().manager


def register(plugin: Any, name: str | None = None, *, package: str = "", version: str = "") -> str:
    """Register a plugin object (e.g. a module defined in a notebook) at run time.

    Returns the name it was registered under. The registries are rebuilt on next use.
    """
    state = _loaded()
    registered = state.manager.register(plugin, name=name)
    if registered is None:
        raise ValueError(f"plugin {name or plugin!r} is already registered")
    state.origins[registered] = (package or getattr(plugin, "__name__", "<runtime>"), version)
    state.registries.clear()
    return registered


def reset() -> None:
    """Forget every plugin; the next use loads built-ins and entry points afresh."""
    global _state
    _state = None


def hook_results(hook_name: str) -> list[tuple[str, Any]]:
    """Call hook ``hook_name`` through pluggy, once per plugin that implements it.

    Each call goes through ``manager.hook`` with every other implementing plugin removed
    (``subset_hook_caller``), so hook wrappers, tracing and call monitoring see every call,
    and a plugin that raises is recorded as a :class:`PluginProblem` and skipped.

    Returns ``(plugin name, returned value)`` pairs: built-ins first, then the others in
    pluggy's call order (``tryfirst`` first, ``trylast`` last, else the latest registered first).
    """
    state = _loaded()
    caller = getattr(state.manager.hook, hook_name)
    implementations = [
        impl for impl in caller.get_hookimpls() if not (impl.wrapper or impl.hookwrapper)
    ]
    providers = [impl.plugin for impl in implementations]
    in_call_order = list(reversed(implementations))
    in_call_order.sort(key=lambda impl: impl.plugin_name not in BUILTIN_PLUGINS)
    results: list[tuple[str, Any]] = []
    for impl in in_call_order:
        others = [plugin for plugin in providers if plugin is not impl.plugin]
        one = state.manager.subset_hook_caller(hook_name, remove_plugins=others)
        try:
            returned = one()
        except BaseException as error:  # a broken plugin must not take the others down
            message = f"{hook_name}() raised {type(error).__name__}: {error}"
            state.problems.append(PluginProblem(impl.plugin_name, message))
            continue
        results.append((impl.plugin_name, returned[0] if len(returned) == 1 else None))
    return results


_Record = TypeVar("_Record", RegisteredCellType, RegisteredStimulus)


def _registry(
    hook: str,
    base: type[CellType] | type[StimulusParams],
    noun: str,
    key: str,
    record: Callable[[str, str, str, str, str, Any], _Record],
) -> dict[str, _Record]:
    """Every class the ``hook`` implementations return, by its ``key`` attribute, as
    ``record(name, plugin, package, version, description, class)`` (collected once); a hook
    that returns no list, or a class that is not a ``base`` subclass, fails its
    ``check_definition`` or repeats a name, is a problem, skipped."""
    state = _loaded()
    if hook in state.registries:
        return dict(state.registries[hook])
    registry: dict[str, _Record] = {}
    label = f"{base.__module__.removesuffix('.base')}.{base.__name__}"
    for plugin, provided in hook_results(hook):
        package, version = state.origins.get(plugin, ("?", "?"))
        problems: list[str] = []
        if not isinstance(provided, list | tuple):
            got = type(provided).__name__
            problems.append(f"{hook}() must return a list of {base.__name__} subclasses, got {got}")
            provided = []
        for item in provided:
            if not (isinstance(item, type) and issubclass(item, base)):
                problems.append(f"returned {item!r}, which is not a subclass of {label}")
            elif problem := item.check_definition():
                problems.append(f"{noun} {item.__name__}: {problem}")
            elif (name := getattr(item, key)) in registry:
                first = registry[name]
                problems.append(
                    f"{noun} {name!r} is already registered by plugin {first.plugin!r} "
                    f"({first.package}); this one is ignored"
                )
            else:
                text = (item.description or item.__doc__ or "").strip()
                summary = text.splitlines()[0] if text else ""
                registry[name] = record(name, plugin, package, version, summary, item)
        state.problems += [PluginProblem(plugin, message) for message in problems]
    state.registries[hook] = registry
    return dict(registry)


def cell_types() -> dict[str, RegisteredCellType]:
    """Every registered cell type by name."""
    return _registry("retinasim_cell_types", CellType, "cell type", "name", RegisteredCellType)


def stimuli() -> dict[str, RegisteredStimulus]:
    """Every registered stimulus kind by name (built-ins first); tasks have ``classes``."""
    hook = "retinasim_stimuli"
    return _registry(hook, StimulusParams, "stimulus kind", "kind", RegisteredStimulus)


def tasks() -> dict[str, RegisteredStimulus]:
    """The registered stimulus kinds that are tasks (their stimuli carry labels)."""
    return {name: entry for name, entry in stimuli().items() if entry.is_task}


def plugin_problems() -> list[PluginProblem]:
    """Problems met while loading plugins and collecting their cell types and stimuli."""
    cell_types()
    stimuli()
    return list(_loaded().problems)


def plugin_versions(spec: Any = None, *, stimulus_kinds: Iterable[str] = ()) -> dict[str, str]:
    """Every plugin package a circuit uses, with its version (its provenance): distribution
    name → version, sorted by name, the built-ins counting as ``retinasim``.

    ``spec`` is a :class:`retinasim.spec.CircuitSpec` (its layers' cell types and its training
    task; read, not imported); ``stimulus_kinds`` are further kinds (a recording's stimulus,
    ...). Names no registered plugin provides are left out.
    """
    cells, kinds = set(), set(stimulus_kinds)
    if spec is not None:
        cells = {layer.cell_type for layer in spec.layers}
        kinds.add(spec.training.task)
    registered_cells, registered_kinds = cell_types(), stimuli()
    used: list[RegisteredCellType | RegisteredStimulus]
    used = [registered_cells[name] for name in cells if name in registered_cells]
    used += [registered_kinds[name] for name in kinds if name in registered_kinds]
    return dict(sorted({entry.package: entry.version for entry in used}.items()))


def unknown_name_message(
    noun: str, name: object, known: list[str], *, listing: str = "known", cutoff: float = 0.6
) -> str:
    """Why ``name`` is no registered ``noun``: a suggestion, the ``known`` names and the
    plugins that failed to load."""
    hint = did_you_mean(str(name), known, cutoff=cutoff)
    broken = "; ".join(str(problem) for problem in plugin_problems())
    note = f" (plugins that failed to load: {broken})" if broken else ""
    return f"unknown {noun} {name!r}{hint} ({listing}: {', '.join(known)}){note}"


def unknown_kind_message(kind: object, known: list[str]) -> str:
    """Why ``kind`` is not a registered stimulus kind (see :func:`unknown_name_message`)."""
    return unknown_name_message("stimulus kind", kind, known, cutoff=0.5)


def generator_class(kind: str) -> type[Any]:  # a StimulusGenerator (stimuli, a layer up)
    """The generator class registered as ``kind``; StimulusError (with a suggestion) otherwise."""
    registered = stimuli()
    if kind not in registered:
        raise StimulusError(unknown_kind_message(kind, list(registered)))
    return registered[kind].generator_class()


def generator_from_parameters(kind: str, parameters: Mapping[str, Any]) -> Any:
    """Build the ``kind`` generator from a mapping of parameters (validated)."""
    return generator_class(kind)(**dict(parameters))
