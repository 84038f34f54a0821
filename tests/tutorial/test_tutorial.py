"""The tutorial (``docs/tutorial.py``) runs top to bottom, as a user runs it, in a fresh folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.py"


def test_the_tutorial_runs_top_to_bottom(tmp_path: Path) -> None:
    pytest.importorskip("pynwb")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(TUTORIAL)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"},
    )
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("my_retina.yaml", "bars.nc", "ganglion_tuning.png", "bars.nwb"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert (tmp_path / "runs" / "my_retina" / "checkpoint.pt").exists()
    assert "validation errors: []" in done.stdout
    assert "dsi" in done.stdout and "preferred_direction_deg" in done.stdout
    assert took < 60, f"the tutorial took {took:.0f} s"
