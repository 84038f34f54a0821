"""Constants and helpers shared by the tests (importable as ``helpers``)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CIRCUITS = sorted((ROOT / "circuits").glob("*.yaml"))
TINY3 = ROOT / "tests" / "dissect" / "tiny3.yaml"
"""A trainable 3-layer circuit small enough for a full ``retinasim run`` in a test."""
SMALL_ANALYSIS = [
    "--n-stimuli", "24", "--alpha-step", "1", "--n-s", "3", "--n-per-s", "8",
    "--deepvis-iterations", "10",
]  # fmt: skip
"""``retinasim run``/``analyze`` options that shrink every analysis to seconds."""


TINY_TRAINING = {
    "steps": 2,
    "batch_size": 2,
    "validation_size": 2,
    "eval_every": 2,
    "log_every": 1,
    "checkpoint_every": 2,
    "init_stimuli": 2,
    "warmup_steps": 0,
}
"""A two-step training section: enough to exercise training, not to learn."""


def shrink(data: dict[str, Any], *, size: int = 40, frames: int = 6) -> dict[str, Any]:
    """A copy of circuit ``data`` with a small input, 3-frame temporal filters (3-pixel
    plugin kernels; leaky integrators keep their time constants) and :data:`TINY_TRAINING`."""
    small = copy.deepcopy(data)
    small["input"]["size"] = [size, size]
    small["input"]["frames"] = frames
    for layer in small["layers"]:
        params = layer.setdefault("params", {})
        if layer.get("cell_type") != "leaky_integrator":  # the one without a filter length
            params["temporal_kernel"] = 3
        if "kernel_size" in params:
            params["kernel_size"] = 3
    small.setdefault("training", {}).update(TINY_TRAINING)
    return small


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Run on one torch thread: tiny models gain nothing from more, and the machine is shared.
    Autouse where a ``conftest.py`` imports it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``python -m retinasim ARGS`` in a subprocess (one torch thread, wide terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "retinasim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "120", **(env or {})},
    )


TINY_CIRCUIT = """\
name: tiny
input: {channels: 1, size: [32, 32], frames: 8}
layers:
  - {name: bipolar, cell_type: spatiotemporal, n_types: 2, params: {temporal_kernel: 3}}
  - {name: ganglion, cell_type: spatiotemporal, n_types: 2, weights: nonnegative}
connections:
  - {source: input, target: bipolar, kernel: 4, stride: 2}
  - {source: bipolar, target: ganglion, kernel: 3}
readout: {layer: ganglion}
"""


def write_distribution(
    site: Path, package: str, version: str, entry_points: dict[str, str], code: str
) -> None:
    """Write an installed-looking distribution (module + dist-info) into ``site``."""
    (site / f"{package}.py").write_text(textwrap.dedent(code))
    info = site / f"{package}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[retinasim]\n{lines}\n")


GOOD_PLUGIN = """
from pydantic import Field
import torch
from retinasim.cells import CellParams, CellType
from retinasim.plugins import hookimpl


class GainParams(CellParams):
    gain: float = Field(1.0, gt=0)


class Rectifier(CellType):
    '''A rectifier with a fixed gain: activity = gain * relu(drive).'''

    name = "rectifier"
    description = "gain * relu(drive), no temporal filter"
    Params = GainParams

    @classmethod
    def build(cls, n_types, params, *, frames):
        class Module(torch.nn.Module):
            def forward(self, drive):
                return params.gain * torch.relu(drive)
        return Module()


@hookimpl
def retinasim_cell_types():
    return [Rectifier]
"""


def assert_currents_add_up(circuit: Any, batch: Any) -> tuple[Any, Any]:
    """Record every connection's current (``full``) of float64 ``circuit`` on ``batch`` and
    check that the currents into each layer add up to its drive: computed from the
    connections' modules to 1e-12 of the largest drive, recorded (float32 files) to 1e-6.
    Returns the recording and the circuit's output (with the drives) for further checks."""
    import numpy as np
    import torch

    from retinasim.recording import record
    from retinasim.recording.currents import source_map

    keys = [c.key for c in circuit.plan.connections]
    recording = record(circuit, batch, [f"{key}:full" for key in keys])
    with torch.no_grad():
        output = circuit.run(batch.video, drives=circuit.layer_names)
        for layer in circuit.layer_names:
            into = [c for c in circuit.plan.connections if c.target == layer]
            drive = output.drives[layer]
            exact = sum(
                circuit.connection_drive(c.key, source_map(circuit, output, batch.video, c.source))
                for c in into
            )
            assert isinstance(exact, torch.Tensor)
            scale = drive.abs().max().item()
            assert scale > 0 and (exact - drive).abs().max().item() <= 1e-12 * scale
            group = recording[layer].to_dataset()
            summed = sum(group[f"{layer}_from_{c.source}"].values.astype(np.float64) for c in into)
            np.testing.assert_allclose(summed, drive.numpy(), rtol=0, atol=1e-6 * scale)
    return recording, output
