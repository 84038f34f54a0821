"""A tiny circuit and task for the training tests (32×32×8 input, 2 types per layer)."""

from __future__ import annotations

from pathlib import Path

from helpers import TINY_CIRCUIT

from retinasim.spec import CircuitSpec, load_circuit

TRAINING = """\
training:
  steps: 300
  batch_size: 16
  learning_rate: 0.003
  warmup_steps: 10
  init: normalised
  init_readout_scale: 0.0
  log_every: 50
  eval_every: 150
  checkpoint_every: 100
  validation_size: 64
  stimulus: {alpha: 8.0, dot_radius: 2.0, mean_dots_in_view: 6.0, s_range: [0.25, 0.5]}
"""

TINY_TRAINED = TINY_CIRCUIT + TRAINING
"""The tests' tiny circuit with a training section that learns in a few seconds."""


def tiny_spec(**training: object) -> CircuitSpec:
    """The tiny circuit with ``training`` fields replaced."""
    spec = load_circuit("tiny.yaml", text=TINY_TRAINED)
    if not training:
        return spec
    data = spec.model_dump(mode="json")
    data["training"].update(training)
    return CircuitSpec.model_validate(data)


def write_tiny(folder: Path, text: str = TINY_TRAINED) -> Path:
    """Write the tiny circuit file into ``folder``; return its path."""
    path = folder / "tiny.yaml"
    path.write_text(text)
    return path


def with_dropout(spec: CircuitSpec, probability: float) -> CircuitSpec:
    """``spec`` with another dropout probability (validated)."""
    return CircuitSpec.model_validate({**spec.model_dump(mode="json"), "dropout": probability})
