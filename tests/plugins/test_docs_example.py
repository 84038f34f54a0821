"""The complete plugin example of docs/plugins.md works as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from helpers import ROOT, TINY_CIRCUIT, write_distribution

from retinasim import plugins
from retinasim.compile import compile_circuit
from retinasim.errors import SpecError
from retinasim.spec import load_circuit

GUIDE = (ROOT / "docs" / "plugins.md").read_text()


def test_documented_plugin_registers_and_validates(plugin_site: Path) -> None:
    code = re.search(r"`retinasim_gain/__init__.py`:\n\n```python\n(.*?)```", GUIDE, re.S)
    assert code is not None
    write_distribution(
        plugin_site, "retinasim_gain", "0.1.0", {"gain": "retinasim_gain"}, code.group(1)
    )
    entry = plugins.cell_types()["gain"]
    assert (entry.package, entry.version) == ("retinasim_gain", "0.1.0")
    text = TINY_CIRCUIT.replace(
        "cell_type: spatiotemporal, n_types: 2, params: {temporal_kernel: 3}",
        "cell_type: gain, n_types: 2, params: {initial_gain: 0.5}",
    )
    spec = load_circuit("g.yaml", text=text)
    assert spec.layers[0].cell_type == "gain"
    circuit = compile_circuit(spec, seed=0)
    logits = circuit(torch.rand(2, 1, 8, 32, 32))
    assert logits.shape == (2, 8, 2)
    gains = circuit.cells["bipolar"].weight
    assert torch.equal(gains, torch.full((2,), 0.5))
    with pytest.raises(SpecError, match="did you mean 'initial_gain'"):
        load_circuit("g.yaml", text=text.replace("initial_gain", "initial_gian"))
