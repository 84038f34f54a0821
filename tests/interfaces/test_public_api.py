"""The documented top-level imports give the functions, whatever was imported first.

``record`` and ``train`` are also the names of subpackages; importing a subpackage (directly,
or through another public name such as ``load_trained``) used to bind the module over the
function. Each order runs in a fresh interpreter, because the shadowing depends on what the
process imported before.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap

import pytest

STEPS = {
    "load_trained": "from retinasim import load_trained",
    "record": "from retinasim import record",
    "train": "from retinasim import train",
    "submodules": "import retinasim.record.storage, retinasim.train.loop",
}

CHECK = """
import inspect
import retinasim
from retinasim import load_trained, record, train
from retinasim.record import Probe, save_recording
from retinasim.record.recorder import record as real_record
from retinasim.train.loop import train as real_train

assert inspect.isfunction(record) and record is real_record, record
assert inspect.isfunction(train) and train is real_train, train
assert retinasim.record is real_record and retinasim.train is real_train
assert callable(load_trained) and callable(save_recording) and isinstance(Probe, type)
import retinasim.record as also_public  # the package attribute is the function
assert also_public is real_record
import sys
assert type(sys.modules["retinasim.record"]).__name__ == "module"  # the subpackage lives on
print("ok")
"""


ORDERS = [
    *itertools.permutations(("load_trained", "record", "train")),
    ("submodules", "record", "train"),
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda order: "-".join(order))
def test_documented_imports_give_callables_in_every_order(order: tuple[str, ...]) -> None:
    code = "\n".join(STEPS[step] for step in order) + textwrap.dedent(CHECK)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
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
