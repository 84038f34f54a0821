"""retinasim: build, train and dissect biologically constrained models of retinal circuits.

The public API, importable from the top level::

    from retinasim import load_circuit, compile_circuit, MovingDots, train

Names are imported on first use, so ``import retinasim`` (and the torch-free
``retinasim.spec``) stay light. On the CPU, :func:`train` keeps freed memory for reuse
(``retinasim.tune_cpu_allocator()``; call it yourself before other heavy work)."""

from __future__ import annotations

from retinasim.util.lazy import lazy_exports

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
    "train": "retinasim.training",
    "evaluate_run": "retinasim.training",
    "load_trained": "retinasim.training",
    "record": "retinasim.recording",
    "Probe": "retinasim.recording",
    "open_recording": "retinasim.recording",
    "save_recording": "retinasim.recording",
    "tune_cpu_allocator": "retinasim.util.cpu",
    "RetinasimError": "retinasim.errors",
    "SpecError": "retinasim.errors",
}

__all__ = ["__version__", *_PUBLIC]
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
