"""The documented task plugin of docs/plugins.md, installed as a package into a fresh
environment: listed by ``retinasim plugins``, rendered by ``retinasim stimulus``, trained on by
``retinasim train`` and tested by ``retinasim evaluate``.

The fresh environment has no pip and downloads nothing: this environment's pip installs the
package into it (``--no-deps --no-build-isolation --no-index``), and a ``.pth`` file adds this
environment's site-packages (torch, retinasim, ...) to it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from helpers import ROOT, TINY_CIRCUIT

GUIDE = (ROOT / "docs" / "plugins.md").read_text()
PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "retinasim-brighter"
version = "0.1.0"
dependencies = ["retinasim"]

[project.entry-points.retinasim]
brighter = "retinasim_brighter"

[tool.setuptools]
packages = ["retinasim_brighter"]
"""
TRAINING = """\
training:
  steps: 40
  batch_size: 8
  learning_rate: 0.01
  validation_size: 16
  eval_every: 20
  log_every: 10
  checkpoint_every: 40
  stimulus: {kind: brighter_half, alpha: 3.0, s_range: [0.1, 0.3]}
"""


def _documented(module: str) -> str:
    heading = rf"`retinasim_brighter/{module}.py`[^\n]*\n(?:[^\n]+\n)*?\n"
    found = re.search(heading + r"```python\n(.*?)```", GUIDE, re.S)
    assert found is not None, f"docs/plugins.md has no retinasim_brighter/{module}.py"
    return found.group(1)


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the documented plugin installed; its bin folder."""
    work = tmp_path_factory.mktemp("brighter")
    package = work / "retinasim-brighter"
    (package / "retinasim_brighter").mkdir(parents=True)
    (package / "pyproject.toml").write_text(PYPROJECT)
    (package / "retinasim_brighter" / "__init__.py").write_text(_documented("__init__"))
    (package / "retinasim_brighter" / "render.py").write_text(_documented("render"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    new_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    ours = sysconfig.get_paths()["purelib"]
    Path(new_site, "dev-environment.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-build-isolation", "--no-index", "-q", str(package)],
        check=True, capture_output=True, cwd=work,
    )  # fmt: skip
    return venv / "bin"


def _run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "160"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [bin_dir / "python", "-m", "retinasim", *args],
        capture_output=True, text=True, timeout=300, cwd=cwd, env=env,
    )  # fmt: skip


def test_the_installed_plugin_is_listed_with_its_package_and_version(
    environment: Path, tmp_path: Path
) -> None:
    done = _run(environment, "plugins", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if "brighter_half" in line)
    assert "left, right" in row and "retinasim-brighter" in row and "0.1.0" in row
    assert "warning" not in done.stderr


def test_the_installed_plugin_renders_with_the_stimulus_command(
    environment: Path, tmp_path: Path
) -> None:
    done = _run(environment, "stimulus", "brighter_half", "--alpha", "1.5", "--height", "16",
                "--width", "16", "--frames", "4", "--out", "half.gif", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "half.gif").exists() and (tmp_path / "half.png").exists()
    assert "fast_direction=" in done.stdout


def test_a_tiny_circuit_trains_on_the_installed_task_and_evaluates(
    environment: Path, tmp_path: Path
) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY_CIRCUIT + TRAINING)
    done = _run(environment, "validate", "tiny.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    bad = TINY_CIRCUIT + TRAINING.replace("alpha: 3.0", "alfa: 3.0")
    (tmp_path / "bad.yaml").write_text(bad)
    done = _run(environment, "validate", "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "training.stimulus.alfa: unknown brighter-half parameter 'alfa'; did you mean" in (
        done.stderr
    )
    done = _run(environment, "train", "tiny.yaml", "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["steps"] == 40
    assert metrics["validation_accuracy"] >= 0.8  # chance: 0.5; the task is easy
    done = _run(environment, "evaluate", "run", "--alpha", "1", "3", "--n", "32", "--json",
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    accuracy = {row["alpha"]: row["accuracy"] for row in json.loads(done.stdout)["results"]}
    assert set(accuracy) == {1.0, 3.0} and accuracy[3.0] >= 0.8
