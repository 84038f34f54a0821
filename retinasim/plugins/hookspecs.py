"""The hook contracts a retinasim plugin may implement.

A plugin is any module or object with functions decorated by :data:`hookimpl` whose names
match a hook below. Third-party plugins are found through the ``retinasim`` entry-point group::

    [project.entry-points.retinasim]
    my_cells = "my_package.cells"      # a module with @hookimpl functions

The built-in cell types and stimulus kinds are ordinary plugin modules registered the same
way, and like third-party ones they write their hooks with :func:`cell_types_hook` and
:func:`stimuli_hook` (a ``@hookimpl`` function returning the classes given). retinasim calls
every hook through pluggy (``manager.hook.<name>``), once per plugin that implements it, so
that a plugin that raises is named and skipped while the others' results are kept;
``tryfirst``/``trylast``, hook wrappers, tracing and ``add_hookcall_monitoring`` apply to
each of these calls.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

PROJECT_NAME = "retinasim"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def retinasim_cell_types() -> list[type]:
    """Return the cell types this plugin provides.

    Returns
    -------
    list of type
        Subclasses of :class:`retinasim.cells.CellType`, each with a unique ``name``.
    """
    raise NotImplementedError  # a specification: pluggy calls the implementations


@hookspec
def retinasim_stimuli() -> list[type]:
    """Return the stimulus kinds this plugin provides.

    A kind whose ``classes`` are not empty is a *task*: its stimuli carry labels, and a
    circuit trains on it with ``training: {stimulus: {kind: <kind>, ...}}``.

    Returns
    -------
    list of type
        Subclasses of :class:`retinasim.plugins.stimulus_kind.StimulusParams`, each with a unique
        ``kind``: a torch-free parameter model naming its ``generator`` (``"module:Class"``,
        imported when stimuli are rendered), or a
        :class:`retinasim.stimuli.StimulusGenerator` subclass itself.
    """
    raise NotImplementedError  # a specification: pluggy calls the implementations


def cell_types_hook(*cell_types: type) -> Callable[[], list[type]]:
    """The ``retinasim_cell_types`` hook implementation of a plugin providing ``cell_types``.

    Assign it under the hook's name in the module the entry point names::

        retinasim_cell_types = cell_types_hook(CenterSurround)

    Parameters
    ----------
    cell_types
        :class:`~retinasim.plugins.CellType` subclasses (checked when the registry collects
        them: a bad one is reported as a plugin problem, the others are kept).
    """
    return _hook("retinasim_cell_types", cell_types)


def stimuli_hook(*kinds: type) -> Callable[[], list[type]]:
    """The ``retinasim_stimuli`` hook implementation of a plugin providing ``kinds``.

    Assign it under the hook's name in the module the entry point names::

        retinasim_stimuli = stimuli_hook(NaturalMotionParams, NaturalDriftParams)

    Parameters
    ----------
    kinds
        :class:`~retinasim.plugins.StimulusParams` subclasses (torch-free parameter models
        naming their generators) or generator classes.
    """
    return _hook("retinasim_stimuli", kinds)


def _hook(name: str, provided: tuple[type, ...]) -> Callable[[], list[type]]:
    """A ``@hookimpl`` function called ``name`` returning ``list(provided)``."""

    def implementation() -> list[type]:
        return list(provided)

    implementation.__name__ = implementation.__qualname__ = name
    implementation.__doc__ = f"{name}: {', '.join(item.__name__ for item in provided)}."
    return hookimpl(implementation)
