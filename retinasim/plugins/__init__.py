"""The cell-type plugin system (pluggy hooks and the ``retinasim`` entry-point group)."""

from retinasim.plugins.hookspecs import hookimpl
from retinasim.plugins.manager import (
    PluginProblem,
    RegisteredCellType,
    cell_types,
    get_plugin_manager,
    plugin_problems,
    register,
    reset,
)

__all__ = [
    "PluginProblem",
    "RegisteredCellType",
    "cell_types",
    "get_plugin_manager",
    "hookimpl",
    "plugin_problems",
    "register",
    "reset",
]
