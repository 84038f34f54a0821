"""Find, load and check plugins: cell types and stimulus kinds.

Plugins are loaded lazily, on the first call of :func:`cell_types` or :func:`stimuli` (never
at import time). Every hook is called through pluggy (:func:`hook_results`). A plugin that
fails to import, raises in its hook, returns something that is not a cell type (stimulus
kind), or reuses a name that is already registered is recorded as a :class:`PluginProblem`
naming the plugin; every other plugin keeps working. Built-ins keep their names.
"""

from __future__ import annotations

import importlib.metadata as metadata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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
class RegisteredCellType:
    """A cell type and where it came from."""

    name: str
    cell_type: type[CellType]
    plugin: str
    package: str
    version: str

    @property
    def description(self) -> str:
        """First line of the cell type's description or docstring."""
        text = getattr(self.cell_type, "description", "") or (self.cell_type.__doc__ or "")
        return text.strip().splitlines()[0] if text.strip() else ""


@dataclass(frozen=True)
class RegisteredStimulus:
    """A stimulus kind (its torch-free parameter model) and where it came from."""

    name: str
    params: type[StimulusParams]
    """The kind's :class:`~retinasim.plugins.StimulusParams` subclass (validation)."""
    plugin: str
    package: str
    version: str

    @property
    def description(self) -> str:
        """First line of the kind's description or docstring."""
        return self.params.summary()

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
    cell_types: dict[str, RegisteredCellType] | None = None
    stimuli: dict[str, RegisteredStimulus] | None = None


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
        dist = entry_point.dist
        origin = (dist.name, dist.version) if dist is not None else ("?", "?")
        if manager.has_plugin(name) or manager.is_blocked(name):
            first = state.origins.get(name, ("?", "?"))[0]
            state.problems.append(
                PluginProblem(
                    name,
                    f"the entry point of {origin[0]} ({entry_point.value}) has the name of "
                    f"one already registered by {first}; it is ignored (rename one of them)",
                )
            )
            continue
        try:
            plugin = entry_point.load()
            manager.register(plugin, name=name)
        except BaseException as error:  # even sys.exit() at import: name it, keep the others
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

    Returns the name it was registered under. The registries are rebuilt on next use.
    """
    manager = get_plugin_manager()
    assert _state is not None
    registered = manager.register(plugin, name=name)
    if registered is None:
        raise ValueError(f"plugin {name or plugin!r} is already registered")
    _state.origins[registered] = (package or getattr(plugin, "__name__", "<runtime>"), version)
    _state.cell_types = _state.stimuli = None
    return registered


def reset() -> None:
    """Forget every plugin; the next use loads built-ins and entry points afresh."""
    global _state
    _state = None


def hook_results(hook_name: str) -> list[tuple[str, Any]]:
    """Call hook ``hook_name`` through pluggy, once per plugin that implements it.

    Each call goes through ``manager.hook`` with every *other* implementing plugin removed
    (:meth:`pluggy.PluginManager.subset_hook_caller`): hook wrappers (``wrapper=True``,
    ``hookwrapper=True``), tracing and ``add_hookcall_monitoring`` see every call, and a
    plugin whose implementation raises is recorded as a :class:`PluginProblem` and skipped
    while the others' results are kept.

    Returns
    -------
    list of (plugin name, returned value)
        Built-in plugins first, then the others in pluggy's call order (``tryfirst`` first,
        ``trylast`` last, otherwise the most recently registered first).
    """
    manager = get_plugin_manager()
    assert _state is not None
    caller = getattr(manager.hook, hook_name)
    implementations = [
        impl for impl in caller.get_hookimpls() if not (impl.wrapper or impl.hookwrapper)
    ]
    providers = [impl.plugin for impl in implementations]
    in_call_order = list(reversed(implementations))
    in_call_order.sort(key=lambda impl: impl.plugin_name not in BUILTIN_PLUGINS)
    results: list[tuple[str, Any]] = []
    for impl in in_call_order:
        others = [plugin for plugin in providers if plugin is not impl.plugin]
        one = manager.subset_hook_caller(hook_name, remove_plugins=others)
        try:
            returned = one()
        except BaseException as error:  # a broken plugin must not take the others down
            _state.problems.append(
                PluginProblem(
                    impl.plugin_name, f"{hook_name}() raised {type(error).__name__}: {error}"
                )
            )
            continue
        results.append((impl.plugin_name, returned[0] if len(returned) == 1 else None))
    return results


def _provided(plugin: str, hook_name: str, provided: Any, what: str) -> list[Any]:
    """The list a hook returned, or ``[]`` with a problem recorded when it is not a list."""
    assert _state is not None
    if isinstance(provided, list | tuple):
        return list(provided)
    _state.problems.append(
        PluginProblem(
            plugin,
            f"{hook_name}() must return a list of {what}, got {type(provided).__name__}",
        )
    )
    return []


def _origin(plugin: str) -> tuple[str, str]:
    assert _state is not None
    return _state.origins.get(plugin, ("?", "?"))


_Record = TypeVar("_Record", RegisteredCellType, RegisteredStimulus)


def _collect(
    hook: str,
    base: type[CellType] | type[StimulusParams],
    noun: str,
    key: str,
    record: Callable[[str, Any, str, str, str], _Record],
) -> dict[str, _Record]:
    """Every class the ``hook`` implementations return, by its ``key`` attribute, as
    ``record(name, class, plugin, package, version)``; a class that is not a ``base``
    subclass, fails its ``check_definition`` or repeats a name is a problem, skipped."""
    assert _state is not None
    registry: dict[str, _Record] = {}
    label = f"{base.__module__.removesuffix('.base')}.{base.__name__}"
    for plugin, provided in hook_results(hook):
        package, version = _origin(plugin)
        for item in _provided(plugin, hook, provided, f"{base.__name__} subclasses"):
            if not (isinstance(item, type) and issubclass(item, base)):
                message = f"returned {item!r}, which is not a subclass of {label}"
                _state.problems.append(PluginProblem(plugin, message))
                continue
            problem = item.check_definition()
            if problem:
                _state.problems.append(PluginProblem(plugin, f"{noun} {item.__name__}: {problem}"))
                continue
            name = getattr(item, key)
            if name in registry:
                first = registry[name]
                _state.problems.append(
                    PluginProblem(
                        plugin,
                        f"{noun} {name!r} is already registered by plugin "
                        f"{first.plugin!r} ({first.package}); this one is ignored",
                    )
                )
                continue
            registry[name] = record(name, item, plugin, package, version)
    return registry


def _collect_cell_types() -> dict[str, RegisteredCellType]:
    return _collect("retinasim_cell_types", CellType, "cell type", "name", RegisteredCellType)


def _collect_stimuli() -> dict[str, RegisteredStimulus]:
    return _collect(
        "retinasim_stimuli", StimulusParams, "stimulus kind", "kind", RegisteredStimulus
    )


def cell_types() -> dict[str, RegisteredCellType]:
    """Every registered cell type by name."""
    get_plugin_manager()
    assert _state is not None
    if _state.cell_types is None:
        _state.cell_types = _collect_cell_types()
    return dict(_state.cell_types)


def stimuli() -> dict[str, RegisteredStimulus]:
    """Every registered stimulus kind by name (built-ins first); tasks have ``classes``."""
    get_plugin_manager()
    assert _state is not None
    if _state.stimuli is None:
        _state.stimuli = _collect_stimuli()
    return dict(_state.stimuli)


def tasks() -> dict[str, RegisteredStimulus]:
    """The registered stimulus kinds that are tasks (their stimuli carry labels)."""
    return {name: entry for name, entry in stimuli().items() if entry.is_task}


def plugin_problems() -> list[PluginProblem]:
    """Problems met while loading plugins and collecting their cell types and stimuli."""
    cell_types()
    stimuli()
    assert _state is not None
    return list(_state.problems)


def plugin_versions(
    spec: Any = None, *, cell_type_names: Iterable[str] = (), stimulus_kinds: Iterable[str] = ()
) -> dict[str, str]:
    """Every plugin package a circuit uses, with its version (its provenance).

    Parameters
    ----------
    spec
        A :class:`retinasim.spec.CircuitSpec` (read, not imported: the registry sits below
        the spec): the cell types of its layers and its training task's stimulus kind.
    cell_type_names, stimulus_kinds
        Further names used beside the spec's (a recording's stimulus kind, ...).

    Returns
    -------
    dict of str to str
        Distribution name → version, sorted by name; the built-ins count as ``retinasim``
        (with its version). Names no registered plugin provides are left out.
    """
    cells, kinds = set(cell_type_names), set(stimulus_kinds)
    if spec is not None:
        cells.update(layer.cell_type for layer in spec.layers)
        kinds.add(spec.training.task)
    registered_cells, registered_kinds = cell_types(), stimuli()
    used: list[RegisteredCellType | RegisteredStimulus]
    used = [registered_cells[name] for name in cells if name in registered_cells]
    used += [registered_kinds[name] for name in kinds if name in registered_kinds]
    return dict(sorted({entry.package: entry.version for entry in used}.items()))


def unknown_kind_message(kind: object, known: list[str]) -> str:
    """Why ``kind`` is not a registered stimulus kind: a suggestion, the known kinds and the
    plugins that failed to load."""
    hint = did_you_mean(str(kind), known, cutoff=0.5)
    broken = [str(problem) for problem in plugin_problems()]
    note = f" (plugins that failed to load: {'; '.join(broken)})" if broken else ""
    return f"unknown stimulus kind {kind!r}{hint} (known: {', '.join(known)}){note}"


def generator_class(kind: str) -> type[Any]:  # a StimulusGenerator (stimuli, a layer up)
    """The generator class registered as ``kind``; StimulusError (with a suggestion) otherwise."""
    registered = stimuli()
    if kind not in registered:
        raise StimulusError(unknown_kind_message(kind, list(registered)))
    return registered[kind].generator_class()


def generator_from_parameters(kind: str, parameters: Mapping[str, Any]) -> Any:
    """Build the ``kind`` generator from a mapping of parameters (validated)."""
    return generator_class(kind)(**dict(parameters))
