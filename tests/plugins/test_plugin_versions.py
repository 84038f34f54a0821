"""Provenance of plugins: the packages (and versions) a circuit uses, in ``provenance.json``
and in a recording's attributes."""

from __future__ import annotations

import importlib.metadata as metadata
import json
from pathlib import Path

import pytest
from helpers import TINY_CIRCUIT, TINY_TRAINING

import retinasim
from retinasim.compile import compile_circuit
from retinasim.plugins import plugin_versions
from retinasim.provenance import provenance
from retinasim.recording import record
from retinasim.spec import load_circuit
from retinasim.stimuli import MovingBars
from retinasim.testing import small_circuit_text

OWN = f"retinasim=={retinasim.__version__}"
CENTERSURROUND = {"cell_type": "centersurround", "params": {"kernel_size": 3, "temporal_kernel": 3}}


def centersurround_version() -> str:
    pytest.importorskip("retinasim_centersurround")
    return metadata.version("retinasim-centersurround")


def test_a_default_circuit_uses_only_retinasim() -> None:
    spec = load_circuit("tiny.yaml", text=TINY_CIRCUIT)
    assert plugin_versions(spec) == {"retinasim": retinasim.__version__}
    record = provenance(seed=0, spec_hash="x", device="cpu", spec=spec)
    assert record["plugins"] == [OWN]
    assert "plugins" not in provenance(seed=0, spec_hash="x", device="cpu")


def test_a_plugin_cell_type_and_a_plugin_task_are_named_with_their_versions() -> None:
    version = centersurround_version()
    spec = load_circuit("cs.yaml", text=small_circuit_text(**CENTERSURROUND))
    assert plugin_versions(spec) == {
        "retinasim": retinasim.__version__,
        "retinasim-centersurround": version,
    }
    pytest.importorskip("retinasim_natural")
    natural = plugin_versions(spec, stimulus_kinds=["natural_motion", "no_such_kind"])
    assert natural["retinasim-natural"] == metadata.version("retinasim-natural")
    assert len(natural) == 3  # an unknown name adds nothing


def test_training_records_the_plugins_in_provenance_json(tmp_path: Path) -> None:
    from retinasim.training import train

    version = centersurround_version()
    text = small_circuit_text(**CENTERSURROUND) + f"training: {json.dumps(TINY_TRAINING)}\n"
    train(load_circuit("cs.yaml", text=text), tmp_path / "run")
    written = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert written["plugins"] == [OWN, f"retinasim-centersurround=={version}"]


def test_a_recording_names_the_plugins_of_its_circuit_and_stimulus() -> None:
    version = centersurround_version()
    bars = MovingBars(height=16, width=16, frames=6, speeds=(1.0,), widths=(1.0,))
    plain = compile_circuit(load_circuit("p.yaml", text=small_circuit_text()), seed=0)
    assert record(plain, bars, ["ganglion"], n=2).attrs["plugins"] == OWN
    spec = load_circuit("cs.yaml", text=small_circuit_text(**CENTERSURROUND))
    recording = record(compile_circuit(spec, seed=0), bars, ["ganglion"], n=2)
    assert list(recording.attrs["plugins"]) == [OWN, f"retinasim-centersurround=={version}"]
