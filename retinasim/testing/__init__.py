"""Contract checks for plugin authors: call them from your plugin's own tests.

Each check exercises a cell type, a stimulus kind or a task the way retinasim uses it and
raises :class:`AssertionError` with a message that says what broke, so it works as a pytest
test as it is::

    from retinasim.testing import check_cell_type, check_torch_free
    from retinasim_centersurround import CenterSurround

    def test_the_cell_type_keeps_the_contract() -> None:
        check_cell_type(
            CenterSurround,
            {"kernel_size": 5, "temporal_kernel": 3},
            bad_params=[{"kernel_size": 4}],
            package="retinasim-centersurround",
        )

    def test_the_entry_point_module_is_torch_free() -> None:
        check_torch_free("retinasim_centersurround")

What a check covers is in its docstring; leave the science (your cell's maths, your task's
statistics) to your own tests. The checks draw from fixed seeds (the global torch generator
is left as it was) and use small tensors: a cell type's checks take about a second.

* :func:`check_cell_type`: registration, ``Params``, ``build()``, the module's shape, dtype,
  memory layout, causality, gradients and seeding, and a small compiled circuit;
* :func:`check_cell_module`: the module checks alone, for any ``nn.Module`` of a layer;
* :func:`check_stimulus_kind`: registration, parameter validation, rendering (shape,
  luminance range, dtype, metadata, labels) and seeding;
* :func:`check_task`: labels, class balance and training a small circuit on the task;
* :func:`check_torch_free`: the entry point's module imports no torch;
* :func:`run_python`: run code in a fresh interpreter (what does *it* import?), its output;
* :func:`small_circuit` / :func:`small_circuit_text`: the circuit the checks use.
"""

from retinasim.testing.cell_types import check_cell_module, check_cell_type, registered_cell_type
from retinasim.testing.circuits import (
    CHECKED_LAYER,
    check_torch_free,
    run_python,
    small_circuit,
    small_circuit_text,
)
from retinasim.testing.stimuli import check_stimulus_kind, check_task, registered_stimulus

__all__ = [
    "CHECKED_LAYER",
    "check_cell_module",
    "check_cell_type",
    "check_stimulus_kind",
    "check_task",
    "check_torch_free",
    "registered_cell_type",
    "registered_stimulus",
    "run_python",
    "small_circuit",
    "small_circuit_text",
]
