"""Training reports progress through the one protocol: steps done, with a summary note."""

from __future__ import annotations

from pathlib import Path

from trainhelpers import tiny_spec

from retinasim.training import train
from retinasim.training.loop import TASK, _summary

ROW = {
    "loss": 0.5,
    "train_accuracy": 0.75,
    "validation_accuracy": 0.8,
    "stimuli_per_s": 30.0,
    "learning_rate": 1e-3,
}


def test_the_note_carries_loss_accuracy_and_speed() -> None:
    assert _summary(ROW) == "loss 0.5000  acc 0.750  val 0.800  30.0 stim/s  lr 1.00e-03"


def test_training_reports_its_start_and_every_logged_step(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int, str]] = []

    def progress(task: str, done: int, total: int, note: str = "") -> None:
        calls.append((task, done, total, note))

    train(tiny_spec(steps=10, log_every=5, eval_every=0), tmp_path / "run", progress=progress)
    assert [(task, done, total) for task, done, total, _ in calls] == [
        (TASK, 0, 10),
        (TASK, 5, 10),
        (TASK, 10, 10),
    ]
    assert calls[0][3] == "" and all("stim/s" in note for *_, note in calls[1:])
