"""Every circuit in ``circuits/`` compiles and runs a forward and backward pass at full size.

The reference ``murray2021`` runs in the default suite; its variants (``murray2021_*``) run at
full size under ``-m slow`` (``tests/variants/`` checks them at reduced size by default). A
circuit whose cell-type plugin is not installed is skipped, naming the plugin to install.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from helpers import CIRCUITS

from retinasim.compile import compile_circuit
from retinasim.spec import load_circuit


def missing_cell_types(file: Path) -> list[str]:
    """Cell types a circuit file names that no installed plugin provides."""
    from retinasim.plugins import cell_types

    layers = yaml.safe_load(file.read_text()).get("layers", [])
    return sorted({layer["cell_type"] for layer in layers} - set(cell_types()))


def _param(file: Path):
    marks = [pytest.mark.slow] if file.stem.startswith("murray2021_") else []
    return pytest.param(file, marks=marks, id=file.stem)


@pytest.mark.parametrize("file", [_param(f) for f in CIRCUITS])
def test_circuit_compiles_and_runs_forward_and_backward(file: Path) -> None:
    missing = missing_cell_types(file)
    if missing:
        pytest.skip(f"cell-type plugin not installed: {', '.join(missing)} (see plugins/)")
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
