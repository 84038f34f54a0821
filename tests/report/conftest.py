"""One ``retinasim run`` of a tiny circuit, shared by the report tests (subprocess, ~1 min)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SMALL_ANALYSIS, TINY3, run_cli


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "run"
    done = run_cli("run", TINY3, "--out", out, "--evaluation-n", "32", *SMALL_ANALYSIS, timeout=300)
    assert done.returncode == 0, done.stderr
    return out
