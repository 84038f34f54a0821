"""The plugin system: what a plugin implements and the registry that finds it.

Everything a plugin package needs is importable from here: the :data:`hookimpl` marker, the
cell-type contract (:class:`CellType`, :class:`CellParams`, declared in one call by
:func:`cell_type`), the stimulus-kind contract (:class:`StimulusParams`), and
:func:`cell_types_hook` / :func:`stimuli_hook`, which write a plugin's hook from its classes;
:mod:`retinasim.testing` checks a plugin against the contracts. The registry
(:func:`cell_types`, :func:`stimuli`, :func:`tasks`, :func:`generator_class`) loads the built-in
cell types and stimuli exactly as it loads third-party packages, so this package sits below
both in the layer order (``docs/architecture.md``).
"""

from retinasim.plugins.cell_type import CellParams, CellType, cell_type, nonnegative_parameters
from retinasim.plugins.hookspecs import cell_types_hook, hookimpl, stimuli_hook
from retinasim.plugins.manager import (
    PluginProblem,
    RegisteredCellType,
    RegisteredStimulus,
    cell_types,
    generator_class,
    generator_from_parameters,
    get_plugin_manager,
    hook_results,
    plugin_problems,
    plugin_versions,
    register,
    reset,
    stimuli,
    tasks,
    unknown_kind_message,
)
from retinasim.plugins.stimulus_kind import StimulusParams

__all__ = [
    "CellParams",
    "CellType",
    "PluginProblem",
    "RegisteredCellType",
    "RegisteredStimulus",
    "StimulusParams",
    "cell_type",
    "cell_types",
    "cell_types_hook",
    "generator_class",
    "generator_from_parameters",
    "get_plugin_manager",
    "hook_results",
    "hookimpl",
    "nonnegative_parameters",
    "plugin_problems",
    "plugin_versions",
    "register",
    "reset",
    "stimuli",
    "stimuli_hook",
    "tasks",
    "unknown_kind_message",
]
