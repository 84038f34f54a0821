"""``record`` shows the circuit its stimuli through the training input transform.

A circuit trained with ``input_scale``/``input_offset`` saw ``(luminance - offset) * scale``
in training and evaluation; its recordings must be of the same input.
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


def _circuit(training: str):
    spec = load_circuit("scaled", text=TINY_CIRCUIT + training)
    return compile_circuit(spec, seed=0).eval()


@pytest.mark.parametrize(
    ("training", "scale", "offset"),
    [("training: {input_scale: 2}\n", 2.0, 0.0), ("training: {input_offset: 0.5}\n", 1.0, 0.5)],
)
def test_recording_equals_the_circuits_forward_on_the_transformed_input(
    training: str, scale: float, offset: float
) -> None:
    circuit = _circuit(training)
    video = BARS.generate(range(3), seed=0).video
    with torch.no_grad():
        seen = circuit.run((video - offset) * scale, layers=["bipolar", "ganglion"]).activity
        raw = circuit.run(video, layers=["bipolar", "ganglion"]).activity
    for layer in ("bipolar", "ganglion"):
        recording = record(circuit, BARS, f"{layer}:full", n=3)
        recorded = torch.as_tensor(recording[layer][layer].values)
        torch.testing.assert_close(recorded, seen[layer].float())
        assert not torch.allclose(recorded, raw[layer].float())  # the transform matters here
    assert recording.attrs["input_scale"] == scale
    assert recording.attrs["input_offset"] == offset
