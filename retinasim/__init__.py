"""retinasim: build, train and dissect biologically constrained models of retinal circuits.

The public API, importable from the top level::

    from retinasim import load_circuit, compile_circuit, MovingDots, train

Names are imported on first use, so ``import retinasim`` (and the torch-free
``retinasim.spec``) stay light. On the CPU, call ``retinasim.tune_cpu_allocator()`` once at
the start of a script or notebook: the command line does, and training steps run up to 2×
faster with it (``docs/performance.md``).

Two public names are also the names of subpackages: the function :func:`record` (from the
subpackage ``retinasim.record``) and the function :func:`train` (from ``retinasim.train``).
Importing a subpackage normally binds it as an attribute of its parent, which would hide the
function behind the module depending on what was imported first. This package's module type
refuses that binding for public names, so ``retinasim.record`` is always the function while
``import retinasim.record.storage`` and ``from retinasim.record import Probe`` keep working
(they go through ``sys.modules``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "load_circuit": "retinasim.spec",
    "spec_hash": "retinasim.spec",
    "CircuitSpec": "retinasim.spec",
    "compile_circuit": "retinasim.compile",
    "Circuit": "retinasim.circuit",
    "CircuitOptions": "retinasim.circuit",
    "CellType": "retinasim.cells",
    "CellParams": "retinasim.cells",
    "MovingDots": "retinasim.stimuli",
    "MovingBars": "retinasim.stimuli",
    "Gratings": "retinasim.stimuli",
    "Flashes": "retinasim.stimuli",
    "WhiteNoise": "retinasim.stimuli",
    "StimulusBatch": "retinasim.stimuli",
    "train": "retinasim.train",
    "evaluate_run": "retinasim.train",
    "load_trained": "retinasim.train",
    "record": "retinasim.record",
    "Probe": "retinasim.record",
    "open_recording": "retinasim.record",
    "save_recording": "retinasim.record",
    "tune_cpu_allocator": "retinasim.util.cpu",
    "RetinasimError": "retinasim.errors",
    "SpecError": "retinasim.errors",
}

__all__ = ["__version__", *_PUBLIC]


class _Package(types.ModuleType):
    """The type of this package's module: public names win over subpackages of the same name."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PUBLIC and isinstance(value, types.ModuleType):
            return  # the import system binding a subpackage: ``__getattr__`` serves the name
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'retinasim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
