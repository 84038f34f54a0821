"""House rules enforced by tests: import boundaries and lint."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from helpers import ROOT

from retinasim.testing import run_python


def test_spec_package_never_imports_torch() -> None:
    code = (
        "import sys\n"
        "import retinasim.spec.models, retinasim.spec.graph, retinasim.spec.yaml_source\n"
        "import retinasim.spec.schema, retinasim.spec.fields\n"
        "assert 'torch' not in sys.modules, 'retinasim.spec imported torch'\n"
    )
    run_python(code)


def test_stimulus_parameter_models_and_the_registry_never_import_torch() -> None:
    code = (
        "import sys\n"
        "import retinasim.stimuli, retinasim.plugins.stimulus_kind, retinasim.stimuli.builtin\n"
        "from retinasim.plugins import stimuli\n"
        "kinds = stimuli()\n"
        "assert {'moving_dots', 'gratings'} <= set(kinds), kinds\n"
        "kinds['moving_dots'].params(alpha=1.5)\n"
        "assert 'torch' not in sys.modules, 'the stimulus parameter models imported torch'\n"
        "from retinasim.stimuli import MovingDots\n"
        "assert 'torch' in sys.modules and issubclass(MovingDots, kinds['moving_dots'].params)\n"
    )
    run_python(code)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_code_is_ruff_clean() -> None:
    done = subprocess.run(["ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_top_level_api_is_complete_and_lazy() -> None:
    code = (
        "import sys, retinasim\n"
        "assert 'torch' not in sys.modules, 'import retinasim imported torch'\n"
        "missing = [n for n in retinasim.__all__ if not hasattr(retinasim, n)]\n"
        "assert not missing, missing\n"
    )
    run_python(code)
