"""The contract every cell-type plugin implements.

A cell type turns the summed synaptic drive of a layer into the activity of its cells. It is
a subclass of :class:`CellType` with ``name`` (``cell_type: <name>`` in YAML), a one-line
``description``, ``Params`` (a strict pydantic model of its ``params:``) and ``module``,
``"package.module:Class"`` of the layer's :class:`torch.nn.Module`, built as
``Class(n_types, params)`` and imported only when a circuit is compiled, so the class stays
torch-free (or, for a module built otherwise, an override of :meth:`build`). The module maps
drive ``(batch, n_types, time, y, x)`` to activity of the same shape, all types at once.
A plugin's whole torch-free half is then::

    Gain = cell_type("gain", GainParams, "retinasim_gain.cell:GainModule", "gain x ReLU")
    retinasim_cell_types = cell_types_hook(Gain)

A cell type whose layer is part of a recurrent component (a cycle of connections with delays)
runs frame by frame, so its module must also offer a *stepped form* (the built-in ones do;
a layer in a cycle whose module lacks it is refused when the circuit is compiled)::

    def initial_state(self, batch, size, *, device, dtype) -> State: ...   # at rest
    def step(self, drive, state) -> tuple[Tensor, State]: ...

``drive`` is one frame ``(batch, n_types, y, x)`` (``size`` is ``(y, x)``), the activity
returned has its shape, and the state is anything (a tensor, a tuple of tensors) that the
module alone reads; stepping through a video from ``initial_state`` must give what
``forward`` gives on the whole video, frame by frame, and be differentiable (training
backpropagates through time).

Connections between layers and sign constraints belong to the circuit: a ``nonnegative``
layer clamps the module's ``nonnegative_parameters()`` (if any), else every parameter whose
name ends in ``weight``, to ≥ 0 after every optimizer step.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar, cast

from pydantic import BaseModel, ConfigDict

from retinasim.errors import PluginError

if TYPE_CHECKING:
    from torch import nn


class CellParams(BaseModel):
    """Base of cell-type parameter models: strict, frozen, no NaN/inf, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, frozen=True, use_attribute_docstrings=True
    )


class CellType:
    """Base class of cell-type plugins (see the module docstring for the contract)."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = CellParams
    module: ClassVar[str] = ""
    """``"package.module:Class"`` of the layer's ``nn.Module``, built as
    ``Class(n_types, params)`` by the default :meth:`build` (imported on first use)."""

    @classmethod
    def module_class(cls) -> type:
        """The class named by :attr:`module` (imports it, and so torch).

        Raises :class:`~retinasim.errors.PluginError` when it cannot be imported.
        """
        module_name, _, name = cls.module.partition(":")
        try:
            return getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError, ValueError) as error:
            raise PluginError(
                f"cell type {cls.name!r}: cannot import its module {cls.module!r}: "
                f"{type(error).__name__}: {error}"
            ) from None

    @classmethod
    def build(
        cls, n_types: int, params: BaseModel, *, frames: int, frame_rate_hz: float = 30.0
    ) -> nn.Module:
        """The module of a layer of ``n_types`` types: ``module_class()(n_types, params)`` by
        default, with ``frame_rate_hz=`` too when the class's constructor takes it (``frames``,
        the input's, is for cell types that precompute temporal operators; ``frame_rate_hz``,
        the circuit's ``input.frame_rate``, for those with time constants in seconds; an
        override of ``build`` that does not take ``frame_rate_hz`` is called without it).
        Its ``forward`` maps drive ``(batch, n_types, time, y, x)`` to activity, same shape."""
        if not isinstance(params, cls.Params):
            raise TypeError(f"{cls.__name__}.build() needs {cls.Params.__name__}, got {params!r}")
        module_class = cls.module_class()
        if accepts_keyword(module_class, "frame_rate_hz"):
            return module_class(n_types, params, frame_rate_hz=frame_rate_hz)
        return module_class(n_types, params)

    @classmethod
    def check_definition(cls) -> str | None:
        """Why this class is not a usable cell type, or ``None`` when it is."""
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name.isidentifier():
            return "needs a class attribute `name` that is a valid identifier"
        if not (isinstance(cls.Params, type) and issubclass(cls.Params, BaseModel)):
            return "`Params` must be a pydantic BaseModel subclass"
        # mypy types a bound classmethod as a plain callable, without __func__
        default_build = cls.build.__func__ is CellType.build.__func__  # type: ignore[attr-defined]
        if default_build and cls.module.count(":") != 1:
            return "names no `module = 'package.module:Class'` and does not implement build()"
        return None


def cell_type(name: str, params: type[BaseModel], module: str, description: str) -> type[CellType]:
    """A :class:`CellType` subclass for a cell type whose layer module is built as
    ``Class(n_types, params)``; named after ``params`` (``AdaptiveParams`` → ``Adaptive``)."""
    attributes = {"name": name, "description": description, "Params": params, "module": module}
    declared = type(params.__name__.removesuffix("Params"), (CellType,), attributes)
    declared.__module__ = params.__module__
    return cast(type[CellType], declared)


def accepts_keyword(function: Callable[..., object], name: str) -> bool:
    """Whether ``function`` (or a class's constructor) takes the keyword argument ``name``."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def can_step(module: object) -> bool:
    """Whether a cell module offers the stepped form that a recurrent component needs:
    ``initial_state(batch, size, *, device, dtype)`` and ``step(drive, state)`` (see the
    module docstring)."""
    return callable(getattr(module, "initial_state", None)) and callable(
        getattr(module, "step", None)
    )


def nonnegative_parameters(module: nn.Module) -> Iterator[nn.Parameter]:
    """Parameters of a cell module that a ``nonnegative`` constraint clamps (see module doc)."""
    custom = getattr(module, "nonnegative_parameters", None)
    if callable(custom):
        yield from custom()
        return
    for name, parameter in module.named_parameters():
        if name.endswith("weight"):
            yield parameter
