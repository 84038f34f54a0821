"""The default murray2021 profile reproduces the paper's accuracy figures (slow: ~15 min)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import ROOT

from retinasim.spec import load_circuit
from retinasim.train import evaluate_run, train
from retinasim.train.progress import PlainReporter

MURRAY = ROOT / "circuits" / "murray2021.yaml"


@pytest.mark.slow
def test_default_profile_reaches_the_paper_accuracy_within_15_minutes(tmp_path: Path) -> None:
    torch.set_num_threads(2)
    metrics = train(load_circuit(MURRAY), tmp_path / "run", reporter=PlainReporter())
    assert metrics["status"] == "completed"
    assert metrics["train_time_s"] <= 15 * 60, metrics
    result = evaluate_run(tmp_path / "run", alphas=(1.0, 1.7, 2.0), n=1000)
    accuracy = {float(a): float(result.accuracy.sel(alpha=a)) for a in result.alpha.values}
    lowest_decile = float(result.accuracy_by_s_bin.sel(alpha=2.0)[0])
    report = json.dumps({"accuracy": accuracy, "lowest_s_decile": lowest_decile, **metrics})
    assert accuracy[2.0] >= 0.99, report
    assert accuracy[1.7] >= 0.95, report
    assert abs(accuracy[1.0] - 0.5) <= 0.05, report
    assert lowest_decile >= 0.80, report
