"""The layer order of a circuit: it decides the order in which the compiled circuit makes
(and seeds) its parameters, so it must never change."""

from __future__ import annotations

import pytest
from helpers import ROOT

from retinasim.spec import load_circuit, topological_order

WAVES = """\
name: waves
input: {channels: 1, size: [32, 32], frames: 8}
layers:
  - {name: ganglion, cell_type: spatiotemporal, n_types: 2}
  - {name: late, cell_type: spatiotemporal, n_types: 2}
  - {name: bipolar, cell_type: spatiotemporal, n_types: 2}
  - {name: amacrine, cell_type: spatiotemporal, n_types: 2}
connections:
  - {source: input, target: amacrine, kernel: 1}
  - {source: amacrine, target: late, kernel: 1}
  - {source: input, target: bipolar, kernel: 1}
  - {source: bipolar, target: ganglion, kernel: 1}
  - {source: late, target: ganglion, kernel: 1}
readout: {layer: ganglion}
"""


def test_layers_come_wave_by_wave_each_wave_in_file_order() -> None:
    assert topological_order(load_circuit("w.yaml", text=WAVES)) == [
        "bipolar",
        "amacrine",
        "late",
        "ganglion",
    ]


@pytest.mark.parametrize(
    ("name", "order"),
    [
        ("murray2021", ["bipolar", "amacrine", "ganglion"]),
        ("murray2021_extra_amacrine", ["bipolar", "amacrine", "amacrine2", "ganglion"]),
        ("test/reichardt", ["bipolar", "ganglion"]),
    ],
)
def test_shipped_circuits_keep_their_layer_order(name: str, order: list[str]) -> None:
    assert topological_order(load_circuit(ROOT / "circuits" / f"{name}.yaml")) == order
