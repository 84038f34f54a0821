"""Spatial connections: every execution path equals a plain convolution and the reference."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import random
import textwrap

import pytest
import torch
import torch.nn.functional as F
from helpers import ROOT

from retinasim.circuit import Circuit, CircuitOptions, conv
from retinasim.circuit.conv import conv2d
from retinasim.compile import compile_circuit
from retinasim.spec import load_circuit


def load_reference():
    path = ROOT / "bench" / "reference.py"
    spec = importlib.util.spec_from_file_location("bench_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ReferenceCircuit


def random_configurations(count: int, seed: int = 0):
    """(channels in, out, kernel, stride, padding, size) with valid output sizes."""
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        kernel = (rng.randint(1, 6), rng.randint(1, 6))
        stride = (rng.randint(1, 4), rng.randint(1, 4))
        padding = (rng.randint(0, 2), rng.randint(0, 2))
        size = (rng.randint(6, 17), rng.randint(6, 17))
        if all(size[d] + 2 * padding[d] >= kernel[d] for d in range(2)):
            found.append((rng.randint(1, 3), rng.randint(1, 3), kernel, stride, padding, size))
    # the murray2021 input connection's shape family: kernel a multiple of the stride
    found.append((1, 2, (10, 10), (5, 5), (0, 0), (35, 35)))
    return found


@pytest.mark.parametrize("chunk", [2, 16])
@pytest.mark.parametrize(
    ("cin", "cout", "kernel", "stride", "padding", "size"), random_configurations(12)
)
def test_backward_routes_equal_autograd(
    chunk, cin, cout, kernel, stride, padding, size, monkeypatch
) -> None:
    monkeypatch.setattr(conv, "WEIGHT_GRAD_CHUNK", chunk)
    torch.manual_seed(0)
    x = torch.randn(5, cin, *size, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(cout, cin, *kernel, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(cout, dtype=torch.float64, requires_grad=True)
    ours = conv2d(
        x, weight, bias, stride, padding, dilated_weight_grad=True, channels_last_input_grad=True
    )
    plain = F.conv2d(x, weight, bias, stride, padding)
    torch.testing.assert_close(ours, plain)
    grad = torch.randn_like(plain)
    for a, b in zip(
        torch.autograd.grad(ours, (x, weight, bias), grad),
        torch.autograd.grad(plain, (x, weight, bias), grad),
        strict=True,
    ):
        torch.testing.assert_close(a, b)


def one_layer(cin, cout, kernel, stride, padding, size) -> Circuit:
    text = f"""\
    name: one
    input: {{channels: {cin}, size: [{size[0]}, {size[1]}], frames: 3}}
    layers:
      - {{name: cells, cell_type: spatiotemporal, n_types: {cout}, params: {{temporal_kernel: 1}}}}
    connections:
      - {{source: input, target: cells, kernel: {list(kernel)}, stride: {list(stride)},
          padding: {list(padding)}}}
    readout: {{layer: cells}}
    """
    circuit = compile_circuit(load_circuit("<one>", text=textwrap.dedent(text)), seed=1)
    with torch.no_grad():  # the cell becomes a plain ReLU
        circuit.cells["cells"].weight.fill_(1.0)
        circuit.cells["cells"].bias.fill_(0.0)
    return circuit.double().eval()


@pytest.mark.parametrize("dilated", [True, False])
@pytest.mark.parametrize(
    ("cin", "cout", "kernel", "stride", "padding", "size"), random_configurations(8, seed=1)
)
def test_a_connection_is_a_per_frame_conv2d(dilated, cin, cout, kernel, stride, padding, size):
    circuit = one_layer(cin, cout, kernel, stride, padding, size)
    circuit.options = CircuitOptions(dilated_input_weight_grad=dilated)
    video = torch.randn(2, cin, 3, *size, dtype=torch.float64)
    connection = circuit.connections["input->cells"]
    frames = video.transpose(1, 2).flatten(0, 1)
    expected = F.conv2d(frames, connection.weight, connection.bias, stride, padding).relu()
    activity = circuit.run(video).activity["cells"]
    torch.testing.assert_close(activity.transpose(1, 2).flatten(0, 1), expected)


def small_spec(text: str | None = None):
    if text is not None:
        return load_circuit("<test>", text=textwrap.dedent(text))
    spec = load_circuit(ROOT / "circuits" / "murray2021.yaml")
    return spec.model_copy(
        update={"input": spec.input.model_copy(update={"size": (55, 55), "frames": 12})}
    )


BRANCHED = """\
name: branched
input: {channels: 2, size: [23, 23], frames: 9}
layers:
  - {name: outer, cell_type: spatiotemporal, n_types: 3, params: {temporal_kernel: 4}}
  - {name: inner, cell_type: spatiotemporal, n_types: 2, sign: inhibitory, weights: nonnegative}
  - {name: output, cell_type: spatiotemporal, n_types: 2, params: {temporal_kernel: 12}}
