"""Data-parallel training: 2 real gloo processes equal 1 process with the same global batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from trainhelpers import tiny_spec

from retinasim.spec import CircuitSpec
from retinasim.training import train
from retinasim.training.checkpoint import load_checkpoint


def _lateral(spec: CircuitSpec) -> CircuitSpec:
    """``spec`` with lateral interactions among the ganglion cells (delay 1): a recurrent
    circuit, stepped frame by frame through its ganglion layer (#25)."""
    data = spec.model_dump(mode="json")
    lateral = {"source": "ganglion", "target": "ganglion", "kernel": 3, "padding": 1, "delay": 1}
    data["connections"].append(lateral)
    return CircuitSpec.model_validate(data)


@pytest.mark.parametrize("recurrent", [False, True], ids=["feedforward", "recurrent"])
def test_two_gloo_processes_reach_the_single_process_weights(
    tmp_path: Path, recurrent: bool
) -> None:
    spec = tiny_spec(steps=12, log_every=4, eval_every=0, checkpoint_every=6, validation_size=16)
    spec = _lateral(spec) if recurrent else spec
    assert spec.dropout == 0  # masks differ between ranks; the comparison needs none
    train(spec, tmp_path / "one")
    trained = train(spec, tmp_path / "two", processes=2)
    one = load_checkpoint(tmp_path / "one" / "checkpoint.pt")["model"]
    two = load_checkpoint(tmp_path / "two" / "checkpoint.pt")["model"]
    for name, tensor in one.items():
        torch.testing.assert_close(two[name], tensor, rtol=1e-4, atol=1e-5, msg=name)
        assert torch.equal(trained.circuit.state_dict()[name], two[name]), name  # in memory
    provenance = json.loads((tmp_path / "two" / "provenance.json").read_text())
    assert provenance["world_size"] == 2
    history_one = json.loads((tmp_path / "one" / "history.json").read_text())
    history_two = json.loads((tmp_path / "two" / "history.json").read_text())
    for a, b in zip(history_one, history_two, strict=True):
        assert abs(a["loss"] - b["loss"]) < 1e-4 and a["train_accuracy"] == b["train_accuracy"]
