"""The package type-checks: ``mypy`` with the settings of ``[tool.mypy]`` in pyproject.toml
(the whole ``retinasim`` package) reports no error.

Run from the repository root, as a developer would (``python -m mypy``); mypy's cache
(``.mypy_cache``, git-ignored) makes a rerun take seconds, the first run a minute or two.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from helpers import ROOT


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy not installed")
def test_mypy_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = done.stdout[-8000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "Success: no issues found" in done.stdout, report