connections:
  - {source: input, target: outer, kernel: 3, stride: 2, padding: 1}
  - {source: outer, target: inner, kernel: 3, stride: 2}
  - {source: outer, target: output, kernel: 3, stride: 2}
  - {source: inner, target: output, kernel: 3, padding: 1, bias: false}
  - {source: input, target: output, kernel: 7, stride: 4, padding: 1}
readout: {layer: output, classes: [x, y, z]}
"""


@pytest.mark.parametrize("text", [None, BRANCHED], ids=["murray2021-small", "branched"])
def test_compiled_equals_the_straightforward_reference(text) -> None:
    circuit = compile_circuit(small_spec(text), seed=2, dtype=torch.float64).eval()
    reference = load_reference().from_circuit(circuit).eval()
    channels, frames = circuit.plan.input_channels, circuit.plan.frames
    video = torch.rand(2, channels, frames, *circuit.plan.input_size, dtype=torch.float64)
    ours = circuit.run(video)
    logits, activity = reference.run(video)
    torch.testing.assert_close(ours.logits, logits)
    for name in circuit.layer_names:
        torch.testing.assert_close(ours.activity[name], activity[name])


@pytest.mark.parametrize("text", [None, BRANCHED], ids=["murray2021-small", "branched"])
def test_every_option_computes_the_same_function_and_gradients(text) -> None:
    circuit = compile_circuit(small_spec(text), seed=3, dtype=torch.float64).eval()
    channels, frames = circuit.plan.input_channels, circuit.plan.frames
    video = torch.rand(2, channels, frames, *circuit.plan.input_size, dtype=torch.float64)
    results = []
    names = [f.name for f in dataclasses.fields(CircuitOptions)]
    for flags in itertools.product([True, False], repeat=len(names)):
        circuit.options = CircuitOptions(**dict(zip(names, flags, strict=True)))
        logits = circuit(video)
        grads = torch.autograd.grad(logits.square().sum(), list(circuit.parameters()))
        results.append((logits, grads))
    for logits, grads in results[1:]:
        torch.testing.assert_close(logits, results[0][0])
        for a, b in zip(grads, results[0][1], strict=True):
            torch.testing.assert_close(a, b)


def test_a_pointwise_connection_equals_the_convolution_it_replaces() -> None:
    """1 x 1 connections (stride 1, no padding) mix channels with einsum, not oneDNN."""
    from retinasim.circuit.connections import _pointwise

    generator = torch.Generator().manual_seed(0)
    source = torch.randn(3, 4, 9, 7, generator=generator, dtype=torch.float64)
    weight = torch.randn(5, 4, 1, 1, generator=generator, dtype=torch.float64)
    bias = torch.randn(5, generator=generator, dtype=torch.float64)
    expected = torch.nn.functional.conv2d(source, weight, bias)
    torch.testing.assert_close(_pointwise(source, weight, bias), expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(_pointwise(source, weight, None), expected - bias.view(1, -1, 1, 1))
