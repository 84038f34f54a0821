"""A tiny three-layer model trained once per session (a few seconds on one thread)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import TINY3, one_thread  # noqa: F401  (one_thread: autouse fixture)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run folder of ``tiny3.yaml`` trained for its 300 steps (about 5 s)."""
    from retinasim.spec import load_circuit
    from retinasim.training import train

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("tiny3") / "run"
    train(load_circuit(TINY3), out)
    torch.set_num_threads(before)
    return out


@pytest.fixture
def trained(trained_run: Path):
    """``(circuit, spec)`` of the trained tiny model, fresh for each test."""
    from retinasim.training import load_trained

    return load_trained(trained_run)
