"""The circuit applies its training input transform itself, so every caller feeds luminance.

A circuit trained with ``input_scale``/``input_offset`` saw ``(luminance - offset) * scale``
in training; the compiled circuit holds the transform (``CircuitPlan``) and applies it in
``run``, so its recordings, evaluation and analyses all see the same input.
"""

from __future__ import annotations

import pytest
import torch
from helpers import TINY_CIRCUIT

from retinasim.compile import compile_circuit
from retinasim.recording import record
from retinasim.spec import load_circuit
from retinasim.stimuli import MovingBars

BARS = MovingBars(height=32, width=32, frames=8, speeds=(1.0,), widths=(2.0,))
LAYERS = ["bipolar", "ganglion"]


def _circuit(training: str):
    spec = load_circuit("scaled", text=TINY_CIRCUIT + training)
    return compile_circuit(spec, seed=0).eval()


@pytest.mark.parametrize(
    ("training", "scale", "offset"),
    [("training: {input_scale: 2}\n", 2.0, 0.0), ("training: {input_offset: 0.5}\n", 1.0, 0.5)],
)
def test_the_circuit_sees_the_transformed_luminance_and_record_shows_the_same(
    training: str, scale: float, offset: float
) -> None:
    circuit = _circuit(training)
    plain = _circuit("")  # the same weights (same seed), no transform
    plain.load_state_dict(circuit.state_dict())
    video = BARS.generate(range(3), seed=0).video
    with torch.no_grad():
        seen = circuit.run(video, layers=LAYERS).activity
        by_hand = plain.run((video - offset) * scale, layers=LAYERS).activity
        untransformed = plain.run(video, layers=LAYERS).activity
    for layer in LAYERS:
        torch.testing.assert_close(seen[layer], by_hand[layer], rtol=0, atol=0)
        assert not torch.allclose(seen[layer], untransformed[layer])  # the transform matters
        recording = record(circuit, BARS, f"{layer}:full", n=3)
        recorded = torch.as_tensor(recording[layer][layer].values)
        torch.testing.assert_close(recorded, seen[layer].float())
    assert recording.attrs["input_scale"] == scale
    assert recording.attrs["input_offset"] == offset
