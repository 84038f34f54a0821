"""compile_circuit: any acyclic circuit → a Circuit module with the spec's shapes and metadata."""

from __future__ import annotations

import textwrap

import pytest
import torch
from helpers import ROOT
from pydantic import Field

from retinasim import plugins
from retinasim.cells import CellParams, CellType
from retinasim.circuit import Circuit
from retinasim.compile import compile_circuit
from retinasim.errors import PluginError, SpecError
from retinasim.plugins import hookimpl
from retinasim.spec import CircuitSpec, load_circuit, spec_hash

MURRAY = ROOT / "circuits" / "murray2021.yaml"


def spec_from(text: str) -> CircuitSpec:
    return load_circuit("<test>", text=textwrap.dedent(text))


CHAIN = """\
name: chain
input: {channels: 2, size: [20, 18], frames: 6}
layers:
  - {name: cones, cell_type: spatiotemporal, n_types: 3, params: {temporal_kernel: 2}}
  - {name: horizontal-cells, cell_type: spatiotemporal, n_types: 2, sign: inhibitory}
  - {name: midget, cell_type: spatiotemporal, n_types: 4, weights: nonnegative}
  - {name: parasol, cell_type: spatiotemporal, n_types: 1, params: {temporal_kernel: 6}}
connections:
  - {source: input, target: cones, kernel: [3, 2], stride: 1, padding: [1, 0]}
  - {source: cones, target: horizontal-cells, kernel: 3, stride: 2}
  - {source: horizontal-cells, target: midget, kernel: 2, bias: false}
  - {source: midget, target: parasol, kernel: [2, 1], padding: [1, 0]}
readout: {layer: parasol, classes: [a, b, c]}
"""

SINGLE = """\
name: single
input: {size: [9, 9], frames: 4}
layers:
  - {name: only, cell_type: spatiotemporal, n_types: 2, type_names: [on_centre, off_centre]}
connections:
  - {source: input, target: only, kernel: 3, stride: 3}
readout: {layer: only}
"""


