"""The contract every cell-type plugin implements.

A cell type turns the summed synaptic drive of a layer into the activity of its cells. It is
a subclass of :class:`CellType` with

* ``name``: the name used in circuit YAML (``cell_type: <name>``);
* ``description``: one line shown by ``retinasim plugins``;
* ``Params``: a pydantic model of its ``params:`` in YAML (strict: unknown keys rejected);
* ``module``: ``"package.module:Class"`` of the :class:`torch.nn.Module` of one layer, built
  as ``Class(n_types, params)`` and imported only when a circuit is compiled, so the class
  above stays torch-free (``retinasim validate`` needs only ``name`` and ``Params``); or, for
  a module built otherwise, an override of :meth:`build`. The module maps drive
  ``(batch, n_types, time, y, x)`` to activity of the same shape, for all types of the layer
  at once (no Python loop over types).

A plugin's whole torch-free half is then::

    class Gain(CellType):
        name = "gain"
        description = "learnable gain per type times ReLU of the drive"
        Params = GainParams
        module = "retinasim_gain.cell:GainModule"   # GainModule(n_types, params)

    retinasim_cell_types = cell_types_hook(Gain)     # retinasim.plugins.cell_types_hook

:mod:`retinasim.testing` checks a cell type against this contract.

Connections between layers belong to the circuit, not to the cell type; so do sign
constraints. When a layer's ``weights`` are ``nonnegative``, the circuit clamps the tensors
returned by the module's ``nonnegative_parameters()`` method (if it has one), else every
parameter whose name ends in ``weight``, to ≥ 0 after every optimizer step.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

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
    def build(cls, n_types: int, params: BaseModel, *, frames: int) -> nn.Module:
        """Build the module for one layer: ``module_class()(n_types, params)`` by default.

        Parameters
        ----------
        n_types
            Number of cell types in the layer (channels of the drive).
        params
            The layer's validated ``params`` (an instance of ``cls.Params``).
        frames
            Number of frames of the input, for cell types that precompute temporal operators.

        Returns
        -------
        torch.nn.Module
            ``forward(drive)``: drive ``(batch, n_types, time, y, x)`` → activity, same shape.
        """
        if not isinstance(params, cls.Params):
            raise TypeError(f"{cls.__name__}.build() needs {cls.Params.__name__}, got {params!r}")
        return cls.module_class()(n_types, params)

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


def nonnegative_parameters(module: nn.Module) -> Iterator[nn.Parameter]:
    """Parameters of a cell module that a ``nonnegative`` constraint clamps (see module doc)."""
    custom = getattr(module, "nonnegative_parameters", None)
    if callable(custom):
        yield from custom()
        return
    for name, parameter in module.named_parameters():
        if name.endswith("weight"):
            yield parameter
