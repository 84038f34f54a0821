"""Cell-type plugins: built-ins and entry points through one mechanism; broken plugins isolated."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from helpers import TINY_CIRCUIT, write_distribution

from retinasim import plugins
from retinasim.cells import CellType
from retinasim.errors import SpecError
from retinasim.spec import load_circuit

RECTIFIER_CIRCUIT = TINY_CIRCUIT.replace(
    "n_types: 2, weights: nonnegative}",
    "n_types: 2, weights: nonnegative, cell_type: rectifier, params: {gain: 2.0}}",
).replace("{name: ganglion, cell_type: spatiotemporal, ", "{name: ganglion, ")


def test_builtin_cell_type_is_registered_through_the_hook() -> None:
    entry = plugins.cell_types()["spatiotemporal"]
    assert entry.plugin == "retinasim.cells.builtin"
    assert entry.package == "retinasim"
    impls = plugins.get_plugin_manager().hook.retinasim_cell_types.get_hookimpls()
    assert "retinasim.cells.builtin" in [impl.plugin_name for impl in impls]


def test_entry_point_plugin_is_listed_with_its_version(plugin_site: Path) -> None:
    entry = plugins.cell_types()["rectifier"]
    assert (entry.package, entry.version, entry.plugin) == (
        "retinasim_rectifier",
        "1.2.3",
        "rectifier",
    )
    assert entry.description == "gain * relu(drive), no temporal filter"
    assert plugins.plugin_problems() == []


def test_entry_point_plugin_is_usable_from_yaml(plugin_site: Path) -> None:
    spec = load_circuit("rect.yaml", text=RECTIFIER_CIRCUIT)
    assert spec.layers[1].cell_type == "rectifier"
    with pytest.raises(SpecError, match=r"layers\[1\]\.params\.gain: Input should be greater"):
        load_circuit("rect.yaml", text=RECTIFIER_CIRCUIT.replace("gain: 2.0", "gain: -1.0"))


def test_plugin_that_fails_to_import_is_reported_and_others_keep_working(
    plugin_site: Path,
) -> None:
    write_distribution(
        plugin_site,
        "retinasim_broken",
        "0.1",
        {"broken": "retinasim_broken"},
        "raise ImportError('needs a missing library')\n",
    )
    problems = [str(p) for p in plugins.plugin_problems()]
    assert any("'broken'" in p and "needs a missing library" in p for p in problems)
    assert {"spatiotemporal", "rectifier"} <= set(plugins.cell_types())
    with pytest.raises(SpecError, match="plugins that failed to load: plugin 'broken'"):
        load_circuit(
            "x.yaml",
            text=TINY_CIRCUIT.replace(
                "cell_type: spatiotemporal, n_types: 2, params",
                "cell_type: lost, n_types: 2, params",
            ),
        )


def test_plugin_returning_a_non_cell_type_is_reported(plugin_site: Path) -> None:
    write_distribution(
        plugin_site,
        "retinasim_wrong",
        "0.2",
        {"wrong": "retinasim_wrong"},
        """
        from retinasim.plugins import hookimpl

        @hookimpl
        def retinasim_cell_types():
            return [dict, "spatiotemporal"]
    """,
    )
    problems = [str(p) for p in plugins.plugin_problems()]
    assert sum("plugin 'wrong'" in p and "not a subclass of" in p for p in problems) == 2
    assert "rectifier" in plugins.cell_types()


def test_plugin_reusing_a_name_is_reported_and_the_first_wins(plugin_site: Path) -> None:
    write_distribution(
        plugin_site,
        "retinasim_clash",
        "0.3",
        {"clash": "retinasim_clash"},
        """
        from retinasim.cells import CellType
        from retinasim.plugins import hookimpl

        class Impostor(CellType):
            name = "spatiotemporal"

            @classmethod
            def build(cls, n_types, params, *, frames):
                raise AssertionError("never used")

        @hookimpl
        def retinasim_cell_types():
            return [Impostor]
    """,
    )
    problems = [str(p) for p in plugins.plugin_problems()]
    assert any(
        "plugin 'clash'" in p and "already registered by plugin 'retinasim.cells.builtin'" in p
        for p in problems
    )
    assert plugins.cell_types()["spatiotemporal"].package == "retinasim"


def test_plugin_whose_hook_raises_is_reported() -> None:
    def retinasim_cell_types() -> list[type]:
        raise RuntimeError("boom")

    module = types.ModuleType("exploding")
    module.retinasim_cell_types = plugins.hookimpl(retinasim_cell_types)
    plugins.register(module, "exploding")
    assert "spatiotemporal" in plugins.cell_types()
    assert any("exploding" in str(p) and "boom" in str(p) for p in plugins.plugin_problems())


def test_incomplete_cell_type_is_reported() -> None:
    class NoBuild(CellType):
        name = "nobuild"

    module = types.ModuleType("incomplete")
    module.retinasim_cell_types = plugins.hookimpl(lambda: [NoBuild])
    plugins.register(module, "incomplete")
    assert "nobuild" not in plugins.cell_types()
    assert any("does not implement build()" in str(p) for p in plugins.plugin_problems())


def test_runtime_registration_makes_a_cell_type_available() -> None:
    from pydantic import Field

    from retinasim.cells import CellParams

    class LeakyParams(CellParams):
        tau: float = Field(1.0, gt=0)

    class Leaky(CellType):
        name = "leaky"
        Params = LeakyParams

        @classmethod
        def build(cls, n_types, params, *, frames):
            raise AssertionError("not built here")

    module = types.ModuleType("notebook_cells")
    module.retinasim_cell_types = plugins.hookimpl(lambda: [Leaky])
    plugins.register(module, "notebook_cells")
    text = TINY_CIRCUIT.replace(
        "{name: ganglion, cell_type: spatiotemporal, n_types: 2",
        "{name: ganglion, cell_type: leaky, params: {tau: 3.0}, n_types: 2",
    )
    assert load_circuit("l.yaml", text=text).layers[1].params == {"tau": 3.0}
