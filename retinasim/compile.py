"""Compile a circuit spec and the registered cell-type plugins into a :class:`Circuit`: the
one place where the spec and the torch model meet (a torch-free
:class:`~retinasim.circuit.CircuitPlan`, then each layer's cell module from its plugin).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from pydantic import ValidationError
from torch import nn

from retinasim.circuit import Circuit, CircuitOptions
from retinasim.circuit.plan import CircuitPlan, ConnectionPlan, LayerPlan
from retinasim.errors import PluginError, SpecError, SpecIssue
from retinasim.plugins import RegisteredCellType, cell_types
from retinasim.plugins.manager import unknown_name_message
from retinasim.spec import (
    CircuitSpec,
    ConnectionSpec,
    Sign,
    WeightConstraint,
    cell_params,
    layer_sizes,
    spec_hash,
    topological_order,
)
from retinasim.spec.graph import check_circuit, circuit_step_bytes
from retinasim.spec.yaml_source import format_path
from retinasim.util.resources import check_memory

if TYPE_CHECKING:
    from pydantic import BaseModel

_SPEC_NAME = "<compiled spec>"


def compile_circuit(
    spec: CircuitSpec,
    *,
    seed: int | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    options: CircuitOptions | None = None,
) -> Circuit:
    """Build the ``nn.Module`` of ``spec`` (checked again here: it may be built in code),
    in training mode with constraints projected: parameters from ``seed``
    (:func:`retinasim.circuit.initialise`; ``None``: drawn from PyTorch's global generator), on
    ``device`` in ``dtype``, computing as ``options`` say (defaults: the fastest).

    Raises :class:`SpecError` for an inconsistent spec (dangling or cyclic connections, shapes
    that disagree, invalid plugin parameters) and :class:`PluginError` for a cell type that is not
    registered or whose plugin fails to build its module."""
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point type, got {dtype}")
    problems = check_circuit(spec)
    if problems:
        issues = [SpecIssue(_SPEC_NAME, None, None, format_path(path), m) for path, m in problems]
        raise SpecError(issues)
    _refuse_recurrence(spec)
    registry = cell_types()
    for layer in spec.layers:
        if layer.cell_type not in registry:
            known = sorted(registry)
            message = unknown_name_message(
                "cell type", layer.cell_type, known, listing="registered"
            )
            raise PluginError(message)
    check_memory(  # parameters and their initialisation's temporaries, before any is made
        2 * circuit_step_bytes(spec, 0, backward=False),
        f"building circuit {spec.name!r}",
        "use fewer cell types, smaller kernels or a smaller input",
    )
    registered = {layer.name: registry[layer.cell_type] for layer in spec.layers}
    try:
        params = cell_params(spec)
    except ValidationError as error:
        raise SpecError([SpecIssue(_SPEC_NAME, None, None, "layers.params", str(error))]) from None
    plan = _plan(spec, registered)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # plugin modules are redrawn by initialise(); keep builds quiet
        cells = {
            layer.name: _build(layer, registered[layer.name], params[layer.name], plan.frames)
            for layer in plan.layers
        }
    circuit = Circuit(plan, cells, spec=spec, spec_hash=spec_hash(spec), options=options)
    circuit.reset_parameters(seed)
    return circuit.to(device=device, dtype=dtype)


def _refuse_recurrence(spec: CircuitSpec) -> None:
    """Refuse the valid connections that the circuit cannot run yet: delayed (feedback,
    lateral) and upsampled ones (issue #25)."""
    issues = []
    for i, c in enumerate(spec.connections):
        for key, value, what in (
            ("delay", c.delay, "recurrent and delayed connections"),
            ("upsample", c.upsample, "upsampled connections"),
        ):
            if value != ConnectionSpec.model_fields[key].default:
                shown = f"[{value[0]}, {value[1]}]" if isinstance(value, tuple) else value
                message = (
                    f"{c.source} -> {c.target}: {key} {shown} is valid but {what} cannot be "
                    "run yet (issue #25)"
                )
                issues.append(SpecIssue(_SPEC_NAME, None, None, f"connections[{i}].{key}", message))
    if issues:
        raise SpecError(issues)


def _plan(spec: CircuitSpec, registered: dict[str, RegisteredCellType]) -> CircuitPlan:
    sizes = layer_sizes(spec)
    layers = []
    for name in topological_order(spec):
        layer = spec.layer(name)
        layers.append(
            LayerPlan(
                name=name,
                n_types=layer.n_types,
                type_names=tuple(layer.resolved_type_names),
                size=sizes[name],
                cell_type=layer.cell_type,
                plugin=registered[name].plugin,
                inhibitory=layer.sign is Sign.inhibitory,
                nonnegative=layer.weights is WeightConstraint.nonnegative,
            )
        )
    connections = tuple(
        ConnectionPlan(
            **c.model_dump(exclude={"weights", "delay", "upsample"}),
            nonnegative=spec.connection_constraint(c) is WeightConstraint.nonnegative,
        )
        for c in spec.connections
    )
    frame = spec.readout.frame
    return CircuitPlan(
        name=spec.name,
        input_channels=spec.input.channels,
        input_size=spec.input.size,
        frames=spec.input.frames,
        layers=tuple(layers),
        connections=connections,
        readout_layer=spec.readout.layer,
        classes=tuple(spec.readout.classes),
        readout_frame=-1 if frame == "last" else int(frame),
        dropout=spec.dropout,
        input_offset=float(spec.training.input_offset),
        input_scale=float(spec.training.input_scale),
    )


def _build(
    layer: LayerPlan, registered: RegisteredCellType, params: BaseModel, frames: int
) -> nn.Module:
    where = f"cell type {layer.cell_type!r} (plugin {registered.plugin!r}) for layer {layer.name!r}"
    try:
        module = registered.cell_type.build(layer.n_types, params, frames=frames)
    except Exception as error:
        raise PluginError(f"{where}: build() raised {type(error).__name__}: {error}") from error
    if not isinstance(module, nn.Module):
        raise PluginError(
            f"{where}: build() returned {type(module).__name__}, expected a torch.nn.Module"
        )
    return module
