"""Loading and validating a circuit does not import torch.

The cell-type registry reaches every cell type's ``Params`` model without building (or
importing) torch modules: the built-in types live in the torch-free
``retinasim.cells.builtin``, and the example plugins' entry points load their torch-free
packages (a cell type names its torch module in ``CellType.module``). Likewise the
``training.stimulus`` section is checked against its task's torch-free parameter model
(``retinasim.stimuli.builtin``, a plugin's params module). Each check runs in a fresh
interpreter.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CIRCUITS, ROOT, TINY_CIRCUIT, write_distribution

from retinasim.plugins import cell_types
from retinasim.testing import run_python

PLUGIN_TYPES = {"centersurround", "adaptive"}


def _python(code: str, cwd: Path) -> str:
    return run_python(code, cwd=cwd, env={"OMP_NUM_THREADS": "1"}, timeout=120)


def _available(path: Path) -> bool:
    return not (PLUGIN_TYPES - set(cell_types())) or not any(
        f"cell_type: {name}" in path.read_text() for name in PLUGIN_TYPES
    )


@pytest.mark.parametrize("path", CIRCUITS, ids=lambda p: p.stem)
def test_loading_a_circuit_imports_no_torch(path: Path, tmp_path: Path) -> None:
    if not _available(path):
        pytest.skip("the example plugin packages are not installed")
    circuit = tmp_path / path.name
    circuit.write_text(path.read_text())
    stdout = _python(
        "import sys\n"
        "from retinasim.spec import load_circuit\n"
        f"spec = load_circuit({str(circuit)!r})\n"
        "from retinasim.plugins import cell_types\n"
        "assert {layer.cell_type for layer in spec.layers} <= set(cell_types())\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n",
        tmp_path,
    )
    assert stdout.strip() == "[]"


def test_the_validate_command_imports_no_torch(tmp_path: Path) -> None:
    files = []
    for path in CIRCUITS:
        if _available(path):
            files.append(tmp_path / path.name)
            files[-1].write_text(path.read_text())
    stdout = _python(
        "import sys\n"
        "from retinasim.cli import main\n"
        f"code = main(['validate', *{[str(f) for f in files]!r}])\n"
        "assert code == 0, code\n"
        "print('torch' in sys.modules)\n",
        tmp_path,
    )
    assert stdout.strip().splitlines()[-1] == "False"


def test_loading_the_reference_circuit_with_its_stimulus_section_imports_no_torch() -> None:
    stdout = _python(
        "import sys\n"
        "from retinasim.spec import load_circuit\n"
        "load_circuit('circuits/murray2021.yaml')\n"
        "print('torch' in sys.modules)\n",
        ROOT,
    )
    assert stdout.strip() == "False"


def test_a_stimulus_plugin_task_is_validated_without_torch(tmp_path: Path) -> None:
    """A plugin kind whose parameter model is torch-free validates without torch, errors
    placed at ``training.stimulus.<name>``; its generator module is never imported."""
    site = tmp_path / "site"
    site.mkdir()
    write_distribution(site, "retinasim_drift", "0.1", {"drift": "retinasim_drift"}, DRIFT)
    circuit = tmp_path / "c.yaml"
    circuit.write_text(TINY_CIRCUIT + "training:\n  stimulus: {kind: drift, speed: 2.0, sped: 1}\n")
    stdout = _python(
        "import sys\n"
        f"sys.path.insert(0, {str(site)!r})\n"
        "from retinasim.errors import SpecError\n"
        "from retinasim.spec import load_circuit\n"
        "try:\n"
        f"    load_circuit({str(circuit)!r})\n"
        "except SpecError as error:\n"
        "    print(error)\n"
        "print('torch' in sys.modules, 'retinasim_drift_render' in sys.modules)\n",
        tmp_path,
    )
    lines = stdout.strip().splitlines()
    assert (
        "training.stimulus.sped: unknown drift parameter 'sped'; did you mean 'speed'?"
        in (lines[0])
    )
    assert lines[-1] == "False False"


DRIFT = """
from typing import ClassVar

from pydantic import Field

from retinasim.plugins import hookimpl
from retinasim.plugins.stimulus_kind import StimulusParams


class DriftParams(StimulusParams):
    kind: ClassVar[str] = "drift"
    classes: ClassVar[tuple[str, ...]] = ("left", "right")
    generator: ClassVar[str] = "retinasim_drift_render:Drift"
    speed: float = Field(1.0, gt=0)


@hookimpl
def retinasim_stimuli():
    return [DriftParams]
"""
