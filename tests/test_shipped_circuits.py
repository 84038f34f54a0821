"""Every circuit in ``circuits/`` compiles and runs a forward and backward pass at full size."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import CIRCUITS

from retinasim.compile import compile_circuit
from retinasim.spec import load_circuit


@pytest.mark.parametrize("file", CIRCUITS, ids=lambda f: f.stem)
def test_circuit_compiles_and_runs_forward_and_backward(file: Path) -> None:
    spec = load_circuit(file)
    circuit = compile_circuit(spec, seed=0).train()
    height, width = spec.input.size
    video = torch.rand(2, spec.input.channels, spec.input.frames, height, width)
    logits = circuit(video)
    assert logits.shape == (2, spec.input.frames, len(spec.readout.classes))
    logits[:, -1].logsumexp(dim=1).sum().backward()
    gradients = [p.grad for p in circuit.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in gradients)
    assert any(g.abs().sum() > 0 for g in gradients)
