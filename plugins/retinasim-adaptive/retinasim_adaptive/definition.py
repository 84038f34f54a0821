"""The ``adaptive`` cell type's definition: name, description, ``Params`` (torch-free).

retinasim validates circuit files (``retinasim validate``, ``load_circuit``) with the cell
types' ``Params`` models only, without importing torch; so this module, which the plugin's
entry point loads, imports no torch. :meth:`Adaptive.build` imports the torch module
(:mod:`retinasim_adaptive.cell`) when a circuit is compiled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field

from retinasim.cells import CellParams, CellType

if TYPE_CHECKING:
    from torch import nn


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


class Adaptive(CellType):
    """Cell with divisive adaptation: relu(filtered) / (1 + gain · running mean of the past)."""

    name = "adaptive"
    description = "causal filter + ReLU, divided by 1 + gain x leaky average of past activity"
    Params = AdaptiveParams

    @classmethod
    def build(cls, n_types: int, params: BaseModel, *, frames: int) -> nn.Module:
        from retinasim_adaptive.cell import DivisiveAdaptation

        assert isinstance(params, AdaptiveParams)
        return DivisiveAdaptation(n_types, params)
