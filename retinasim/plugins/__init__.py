"""The plugin system: cell types and stimulus kinds (pluggy hooks, ``retinasim`` entry points)."""

from retinasim.plugins.hookspecs import hookimpl
from retinasim.plugins.manager import (
    PluginProblem,
    RegisteredCellType,
    RegisteredStimulus,
    cell_types,
    get_plugin_manager,
    hook_results,
    plugin_problems,
    register,
    reset,
    stimuli,
    tasks,
)

__all__ = [
    "PluginProblem",
    "RegisteredCellType",
    "RegisteredStimulus",
    "cell_types",
    "get_plugin_manager",
    "hook_results",
    "hookimpl",
    "plugin_problems",
    "register",
    "reset",
    "stimuli",
    "tasks",
]
