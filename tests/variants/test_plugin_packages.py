"""The example plugin packages as the rest of retinasim sees them."""

from __future__ import annotations

import pytest
from helpers import ROOT

from retinasim.cli import main
from retinasim.errors import SpecError
from retinasim.plugins import cell_types, manager
from retinasim.spec import load_circuit

PACKAGES = {"centersurround": "retinasim-centersurround", "adaptive": "retinasim-adaptive"}


def require_plugins() -> None:
    missing = sorted(set(PACKAGES) - set(cell_types()))
    if missing:
        pytest.skip(f"cell-type plugin not installed: {', '.join(missing)} (see plugins/)")


def test_plugins_command_lists_both_packages_with_versions(capsys) -> None:
    require_plugins()
    assert main(["plugins"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name, package in PACKAGES.items():
        assert name in out and package in out
    assert out.count("0.1.0") >= 3  # retinasim and both plugins


@pytest.mark.parametrize(
    ("file", "cell_type"),
    [("murray2021_adaptive", "adaptive"), ("murray2021_centersurround", "centersurround")],
)
def test_a_variant_without_its_plugin_fails_clearly(file, cell_type, monkeypatch) -> None:
    monkeypatch.setattr(manager.metadata, "entry_points", lambda **_: [])
    with pytest.raises(SpecError) as caught:
        load_circuit(ROOT / "circuits" / f"{file}.yaml")
    text = str(caught.value)
    assert f"{file}.yaml:" in text and "cell_type" in text
    assert f"unknown cell type {cell_type!r}" in text
