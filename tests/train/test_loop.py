"""The training loop on a tiny task: learning, constraints, exact resume, NaN, run folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from trainhelpers import tiny_spec, with_dropout

from retinasim.training import CheckpointError, DivergenceError, RunFolderError, load_trained, train
from retinasim.training import loop as loop_module
from retinasim.training.checkpoint import load_checkpoint


def short(**changes: object):
    """The tiny spec shortened for tests of the machinery (not of learning)."""
    settings = dict(steps=30, log_every=5, eval_every=15, checkpoint_every=10, validation_size=16)
    return tiny_spec(**{**settings, **changes})


def test_loss_falls_and_accuracy_beats_chance_and_constraints_hold(tmp_path: Path) -> None:
    trained = train(tiny_spec(), tmp_path / "run")
    metrics = trained.metrics
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert trained.history == history and trained.path == tmp_path / "run"
    assert not trained.circuit.training and trained.circuit.spec == tiny_spec()
    on_disk = load_trained(tmp_path / "run")
    for name, tensor in on_disk.state_dict().items():  # the returned circuit is the trained one
        assert torch.equal(trained.circuit.state_dict()[name], tensor), name
    assert metrics["status"] == "completed" and metrics["steps"] == 300
    assert history[-1]["loss"] < history[0]["loss"] - 0.05
    assert metrics["validation_accuracy"] >= 0.7  # chance is 0.5 (64 validation stimuli)
    circuit = load_trained(tmp_path / "run")
    constrained = circuit.constrained_parameters()
    assert constrained and all(bool((p >= 0).all()) for p in constrained)
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"circuit.yaml", "provenance.json", "history.json", "metrics.json"} <= files
    provenance = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert provenance["status"] == "completed" and provenance["spec_hash"] == metrics["spec_hash"]
    assert {"torch_version", "hostname", "utc_time", "wall_time_s", "seed"} <= set(provenance)


def test_resume_after_interruption_gives_bit_identical_weights(tmp_path: Path) -> None:
    spec = with_dropout(short(relative_lr=True), 0.3)  # masks and lr factors must come back
    train(spec, tmp_path / "whole")
    train(spec, tmp_path / "cut", stop_after=17)  # last checkpoint: step 10
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["step"] == 10
    metrics = train(spec, tmp_path / "cut", resume=True).metrics
    assert metrics["status"] == "completed"
    whole = load_checkpoint(tmp_path / "whole" / "checkpoint.pt")
    cut = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    for name, tensor in whole["model"].items():
        assert torch.equal(tensor, cut["model"][name]), name
    for index, state in whole["optimizer"]["state"].items():
        for key, value in state.items():
            assert torch.equal(value, cut["optimizer"]["state"][index][key])
    steps = [row["step"] for row in json.loads((tmp_path / "cut" / "history.json").read_text())]
    assert steps == sorted(set(steps)) and steps[-1] == 30  # replayed rows replaced, not doubled


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = loop_module.training_loss
    calls = {"n": 0}

    def poisoned(logits, labels, spec):
        calls["n"] += 1
        loss, decision = real(logits, labels, spec)
        # call k is training step k (steps count from 1)
        return (loss * float("nan") if calls["n"] == 24 else loss), decision

    monkeypatch.setattr(loop_module, "training_loss", poisoned)
    with pytest.raises(DivergenceError) as caught:
        train(short(eval_every=0), tmp_path / "run")
    message = str(caught.value)
    assert "loss became nan at step 24" in message
    assert "last good checkpoint (step 20) is kept" in message
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"] == 20
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["status"] == "diverged"
    provenance = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert provenance["status"] == "diverged"  # N20 (#27): not left "running"


def test_an_existing_run_is_neither_overwritten_nor_resumed_by_accident(tmp_path: Path) -> None:
    spec = short(steps=5, eval_every=0)
    train(spec, tmp_path / "run")
    with pytest.raises(RunFolderError, match="already holds a training run; pass --overwrite"):
        train(spec, tmp_path / "run")
    with pytest.raises(RunFolderError, match="cannot resume, the run was made with another"):
        train(short(steps=6, eval_every=0), tmp_path / "run", resume=True)
    assert train(spec, tmp_path / "run", overwrite=True).metrics["steps"] == 5
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.tex").write_text("precious")
    with pytest.raises(RunFolderError, match="not a run folder; refusing to delete"):
        train(spec, tmp_path / "notes", overwrite=True)
    assert (tmp_path / "notes" / "thesis.tex").read_text() == "precious"


def test_corrupt_or_foreign_checkpoints_are_refused_by_name(tmp_path: Path) -> None:
    spec = short(steps=5, eval_every=0)
    train(spec, tmp_path / "a")
    train(short(steps=5, eval_every=0, seed=7), tmp_path / "b")
    (tmp_path / "b" / "checkpoint.pt").replace(tmp_path / "a" / "checkpoint.pt")
    with pytest.raises(CheckpointError, match="belongs to another circuit"):
        train(spec, tmp_path / "a", resume=True)
    (tmp_path / "a" / "checkpoint.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="corrupt or unreadable checkpoint"):
        load_trained(tmp_path / "a")


def test_dropout_warm_up_trains_without_dropout_until_its_start(tmp_path: Path) -> None:
    never = with_dropout(short(dropout_start=30), 0.3)  # 30 steps: dropout never begins
    train(never, tmp_path / "never")
    train(with_dropout(short(), 0.0), tmp_path / "off")
    train(
        with_dropout(short(dropout_start=20, dropout_ramp_steps=5), 0.3),
        tmp_path / "late",
    )
    weights = {
        name: load_checkpoint(tmp_path / name / "checkpoint.pt")["model"]
        for name in ("never", "off", "late")
    }
    assert all(torch.equal(t, weights["off"][k]) for k, t in weights["never"].items())
    assert not all(torch.equal(t, weights["off"][k]) for k, t in weights["late"].items())


def test_clean_loss_is_the_eval_mode_loss_and_acts_only_with_dropout(tmp_path: Path) -> None:
    from retinasim.compile import compile_circuit
    from retinasim.task import task_generator
    from retinasim.training.inference import training_loss

    spec = with_dropout(short(clean_loss_weight=1.0), 0.3)
    trainer = loop_module._Run.__new__(loop_module._Run)  # only what _clean_loss reads
    trainer.circuit, trainer.spec = compile_circuit(spec, seed=0), spec
    trainer.circuit.dropout_p = 0.3
    batch = task_generator(spec).generate(range(4), seed=1)
    clean = trainer._clean_loss(batch.video, batch.labels)
    eval_mode = training_loss(trainer.circuit.eval()(batch.video), batch.labels, spec)[0]
    torch.testing.assert_close(clean, eval_mode)
    assert trainer.circuit.dropout_p == 0.3  # restored

    # without dropout the weight changes nothing; with dropout it changes the trajectory
    train(with_dropout(short(clean_loss_weight=1.0), 0.0), tmp_path / "off_w")
    train(with_dropout(short(), 0.0), tmp_path / "off")
    train(spec, tmp_path / "on_w")
    train(with_dropout(short(), 0.3), tmp_path / "on")
    weights = {
        name: load_checkpoint(tmp_path / name / "checkpoint.pt")["model"]
        for name in ("off_w", "off", "on_w", "on")
    }
    assert all(torch.equal(t, weights["off"][k]) for k, t in weights["off_w"].items())
    assert not all(torch.equal(t, weights["on"][k]) for k, t in weights["on_w"].items())
