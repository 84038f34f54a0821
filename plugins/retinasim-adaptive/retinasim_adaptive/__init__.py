"""A retinasim cell type with adaptation (divisive gain control).

Registered through the ``retinasim`` entry-point group as ``cell_type: adaptive``. This
module, which the entry point loads, imports no torch: retinasim validates circuit files
(``retinasim validate``, ``load_circuit``) with a cell type's ``Params`` only. The torch
module, :class:`retinasim_adaptive.cell.DivisiveAdaptation`, is named by ``Adaptive.module``
and imported when a circuit is compiled.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from retinasim.plugins import CellParams, cell_type, cell_types_hook

__version__ = "0.1.0"
__all__ = ["Adaptive", "AdaptiveParams", "retinasim_cell_types"]


class AdaptiveParams(CellParams):
    """Parameters of the ``adaptive`` cell type (``params:`` of a layer)."""

    temporal_kernel: Annotated[int, Field(strict=True, ge=1, le=1000)] = 31
    """Length of the causal temporal filter in frames."""
    gain: Annotated[float, Field(gt=0)] = 1.0
    """Initial strength of the divisive adaptation (0 would switch it off; use > 0)."""
    time_constant: Annotated[float, Field(gt=0, le=10000)] = 10.0
    """Initial time constant of the running average, in frames."""
    learn_adaptation: bool = True
    """Learn gain and time constant (else they stay at their initial values)."""


Adaptive = cell_type(
    "adaptive",
    AdaptiveParams,
    module="retinasim_adaptive.cell:DivisiveAdaptation",
    description="causal filter + ReLU, divided by 1 + gain x leaky average of past activity",
)
retinasim_cell_types = cell_types_hook(Adaptive)
