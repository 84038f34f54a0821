"""The murray2021 profiles reproduce the paper's accuracy figures (slow: 5-15 min each).

The default profile trains without dropout within 15 minutes; the paper profile
(``murray2021_paper.yaml``) trains with the paper's dropout 0.4 within 30 minutes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import ROOT

from retinasim.cli.progress import PlainProgress
from retinasim.spec import load_circuit
from retinasim.training import evaluate_run, train

CIRCUITS = ROOT / "circuits"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("circuit", "minutes", "peak_dropout"),
    [
        ("murray2021.yaml", 15, 0.0),
        ("murray2021_paper.yaml", 30, 0.4),
    ],
)
def test_profile_reaches_the_paper_accuracy_in_time(
    circuit: str, minutes: int, peak_dropout: float, tmp_path: Path
) -> None:
    torch.set_num_threads(2)
    trained = train(load_circuit(CIRCUITS / circuit), tmp_path / "run", progress=PlainProgress())
    metrics = trained.metrics
    assert metrics["status"] == "completed"
    assert metrics["train_time_s"] <= minutes * 60, metrics
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert max(row["dropout"] for row in history) == pytest.approx(peak_dropout)
    result = evaluate_run(tmp_path / "run", alphas=(1.0, 1.7, 2.0), n=1000)
    accuracy = {float(a): float(result.accuracy.sel(alpha=a)) for a in result.alpha.values}
    lowest_decile = float(result.accuracy_by_s_bin.sel(alpha=2.0)[0])
    report = json.dumps({"accuracy": accuracy, "lowest_s_decile": lowest_decile, **metrics})
    assert accuracy[2.0] >= 0.99, report
    assert accuracy[1.7] >= 0.95, report
    assert abs(accuracy[1.0] - 0.5) <= 0.05, report
    assert lowest_decile >= 0.80, report
