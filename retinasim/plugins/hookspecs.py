"""The hook contracts a retinasim plugin may implement.

A plugin is a module or object with :data:`hookimpl` functions named after the hooks below,
found through the ``retinasim`` entry-point group (``my_cells = "my_package.cells"``); the
built-ins are plugin modules registered the same way. :func:`cell_types_hook` and
:func:`stimuli_hook` write a hook; retinasim calls every hook once per implementing plugin
(:func:`retinasim.plugins.manager.hook_results`).
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

PROJECT_NAME = "retinasim"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def retinasim_cell_types() -> list[type]:
    """Return the cell types this plugin provides: :class:`retinasim.plugins.CellType`
    subclasses, each with a unique ``name``."""
    raise NotImplementedError  # a specification: pluggy calls the implementations


@hookspec
def retinasim_stimuli() -> list[type]:
    """Return the stimulus kinds this plugin provides: :class:`retinasim.plugins.StimulusParams`
    subclasses, each with a unique ``kind``, naming their ``generator`` (``"module:Class"``,
    imported when stimuli are rendered) or :class:`retinasim.stimuli.StimulusGenerator`
    subclasses themselves. A kind with ``classes`` is a *task* a circuit can train on
    (``training: {stimulus: {kind: <kind>, ...}}``)."""
    raise NotImplementedError  # a specification: pluggy calls the implementations


def cell_types_hook(*cell_types: type) -> Callable[[], list[type]]:
    """The ``retinasim_cell_types`` hook of a plugin providing the
    :class:`~retinasim.plugins.CellType` subclasses ``cell_types`` (a bad one is reported as a
    plugin problem when the registry collects them)::

        retinasim_cell_types = cell_types_hook(CenterSurround)
    """
    return _hook("retinasim_cell_types", cell_types)


def stimuli_hook(*kinds: type) -> Callable[[], list[type]]:
    """The ``retinasim_stimuli`` hook of a plugin providing ``kinds``
    (:class:`~retinasim.plugins.StimulusParams` subclasses or generator classes)::

        retinasim_stimuli = stimuli_hook(NaturalMotionParams, NaturalDriftParams)
    """
    return _hook("retinasim_stimuli", kinds)


def _hook(name: str, provided: tuple[type, ...]) -> Callable[[], list[type]]:
    """A ``@hookimpl`` function called ``name`` returning ``list(provided)``."""

    def implementation() -> list[type]:
        return list(provided)

    implementation.__name__ = implementation.__qualname__ = name
    implementation.__doc__ = f"{name}: {', '.join(item.__name__ for item in provided)}."
    return hookimpl(implementation)
