"""Progress reporting: a rich bar on a terminal, plain timestamped lines otherwise."""

from __future__ import annotations

import io

from rich.console import Console

from retinasim.training.progress import PlainReporter, RichReporter

ROW = {
    "loss": 0.5,
    "train_accuracy": 0.75,
    "validation_accuracy": 0.8,
    "stimuli_per_s": 30.0,
    "learning_rate": 1e-3,
}


def test_plain_lines_carry_loss_accuracy_and_speed() -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream)
    reporter.start(100, 0)
    reporter.update(10, ROW)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("training: steps 0/100")
    assert lines[1].endswith(
        "step 10/100  loss 0.5000  acc 0.750  val 0.800  30.0 stim/s  lr 1.00e-03"
    )


def test_rich_bar_shows_the_same_summary() -> None:
    stream = io.StringIO()
    reporter = RichReporter(Console(file=stream, force_terminal=True, width=200))
    reporter.start(100, 0)
    reporter.update(10, ROW)
    reporter.close()
    assert "loss 0.5000  acc 0.750  val 0.800  30.0 stim/s" in stream.getvalue()
