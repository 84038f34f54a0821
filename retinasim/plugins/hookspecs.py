"""The hook contracts a retinasim plugin may implement.

A plugin is any module or object with functions decorated by :data:`hookimpl` whose names
match a hook below. Third-party plugins are found through the ``retinasim`` entry-point group::

    [project.entry-points.retinasim]
    my_cells = "my_package.cells"      # a module with @hookimpl functions

The built-in cell types are an ordinary plugin module registered the same way.
"""

from __future__ import annotations

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
