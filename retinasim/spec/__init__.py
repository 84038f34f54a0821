"""Circuit specifications: pydantic models, YAML loading with placed errors, semantic checks.

This package never imports torch.
"""

from retinasim.spec.graph import layer_sizes, topological_order
from retinasim.spec.loader import (
    accepted_spec_hashes,
    cell_params,
    load_circuit,
    resolve_circuit,
    spec_hash,
)
from retinasim.spec.models import (
    INPUT,
    CircuitSpec,
    ConnectionSpec,
    InputSpec,
    LayerSpec,
    ReadoutSpec,
    Sign,
    WeightConstraint,
)
from retinasim.spec.shipped import ShippedCircuit, shipped_circuit, shipped_circuits

__all__ = [
    "INPUT",
    "CircuitSpec",
    "ConnectionSpec",
    "InputSpec",
    "LayerSpec",
    "ReadoutSpec",
    "ShippedCircuit",
    "Sign",
    "WeightConstraint",
    "accepted_spec_hashes",
    "cell_params",
    "layer_sizes",
    "load_circuit",
    "resolve_circuit",
    "shipped_circuit",
    "shipped_circuits",
    "spec_hash",
    "topological_order",
]
