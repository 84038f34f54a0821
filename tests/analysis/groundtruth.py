"""Hand-wired circuits with known answers, compiled from ``circuits/test/*.yaml``.

Shared by the recording, analysis, plot and CLI tests (importable as ``groundtruth``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from retinasim.compile import compile_circuit
from retinasim.spec import load_circuit

ROOT = Path(__file__).resolve().parents[2]
REICHARDT = ROOT / "circuits" / "test" / "reichardt.yaml"
PLANTED_RF = ROOT / "circuits" / "test" / "planted_rf.yaml"

DELAY = 2
"""Frames of delay of the delayed bipolar type = pixels between the detector's two inputs, so
a bar moving at 1 pixel/frame from the delayed input to the fast one makes them coincide."""


def reichardt(wiring: str = "rightward"):
    """The delay-and-compare detector of ``circuits/test/reichardt.yaml``.

    Parameters
    ----------
    wiring
        ``"rightward"``: delayed input at the left end of the 1 x 3 kernel, fast input at the
        right (a bar moving right, +x, reaches the delayed input first: coincidence);
        ``"leftward"``: the mirror image; ``"symmetric"``: fast and
        delayed inputs at both ends (no preferred direction: it fires for
        both rightward and leftward motion).
    """
    circuit = compile_circuit(load_circuit(REICHARDT), seed=0)
    bipolar = circuit.cells["bipolar"]
    ganglion = circuit.cells["ganglion"]
    with torch.no_grad():
        input_connection = circuit.connections["input->bipolar"]
        input_connection.weight.fill_(1.0)
        input_connection.bias.zero_()
        bipolar.weight.zero_()
        bipolar.weight[0, 0] = 1.0  # fast: the current frame
        bipolar.weight[1, DELAY] = 1.0  # delayed: DELAY frames ago
        bipolar.bias.zero_()
        detector = circuit.connections["bipolar->ganglion"]
        detector.weight.zero_()
        detector.bias.zero_()
        fast, delayed = 0, 1
        if wiring == "rightward":
            detector.weight[0, delayed, 0, 0] = 1.0
            detector.weight[0, fast, 0, DELAY] = 1.0
        elif wiring == "leftward":
            detector.weight[0, delayed, 0, DELAY] = 1.0
            detector.weight[0, fast, 0, 0] = 1.0
        elif wiring == "symmetric":  # both pairs at 0.75: a coincidence reaches 1.5
            detector.weight[0, :, 0, 0] = 0.75
            detector.weight[0, :, 0, DELAY] = 0.75
        else:
            raise ValueError(wiring)
        ganglion.weight.fill_(1.0)
        ganglion.bias.fill_(-1.2)  # one input alone (<= 1) stays below threshold
    return circuit.eval()


SPATIAL = np.array(
    [
        [0.0, -0.2, -0.3, -0.2, 0.0],
        [-0.2, 0.3, 0.6, 0.2, -0.2],
        [-0.3, 0.6, 1.0, 0.5, -0.3],
        [-0.2, 0.2, 0.5, 0.1, -0.2],
        [0.0, -0.2, -0.3, -0.2, 0.0],
    ]
)
"""Planted spatial kernel of type 0 (an asymmetric centre with a surround)."""
TEMPORAL = np.array([0.3, 1.0, 0.5, -0.4])
"""Planted temporal filter of type 0, taps 0..3 (tap k: k frames in the past)."""


def planted_rf():
    """``circuits/test/planted_rf.yaml`` with :data:`SPATIAL` ⊗ :data:`TEMPORAL` planted in
    type 0 (type 1: the kernel flipped, filter reversed); biases keep both units linear."""
    circuit = compile_circuit(load_circuit(PLANTED_RF), seed=0)
    with torch.no_grad():
        connection = circuit.connections["input->bipolar"]
        connection.weight[0, 0] = torch.as_tensor(SPATIAL, dtype=torch.float32)
        connection.weight[1, 0] = torch.as_tensor(SPATIAL[::-1, ::-1].copy(), dtype=torch.float32)
        connection.bias.zero_()
        cells = circuit.cells["bipolar"]
        cells.weight[0] = torch.as_tensor(TEMPORAL, dtype=torch.float32)
        cells.weight[1] = torch.as_tensor(TEMPORAL[::-1].copy(), dtype=torch.float32)
        cells.bias.fill_(10.0)  # far above any drive: the rectifier never cuts
    return circuit.eval()
