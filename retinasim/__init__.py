"""retinasim: build, train and dissect biologically constrained models of retinal circuits.

The public API, importable from the top level::

    from retinasim import load_circuit, compile_circuit, MovingDots, train

Names are imported on first use, so ``import retinasim`` (and the torch-free
``retinasim.spec``) stay light.
"""

from __future__ import annotations

import importlib
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
    "RetinasimError": "retinasim.errors",
    "SpecError": "retinasim.errors",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'retinasim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
