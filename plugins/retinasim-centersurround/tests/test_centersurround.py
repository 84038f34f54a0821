"""The centersurround plugin: registration, the DoG, causality, validation, a compiled circuit."""

from __future__ import annotations

import textwrap

import pytest
import torch
from retinasim_centersurround import CenterSurroundParams, difference_of_gaussians

from retinasim.compile import compile_circuit
from retinasim.errors import PluginError, SpecError
from retinasim.plugins import cell_types
from retinasim.spec import load_circuit

CIRCUIT = """\
name: cs
input: {channels: 1, size: [24, 24], frames: 6}
layers:
  - name: bipolar
    cell_type: centersurround
    n_types: 2
    params: {kernel_size: KSIZE, temporal_kernel: 3}
  - {name: ganglion, cell_type: spatiotemporal, n_types: 2, weights: nonnegative,
     params: {temporal_kernel: 3}}
connections:
  - {source: input, target: bipolar, kernel: 4, stride: 2}
  - {source: bipolar, target: ganglion, kernel: 3}
readout: {layer: ganglion}
"""


def circuit_text(kernel_size: int = 5) -> str:
    return CIRCUIT.replace("KSIZE", str(kernel_size))


def test_registered_through_the_entry_point() -> None:
    entry = cell_types()["centersurround"]
    assert entry.package == "retinasim-centersurround"
    assert entry.version == "0.1.0"


def test_dog_has_an_excitatory_centre_and_inhibitory_surround() -> None:
    ones = torch.ones(1)
    kernel = difference_of_gaussians(ones, 3 * ones, ones, 0.5 * ones, 11)[0, 0]
    assert kernel.shape == (11, 11)
    assert kernel[5, 5] > 0 and kernel[0, 5] < 0
    assert kernel.sum().item() == pytest.approx(0.5, abs=1e-5)  # 1 - 0.5 (unit-sum Gaussians)


def test_forward_is_causal_and_keeps_the_shape() -> None:
    module = compile_circuit(load_circuit("cs.yaml", text=circuit_text()), seed=0).cells["bipolar"]
    drive = torch.randn(2, 2, 6, 11, 11)
    out = module(drive)
    assert out.shape == drive.shape and (out >= 0).all()
    changed = drive.clone()
    changed[:, :, 4:] += 5.0
    assert torch.equal(module(changed)[:, :, :4], out[:, :, :4])


def test_widths_and_strengths_get_gradients_in_a_circuit() -> None:
    circuit = compile_circuit(load_circuit("cs.yaml", text=circuit_text()), seed=0)
    logits = circuit(torch.rand(2, 1, 6, 24, 24))
    logits[:, -1].sum().backward()
    cell = circuit.cells["bipolar"]
    for name in ("log_center_sigma", "log_surround_sigma", "center_strength", "weight"):
        assert getattr(cell, name).grad is not None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kernel_size": 4}, "kernel_size must be odd"),
        ({"center_sigma": 2.0, "surround_sigma": 1.0}, "must be larger than center_sigma"),
        ({"center_sigma": 0.0}, "greater than 0"),
    ],
)
def test_invalid_params_are_rejected(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CenterSurroundParams(**params)


def test_invalid_params_in_yaml_name_the_layer(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(circuit_text(kernel_size=4))
    with pytest.raises(SpecError) as caught:
        load_circuit(path)
    text = str(caught.value)
    assert "layers[0].params" in text and "kernel_size must be odd" in text
    assert "centersurround" in text
    assert "bad.yaml:7:" in text  # the line of the bipolar layer's params


def test_a_forward_that_raises_is_reported_with_plugin_and_layer(monkeypatch) -> None:
    circuit = compile_circuit(load_circuit("cs.yaml", text=circuit_text()), seed=0)

    def broken(drive):
        raise RuntimeError("boom")

    monkeypatch.setattr(circuit.cells["bipolar"], "forward", broken)
    with pytest.raises(PluginError) as caught:
        circuit(torch.rand(1, 1, 6, 24, 24))
    text = str(caught.value)
    assert "centersurround" in text and "bipolar" in text and "boom" in text


def test_a_wrong_shape_is_reported_with_plugin_and_layer(monkeypatch) -> None:
    circuit = compile_circuit(load_circuit("cs.yaml", text=circuit_text()), seed=0)
    monkeypatch.setattr(circuit.cells["bipolar"], "forward", lambda drive: drive[:, :1])
    with pytest.raises(PluginError) as caught:
        circuit(torch.rand(1, 1, 6, 24, 24))
    assert "centersurround" in str(caught.value) and "'bipolar'" in str(caught.value)


def test_the_docs_example_params_round_trip() -> None:
    text = textwrap.dedent(circuit_text(7))
    assert load_circuit("cs.yaml", text=text).layer("bipolar").params["kernel_size"] == 7