def trainable(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_murray2021_has_the_authors_7682_parameters_and_layer_shapes() -> None:
    circuit = compile_circuit(load_circuit(MURRAY), seed=0)
    assert trainable(circuit) == 7682
    assert circuit.layer_shapes == {
        "bipolar": (8, 51, 50, 50),
        "amacrine": (8, 51, 12, 12),
        "ganglion": (8, 51, 12, 12),
    }
    video = torch.zeros(1, 1, 51, 255, 255)
    with torch.no_grad():
        out = circuit.eval().run(video)
    assert out.logits.shape == (1, 51, 2)
    assert {name: tuple(a.shape[1:]) for name, a in out.activity.items()} == circuit.layer_shapes


def test_metadata_describes_the_spec() -> None:
    spec = load_circuit(MURRAY)
    circuit = compile_circuit(spec, seed=0)
    assert circuit.spec is spec and circuit.spec_hash == spec_hash(spec)
    assert circuit.layer_names == ["bipolar", "amacrine", "ganglion"]
    assert circuit.type_names["amacrine"] == [f"amacrine_{i}" for i in range(8)]
    assert circuit.classes == ["left", "right"] and circuit.readout_frame == -1
    assert circuit.training


def test_any_names_depths_and_rectangular_maps_compile() -> None:
    circuit = compile_circuit(spec_from(CHAIN), seed=1)
    assert circuit.layer_names == ["cones", "horizontal-cells", "midget", "parasol"]
    assert circuit.layer_shapes == {
        "cones": (3, 6, 20, 17),
        "horizontal-cells": (2, 6, 9, 8),
        "midget": (4, 6, 8, 7),
        "parasol": (1, 6, 9, 7),
    }
    out = circuit.run(torch.rand(2, 2, 6, 20, 18))
    assert out.logits.shape == (2, 6, 3)
    out.logits.sum().backward()
    assert all(p.grad is not None for p in circuit.parameters())


def test_layers_listed_out_of_order_are_run_in_topological_order() -> None:
    spec = spec_from(CHAIN)
    shuffled = spec.model_copy(update={"layers": list(reversed(spec.layers))})
    circuit = compile_circuit(shuffled, seed=0)
    assert circuit.layer_names == ["cones", "horizontal-cells", "midget", "parasol"]


def test_a_one_layer_circuit_compiles_with_named_types() -> None:
    circuit = compile_circuit(spec_from(SINGLE), seed=0)
    assert circuit.type_names == {"only": ["on_centre", "off_centre"]}
    assert circuit.run(torch.rand(3, 1, 4, 9, 9)).logits.shape == (3, 4, 2)


def test_the_same_seed_gives_the_same_weights_and_others_differ() -> None:
    spec = load_circuit(MURRAY)
    a, b = compile_circuit(spec, seed=7), compile_circuit(spec, seed=7)
    c = compile_circuit(spec, seed=8)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not torch.equal(a.readout.weight, c.readout.weight)


def test_no_seed_follows_torch_manual_seed() -> None:
    spec = spec_from(SINGLE)
    torch.manual_seed(3)
    a = compile_circuit(spec)
    torch.manual_seed(3)
    b = compile_circuit(spec)
    assert torch.equal(a.readout.weight, b.readout.weight)


def test_float64_holds_the_float32_weights_exactly() -> None:
    spec = spec_from(CHAIN)
    single = compile_circuit(spec, seed=2)
    double = compile_circuit(spec, seed=2, dtype=torch.float64)
    for p32, p64 in zip(single.parameters(), double.parameters(), strict=True):
        assert p64.dtype == torch.float64 and torch.equal(p64, p32.double())
    video = torch.rand(1, 2, 6, 20, 18, dtype=torch.float64)
    assert double.run(video).logits.dtype == torch.float64


def test_initial_weights_satisfy_the_constraints() -> None:
    circuit = compile_circuit(load_circuit(MURRAY), seed=4)
    constrained = circuit.constrained_parameters()
    assert len(constrained) == 5  # 3 connections into amacrine/ganglion + 2 temporal filters
    assert all((p >= 0).all() for p in constrained)
    assert (circuit.connections["input->bipolar"].weight < 0).any()  # bipolar weights are free


def test_invalid_spec_built_in_code_is_rejected() -> None:
    spec = spec_from(SINGLE)
    broken = spec.model_copy(update={"readout": spec.readout.model_copy(update={"layer": "nope"})})
    with pytest.raises(SpecError, match="readout layer 'nope' does not exist"):
        compile_circuit(broken)


def test_unknown_cell_type_is_a_plugin_error() -> None:
    spec = spec_from(SINGLE)
    layer = spec.layers[0].model_copy(update={"cell_type": "nonexistent"})
    with pytest.raises(PluginError, match=r"unknown cell type 'nonexistent'.*spatiotemporal"):
        compile_circuit(spec.model_copy(update={"layers": [layer]}))


def test_float_dtype_is_required() -> None:
    with pytest.raises(ValueError, match="floating-point"):
        compile_circuit(spec_from(SINGLE), dtype=torch.int64)


# -- misbehaving plugins -------------------------------------------------------------------


class Behaviour(CellParams):
    mode: str = Field("ok")


class Moody(CellType):
    """A throwaway cell type that misbehaves on request."""

    name = "moody"
    Params = Behaviour

    @classmethod
    def build(cls, n_types, params, *, frames):
        if params.mode == "build":
            raise RuntimeError("cannot build")
        if params.mode == "not-a-module":
            return "a string"
        return MoodyModule(params.mode)


class MoodyModule(torch.nn.Module):
    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode
        self.weight = torch.nn.Parameter(torch.ones(()))

    def forward(self, drive):
        if self.mode == "raise":
            raise ValueError("boom in forward")
        if self.mode == "shape":
            return drive[:, :, 1:]
        return torch.relu(drive) * self.weight


class MoodyPlugin:
    @hookimpl
    def retinasim_cell_types(self):
        return [Moody]


def moody_circuit(mode: str) -> CircuitSpec:
    plugins.register(MoodyPlugin(), name="moody-plugin")
    return spec_from(
        f"""\
        name: moody
        input: {{size: [8, 8], frames: 3}}
        layers:
          - {{name: bipolar, cell_type: spatiotemporal, n_types: 2}}
          - {{name: wild, cell_type: moody, n_types: 2, params: {{mode: {mode}}}}}
        connections:
          - {{source: input, target: bipolar, kernel: 2, stride: 2}}
          - {{source: bipolar, target: wild, kernel: 1}}
        readout: {{layer: wild}}
        """
    )


@pytest.fixture
def clean_plugins():
    yield
    plugins.reset()


@pytest.mark.usefixtures("clean_plugins")
def test_a_well_behaved_third_party_cell_type_runs() -> None:
    circuit = compile_circuit(moody_circuit("ok"), seed=0)
    assert isinstance(circuit, Circuit)
    assert circuit.run(torch.rand(1, 1, 3, 8, 8)).activity["wild"].shape == (1, 2, 3, 4, 4)


@pytest.mark.usefixtures("clean_plugins")
@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (
            "raise",
            r"cell type 'moody' \(plugin 'moody-plugin'\) in layer 'wild' raised "
            r"ValueError: boom in forward",
        ),
        (
            "shape",
            r"cell type 'moody' \(plugin 'moody-plugin'\) in layer 'wild' returned "
            r"\(1, 2, 2, 4, 4\); expected .* \(1, 2, 3, 4, 4\)",
        ),
    ],
)
def test_a_plugin_failing_in_forward_is_named_with_its_layer(mode: str, message: str) -> None:
    circuit = compile_circuit(moody_circuit(mode), seed=0)
    with pytest.raises(PluginError, match=message) as caught:
        circuit(torch.rand(1, 1, 3, 8, 8))
    if mode == "raise":
        assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.usefixtures("clean_plugins")
@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("build", "build\\(\\) raised RuntimeError: cannot build"),
        ("not-a-module", "build\\(\\) returned str, expected a torch.nn.Module"),
    ],
)
def test_a_plugin_failing_to_build_is_named_with_its_layer(mode: str, message: str) -> None:
    with pytest.raises(PluginError, match=f"cell type 'moody' .* for layer 'wild': {message}"):
        compile_circuit(moody_circuit(mode))
