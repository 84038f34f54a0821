"""Every public name and every submodule imports in a fresh interpreter, in several orders.

The subpackages (``retinasim.training``, ``retinasim.recording``) are named apart from the
functions (``train``, ``record``), so no import order can hide a function behind a module;
each order runs in its own interpreter because what a process imported before is what could
change the outcome.
"""

from __future__ import annotations

import os
import pkgutil
import random
import subprocess
import sys
import textwrap

import pytest

import retinasim

SUBMODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(retinasim.__path__, "retinasim.")
    if not info.name.endswith("__main__") and ".circuits" not in info.name
)

CHECK = """
import importlib, inspect, sys
import retinasim
for name in ORDER:
    importlib.import_module(name)
import retinasim.recording.storage as s
from retinasim import load_trained, record, train
from retinasim.recording.recorder import record as real_record
from retinasim.training.loop import train as real_train
assert inspect.ismodule(s) and s.__name__ == "retinasim.recording.storage"
assert record is real_record and train is real_train
assert retinasim.record is real_record and retinasim.train is real_train
for name in retinasim.__all__:
    assert getattr(retinasim, name) is not None, name
for module in ORDER:
    for name in getattr(sys.modules[module], "__all__", ()):
        getattr(sys.modules[module], name)
print("ok")
"""


def _orders() -> list[tuple[str, list[str]]]:
    shuffled = [list(SUBMODULES) for _ in range(2)]
    for seed, order in enumerate(shuffled):
        random.Random(seed).shuffle(order)
    return [
        ("sorted", list(SUBMODULES)),
        ("reversed", SUBMODULES[::-1]),
        ("public-names-first", []),
        *((f"shuffled{seed}", order) for seed, order in enumerate(shuffled)),
    ]


def test_submodules_are_found() -> None:
    assert "retinasim.recording.storage" in SUBMODULES
    assert "retinasim.training.loop" in SUBMODULES
    assert len(SUBMODULES) > 100


@pytest.mark.parametrize(
    ("label", "order"), _orders(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_name_and_submodule_imports_in_any_order(label: str, order: list[str]) -> None:
    code = f"ORDER = {order!r}\n" + textwrap.dedent(CHECK)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


def test_the_issue_example_calls_record(tmp_path) -> None:
    """``from retinasim import load_trained, record`` then ``record(...)`` records."""
    code = textwrap.dedent(
        """
        import torch
        torch.set_num_threads(1)
        from retinasim import load_trained, record
        from retinasim.compile import compile_circuit
        from retinasim.spec import load_circuit
        from retinasim.stimuli import MovingBars
        from helpers import TINY_CIRCUIT

        circuit = compile_circuit(load_circuit("tiny", text=TINY_CIRCUIT), seed=0)
        bars = MovingBars(height=32, width=32, frames=8)
        recording = record(circuit, bars, "ganglion:centre", n=2)
        print(dict(recording.sizes)["trial"])
        """
    )
    from helpers import ROOT

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests"), "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
