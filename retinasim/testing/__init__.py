"""Contract checks for plugin authors: call them from your plugin's own tests.

Each check exercises a cell type, a stimulus kind or a task the way retinasim uses it and
raises :class:`AssertionError` saying what broke, so it works as a pytest test as it is::

    from retinasim.testing import check_cell_type, check_torch_free
    from retinasim_centersurround import CenterSurround

    def test_the_cell_type_keeps_the_contract() -> None:
        check_cell_type(CenterSurround, {"kernel_size": 5}, bad_params=[{"kernel_size": 4}])

    def test_the_entry_point_module_is_torch_free() -> None:
        check_torch_free("retinasim_centersurround")

:func:`check_cell_type` (with :func:`check_cell_module`, the module checks alone),
:func:`check_stimulus_kind` and :func:`check_task` say in their docstrings what they cover;
leave the science to your own tests. They draw from fixed seeds (the global torch generator
is left as it was) and use small tensors. :func:`held_out_accuracy` decodes a task's
candidate leaks; :func:`run_python` runs code in a fresh interpreter; :func:`small_circuit`
is the circuit the checks use.
"""

from retinasim.testing.cell_types import check_cell_module, check_cell_type, registered_cell_type
from retinasim.testing.circuits import (
    CHECKED_LAYER,
    check_torch_free,
    run_python,
    small_circuit,
    small_circuit_text,
)
from retinasim.testing.stimuli import (
    check_stimulus_kind,
    check_task,
    held_out_accuracy,
    registered_stimulus,
)

__all__ = [
    "CHECKED_LAYER",
    "check_cell_module",
    "check_cell_type",
    "check_stimulus_kind",
    "check_task",
    "check_torch_free",
    "held_out_accuracy",
    "registered_cell_type",
    "registered_stimulus",
    "run_python",
    "small_circuit",
    "small_circuit_text",
]
