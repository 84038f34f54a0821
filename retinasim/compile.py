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
from retinasim.plugins.cell_type import accepts_keyword, can_step
from retinasim.plugins.manager import unknown_name_message
from retinasim.spec import (
    CircuitSpec,
    Sign,
    WeightConstraint,
    cell_params,
    layer_sizes,
    spec_hash,
)
from retinasim.spec.graph import (
    check_circuit,
    circuit_step_bytes,
    component_order,
    recurrent_components,
)
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
    frame_rate = float(spec.input.frame_rate)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # plugin modules are redrawn by initialise(); keep builds quiet
        cells = {
            layer.name: _build(
                layer, registered[layer.name], params[layer.name], plan.frames, frame_rate
            )
            for layer in plan.layers
        }
    _check_steppable(plan, cells)
    circuit = Circuit(plan, cells, spec=spec, spec_hash=spec_hash(spec), options=options)
    circuit.reset_parameters(seed)
    return circuit.to(device=device, dtype=dtype)


def _plan(spec: CircuitSpec, registered: dict[str, RegisteredCellType]) -> CircuitPlan:
    sizes = layer_sizes(spec)
    layers = []
    for name in [name for component in component_order(spec) for name in component]:
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
            **c.model_dump(exclude={"weights"}),
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
        recurrent=tuple(recurrent_components(spec)),
    )


def _build(
    layer: LayerPlan,
    registered: RegisteredCellType,
    params: BaseModel,
    frames: int,
    frame_rate_hz: float,
) -> nn.Module:
    """A layer's cell module from its plugin's ``build()``, given ``frame_rate_hz`` when the
    plugin's ``build`` takes it (older plugins' do not)."""
    where = f"cell type {layer.cell_type!r} (plugin {registered.plugin!r}) for layer {layer.name!r}"
    build = registered.cell_type.build
    extra = {"frame_rate_hz": frame_rate_hz} if accepts_keyword(build, "frame_rate_hz") else {}
    try:
        module = build(layer.n_types, params, frames=frames, **extra)
    except Exception as error:
        raise PluginError(f"{where}: build() raised {type(error).__name__}: {error}") from error
    if not isinstance(module, nn.Module):
        raise PluginError(
            f"{where}: build() returned {type(module).__name__}, expected a torch.nn.Module"
        )
    return module


def _check_steppable(plan: CircuitPlan, cells: dict[str, nn.Module]) -> None:
    """Refuse a layer of a recurrent component whose cell module cannot run frame by frame
    (no ``initial_state``/``step``, see :mod:`retinasim.plugins.cell_type`)."""
    for component in plan.recurrent:
        loops = [c for c in plan.connections if c.source in component and c.target in component]
        cycle = ", ".join(
            f"{c.source} -> {c.target}" + (f" (delay {c.delay})" if c.delay else "") for c in loops
        )
        for name in component:
            if not can_step(cells[name]):
                layer = plan.layer(name)
                raise PluginError(
                    f"cell type {layer.cell_type!r} (plugin {layer.plugin!r}) of layer "
                    f"{name!r} cannot run frame by frame (its module has no initial_state() "
                    f"and step()), but {name!r} is in a recurrent component: {cycle}"
                )
