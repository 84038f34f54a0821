"""The compiled circuit: a fast ``torch.nn.Module`` built from a spec and cell-type plugins.

Build one with :func:`retinasim.compile.compile_circuit`.
"""

from retinasim.circuit.errors import CircuitError
from retinasim.circuit.init import initialise
from retinasim.circuit.module import Circuit, CircuitOptions, CircuitOutput
from retinasim.circuit.plan import CircuitPlan, ConnectionPlan, LayerPlan

__all__ = [
    "Circuit",
    "CircuitError",
    "CircuitOptions",
    "CircuitOutput",
    "CircuitPlan",
    "ConnectionPlan",
    "LayerPlan",
    "initialise",
]
