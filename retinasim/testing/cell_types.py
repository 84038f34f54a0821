"""Contract checks of a cell type (:class:`retinasim.plugins.CellType`) and of its module.

Units: drive and activity are arbitrary units; time is in frames, space in pixels of the
layer. Every check builds on the CPU in float32 (float64 where it compares values exactly).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from pydantic import BaseModel, ValidationError
from torch import nn

from retinasim.compile import compile_circuit
from retinasim.errors import SpecError
from retinasim.plugins import CellType, cell_types, nonnegative_parameters
from retinasim.testing.circuits import (
    CHECKED_LAYER,
    SMALL_CIRCUIT_NAME,
    no_error,
    raised,
    registered_entry,
    small_circuit,
)

__all__ = ["check_cell_module", "check_cell_type", "registered_cell_type"]

CAUSAL_ATOL = 1e-10
"""How much (float64) activity before frame ``t`` may move when the drive changes from ``t``."""


def check_cell_type(
    cell_type: type[CellType] | str,
    params: Mapping[str, Any] | None = None,
    *,
    bad_params: Iterable[Mapping[str, Any]] = (),
    package: str | None = None,
    n_types: int = 3,
    frames: int = 8,
    size: tuple[int, int] = (5, 6),
    seed: int = 0,
) -> None:
    """Check a registered cell type against the contract of :class:`~retinasim.plugins.CellType`
    (each failure an AssertionError saying what broke): its registration
    (:func:`registered_cell_type`; ``package``: the distribution that must provide it);
    ``Params`` accepts ``params`` (default: its defaults), refuses an unknown key and each of
    ``bad_params`` (also in a circuit file: a SpecError at the layer's line naming the cell
    type) and documents every field; ``build(n_types, params, frames=frames)`` returns an
    ``nn.Module``, drawn identically after the same ``torch.manual_seed``, that passes
    :func:`check_cell_module` on drives ``(2, n_types, frames, *size)`` from ``seed``; in a
    small circuit (:func:`~retinasim.testing.circuits.small_circuit`, the cell type in layer
    ``cells``, also with ``weights: nonnegative``) it compiles, the same ``seed`` gives the
    same parameters, and forward and backward reach every trainable parameter of the cell.
    """
    registered = registered_cell_type(cell_type, package=package)
    values = _check_params(registered, dict(params or {}))
    for bad in bad_params:
        _check_refused(registered, dict(bad))
    module = _build_twice(registered, n_types, values, frames)
    check_cell_module(module, n_types=n_types, frames=frames, size=size, seed=seed)
    for nonnegative in (False, True):
        _check_in_circuit(
            registered, dict(params or {}), frames=frames, seed=seed, nonnegative=nonnegative
        )


def registered_cell_type(
    cell_type: type[CellType] | str, *, package: str | None = None
) -> type[CellType]:
    """The registered class of ``cell_type`` (a class or a name), checking its registration
    (:func:`~retinasim.testing.circuits.registered_entry`), that no other class holds the
    name and that the class passes :meth:`~retinasim.plugins.CellType.check_definition`."""
    name = cell_type if isinstance(cell_type, str) else getattr(cell_type, "name", None)
    entry = registered_entry("cell type", name, cell_types(), package)
    if not isinstance(cell_type, str):
        assert entry.cell_type is cell_type, (
            f"cell type {name!r} is registered by plugin {entry.plugin!r} ({entry.package}) as "
            f"{entry.cell_type!r}, not {cell_type!r}"
        )
    problem = entry.cell_type.check_definition()
    assert problem is None, f"cell type {name!r}: {problem}"
    return entry.cell_type


def check_cell_module(
    module: nn.Module, *, n_types: int, frames: int, size: tuple[int, int] = (5, 6), seed: int = 0
) -> None:
    """Check one layer's module against the cell-type contract (on copies of ``module``).

    Checks: ``forward(drive)`` maps drive ``(batch, n_types, frames, y, x)`` to a finite
    tensor of the same shape, dtype and device, in float32 and float64, whatever the
    drive's strides (the circuit hands over a frames-major layout); each trial's activity
    depends on its own drive only; it is causal and depends on the drive; gradients reach
    the drive and every trainable parameter; ``nonnegative_parameters()`` yields parameters
    of the module; ``reset_parameters()``, if any, redraws the same values after the same
    ``torch.manual_seed``.
    """
    generator = torch.Generator().manual_seed(seed)
    drive = torch.randn(2, n_types, frames, *size, generator=generator)
    single = copy.deepcopy(module).float()
    activity = _forward(single, drive, "float32")
    _check_layouts(single, drive, activity)
    double = copy.deepcopy(module).double()
    activity64 = _forward(double, drive.double(), "float64")
    assert torch.allclose(activity64.float(), activity, rtol=1e-3, atol=1e-4), (
        "activity in float64 differs from float32 by more than rounding"
    )
    _check_causal(double, drive.double(), activity64, generator)
    _check_gradients(double, drive.double(), generator)
    _check_nonnegative_parameters(module)
    _check_reset(copy.deepcopy(module), seed)


def _forward(module: nn.Module, drive: torch.Tensor, label: str) -> torch.Tensor:
    with no_error(f"forward of a {label} drive {tuple(drive.shape)}"):
        activity = module(drive)
    assert isinstance(activity, torch.Tensor), (
        f"forward returned {type(activity).__name__}, expected a tensor"
    )
    assert activity.shape == drive.shape, (
        f"forward mapped drive {tuple(drive.shape)} (batch, n_types, time, y, x) to "
        f"{tuple(activity.shape)}; expected the same shape"
    )
    assert activity.dtype == drive.dtype and activity.device == drive.device, (
        f"forward mapped a {drive.dtype} drive on {drive.device} to {activity.dtype} on "
        f"{activity.device}; expected the drive's dtype and device"
    )
    assert torch.isfinite(activity).all(), f"forward of a {label} drive is not finite"
    return activity


def _check_layouts(module: nn.Module, drive: torch.Tensor, activity: torch.Tensor) -> None:
    frames_major = drive.transpose(1, 2).contiguous().transpose(1, 2)
    assert torch.allclose(_forward(module, frames_major, "frames-major"), activity, atol=1e-6), (
        "activity depends on the drive's memory layout (a frames-major drive, as the circuit "
        "passes it, gives other values): use reshape, not view"
    )
    alone = _forward(module, drive[1:], "one-trial")
    assert torch.allclose(alone, activity[1:], atol=1e-6), (
        "a trial's activity depends on the other trials in the batch"
    )


def _check_causal(
    module: nn.Module, drive: torch.Tensor, activity: torch.Tensor, generator: torch.Generator
) -> None:
    frames = drive.shape[2]
    t = frames // 2
    changed = drive.clone()
    changed[:, :, t:] += 3 * torch.randn(changed[:, :, t:].shape, generator=generator).double()
    after = _forward(module, changed, "changed")
    leak = (after[:, :, :t] - activity[:, :, :t]).abs().max().item()
    assert leak <= CAUSAL_ATOL, (
        f"not causal: changing the drive from frame {t} of {frames} changed the activity "
        f"before frame {t} by up to {leak:.3g}"
    )
    assert not torch.equal(after[:, :, t:], activity[:, :, t:]), (
        f"the activity does not change when the drive from frame {t} on does"
    )


def _check_gradients(module: nn.Module, drive: torch.Tensor, generator: torch.Generator) -> None:
    drive = drive.clone().requires_grad_()
    weights = torch.randn(drive.shape, generator=generator).double()
    (module(drive) * weights).sum().backward()
    assert drive.grad is not None and torch.isfinite(drive.grad).all(), (
        "no finite gradient reaches the drive"
    )
    assert drive.grad.abs().sum() > 0, "the gradient of the drive is zero everywhere"
    missing = [
        name
        for name, parameter in module.named_parameters()
        if parameter.requires_grad
        and (parameter.grad is None or not torch.isfinite(parameter.grad).all())
    ]
    assert not missing, f"no finite gradient reaches the trainable parameters {missing}"


def _check_nonnegative_parameters(module: nn.Module) -> None:
    own = {id(parameter) for parameter in module.parameters()}
    strangers = [
        type(tensor).__name__ for tensor in nonnegative_parameters(module) if id(tensor) not in own
    ]
    assert not strangers, (
        "nonnegative_parameters() yields tensors that are not parameters of the module, so "
        "the `nonnegative` constraint could not clamp them"
    )


def _check_reset(module: nn.Module, seed: int) -> None:
    reset = getattr(module, "reset_parameters", None)
    if not callable(reset):
        return
    states = []
    with torch.random.fork_rng(devices=[]):
        for _ in range(2):
            torch.manual_seed(seed)
            reset()
            states.append(_state(module))
    assert _same_state(*states), (
        "reset_parameters() draws other values after the same torch.manual_seed: draw from "
        "torch's global generator (retinasim seeds it per cell) and nothing else"
    )


def _check_params(cell_type: type[CellType], params: dict[str, Any]) -> BaseModel:
    model = cell_type.Params
    with no_error(f"{model.__name__}(**{params!r})"):
        values = model(**params)
    unknown = raised(ValidationError, lambda: model(**params, not_a_parameter_of_this_cell=1))
    assert unknown, f"{model.__name__} accepts unknown keys (use CellParams as base)"
    undocumented = [name for name, field in model.model_fields.items() if not field.description]
    assert not undocumented, (
        f"{model.__name__} documents no {undocumented}: give each field a docstring (it "
        f"becomes its description in the JSON Schema and docs/spec-reference.md)"
    )
    return values


def _check_refused(cell_type: type[CellType], bad: dict[str, Any]) -> None:
    refused = raised(ValidationError, lambda: cell_type.Params(**bad))
    assert refused, f"{cell_type.Params.__name__} accepts the bad params {bad!r}"
    error = raised(SpecError, lambda: small_circuit(cell_type=cell_type.name, params=bad))
    assert error, f"a circuit with params {bad!r} loads"
    text = str(error)
    assert f"{SMALL_CIRCUIT_NAME}:5:" in text and "layers[0].params" in text, (
        f"the bad params {bad!r} are not reported at the layer's params (line 5): {text}"
    )
    assert cell_type.name in text, f"the error does not name the cell type: {text}"


def _build_twice(
    cell_type: type[CellType], n_types: int, params: BaseModel, frames: int
) -> nn.Module:
    modules = []
    with torch.random.fork_rng(devices=[]):
        for _ in range(2):
            torch.manual_seed(0)
            with no_error(f"{cell_type.__name__}.build({n_types}, {params!r}, frames={frames})"):
                modules.append(cell_type.build(n_types, params, frames=frames))
    assert isinstance(modules[0], nn.Module), (
        f"build() returned {type(modules[0]).__name__}, expected a torch.nn.Module"
    )
    assert _same_state(_state(modules[0]), _state(modules[1])), (
        "build() draws other parameters after the same torch.manual_seed"
    )
    return modules[0]


def _check_in_circuit(
    cell_type: type[CellType], params: dict, *, frames: int, seed: int, nonnegative: bool
) -> None:
    options = {"cell_type": cell_type.name, "params": params, "nonnegative": nonnegative}
    what = f"a small circuit with {cell_type.name!r} cells"
    with no_error(f"loading and compiling {what}"):
        spec = small_circuit(frames=frames, **options)
        circuit = compile_circuit(spec, seed=seed)
        again = compile_circuit(spec, seed=seed)
    cells = circuit.cells[CHECKED_LAYER]
    assert _same_state(_state(cells), _state(again.cells[CHECKED_LAYER])), (
        f"{what}: the same seed gives other cell parameters (reset_parameters() must draw "
        f"only from torch's global generator)"
    )
    generator = torch.Generator().manual_seed(seed)
    video = torch.rand(2, 1, frames, *spec.input.size, generator=generator)
    with no_error(f"forward and backward of {what}"):
        logits = circuit(video)
        logits[:, -1].sum().backward()
    assert torch.isfinite(logits).all(), f"{what} gives non-finite logits"
    missing = [name for name, p in cells.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"{what}: no gradient reaches the cells' parameters {missing}"


def _state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def _same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[name], b[name]) for name in a)
