"""A tiny three-layer model trained once per session (a few seconds on one thread)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "analysis"))  # groundtruth (hand-wired circuits)

TINY3 = HERE / "tiny3.yaml"


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models gain nothing from more threads, and the machine is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run folder of ``tiny3.yaml`` trained for its 300 steps (about 5 s)."""
    from retinasim.spec import load_circuit
    from retinasim.train import train
    from retinasim.train.progress import SilentReporter

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("tiny3") / "run"
    train(load_circuit(TINY3), out, reporter=SilentReporter())
    torch.set_num_threads(before)
    return out


@pytest.fixture
def trained(trained_run: Path):
    """``(circuit, spec)`` of the trained tiny model, fresh for each test."""
    from retinasim.train import load_trained

    return load_trained(trained_run)
