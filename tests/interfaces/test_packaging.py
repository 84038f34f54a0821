"""The wheel: every package, the shipped circuits and the authors' data as package data, and
(slow) ``.ci/wheel-check``: the built wheel installed outside the repository, circuits by
name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import CIRCUITS, ROOT


def _source_copy(target: Path) -> Path:
    """The repository's source files (tracked, or new and not ignored) copied to ``target``."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def test_the_wheel_holds_every_package_and_the_shipped_circuits(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout")
    from setuptools import find_packages

    source = _source_copy(tmp_path / "src")
    build = ["wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "d")]
    done = subprocess.run(
        [sys.executable, "-m", "pip", *build, "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "d").glob("retinasim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in find_packages(str(source), include=["retinasim", "retinasim.*"]):
        assert f"{package.replace('.', '/')}/__init__.py" in names, package
    for path in CIRCUITS:
        assert f"retinasim/circuits/{path.name}" in names
        assert zipfile.ZipFile(wheel).read(f"retinasim/circuits/{path.name}") == path.read_bytes()
    assert not any(name.startswith("retinasim/circuits/test/") for name in names)
    for path in (ROOT / "retinasim" / "authors" / "data").iterdir():  # weights, results, MIT
        assert f"retinasim/authors/data/{path.name}" in names, path.name


@pytest.mark.slow
def test_the_wheel_installed_outside_the_repository_runs_circuits_by_name() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "wheel-check")],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "wheel-check: ok" in done.stdout
