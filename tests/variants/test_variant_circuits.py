"""Every variant circuit in ``circuits/`` validates, compiles and trains a few steps (small)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from helpers import ROOT, shrink

from retinasim.compile import compile_circuit
from retinasim.plugins import cell_types
from retinasim.spec import Sign, WeightConstraint, load_circuit
from retinasim.training import train

PROFILES = {"murray2021_paper"}
"""Training profiles: murray2021's circuit, another training section."""
VARIANTS = sorted(
    f for f in (ROOT / "circuits").glob("murray2021_*.yaml") if f.stem not in PROFILES
)
EXPECTED = {
    "murray2021_16types",
    "murray2021_4types",
    "murray2021_adaptive",
    "murray2021_centersurround",
    "murray2021_extra_amacrine",
    "murray2021_feedback",
    "murray2021_lateral",
    "murray2021_leaky",
    "murray2021_no_residual",
    "murray2021_outer",
    "murray2021_unconstrained",
}
SMALL = 35
"""The test size: small, and such that the recurrent variants' upsampled maps still fit
(feedback: 35 -> bipolar 6x6 -> amacrine 1x1 -> 4x4 -> padded 6x6; outer: 35 ->
horizontal 7x7 -> 35x35)."""


def data_of(file: Path) -> dict:
    data = yaml.safe_load(file.read_text())
    missing = {layer["cell_type"] for layer in data["layers"]} - set(cell_types())
    if missing:
        pytest.skip(f"cell-type plugin not installed: {', '.join(sorted(missing))} (see plugins/)")
    return data


def test_every_variant_is_shipped() -> None:
    assert {f.stem for f in VARIANTS} == EXPECTED


def test_the_paper_profile_is_murray2021_trained_with_dropout_0_4_after_a_warm_up() -> None:
    reference = load_circuit(ROOT / "circuits" / "murray2021.yaml")
    paper = load_circuit(ROOT / "circuits" / "murray2021_paper.yaml")
    ignored = {"name", "description", "training"}
    assert paper.model_dump(exclude=ignored) == reference.model_dump(exclude=ignored)
    before, after = reference.training.model_dump(), paper.training.model_dump()
    changed = {key for key, value in after.items() if value != before[key]}
    assert changed == {
        "steps",
        "dropout",
        "dropout_start",
        "dropout_ramp_steps",
        "dropout_cooldown_steps",
        "final_lr_fraction",  # the cool-down needs a learning rate to re-adapt with
    }
    assert paper.training.dropout == paper.dropout == 0.4
    assert 0 < paper.training.dropout_start < paper.training.total_steps()


@pytest.mark.parametrize("file", VARIANTS, ids=lambda f: f.stem)
def test_variant_validates_and_keeps_a_training_section(file: Path) -> None:
    data_of(file)
    spec = load_circuit(file)
    reference = load_circuit(ROOT / "circuits" / "murray2021.yaml")
    assert spec.name == file.stem
    assert spec.training == reference.training
    assert spec.input == reference.input


@pytest.mark.parametrize("file", VARIANTS, ids=lambda f: f.stem)
def test_variant_compiles_and_trains_two_steps_at_test_size(file: Path, tmp_path: Path) -> None:
    small = shrink(data_of(file), size=SMALL)
    spec = load_circuit(f"{file.stem}.yaml", text=yaml.safe_dump(small, sort_keys=False))
    metrics = train(spec, tmp_path / "run").metrics
    assert metrics["status"] == "completed"
    assert (tmp_path / "run" / "checkpoint.pt").exists()


def test_variants_differ_from_the_reference_as_named() -> None:
    load = {f.stem: f for f in VARIANTS}

    def spec(stem: str):
        data_of(load[stem])
        return load_circuit(load[stem])

    no_residual = spec("murray2021_no_residual")
    assert not any(
        c.source == "bipolar" and c.target == "ganglion" for c in no_residual.connections
    )
    unconstrained = spec("murray2021_unconstrained")
    assert all(layer.weights is WeightConstraint.free for layer in unconstrained.layers)
    assert all(layer.sign is Sign.excitatory for layer in unconstrained.layers)
    assert {layer.n_types for layer in spec("murray2021_4types").layers} == {4}
    assert {layer.n_types for layer in spec("murray2021_16types").layers} == {16}
    assert [layer.name for layer in spec("murray2021_extra_amacrine").layers] == [
        "bipolar",
        "amacrine",
        "amacrine2",
        "ganglion",
    ]


def test_plugin_variants_use_their_plugins() -> None:
    cs = data_of(ROOT / "circuits" / "murray2021_centersurround.yaml")
    ad = data_of(ROOT / "circuits" / "murray2021_adaptive.yaml")
    assert cs["layers"][0]["cell_type"] == "centersurround"
    assert ad["layers"][1]["cell_type"] == "adaptive"
    circuit = compile_circuit(
        load_circuit("ad.yaml", text=yaml.safe_dump(shrink(ad), sort_keys=False)), seed=0
    )
    assert hasattr(circuit.cells["amacrine"], "log_gain")
    assert torch.isfinite(circuit(torch.rand(1, 1, 6, 40, 40))).all()
