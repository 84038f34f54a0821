"""One rule for "critical": ``retinasim run``'s dissection and ``retinasim compare``'s light
dissection of the same run folder name the same critical types."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from retinasim.dissect import DissectionError, critical_mask

N = 64
"""Test stimuli of both dissections (the same set: both draw the spec's test seed)."""
ALPHA = 2.0
"""Both dissections' default test α; the tiny model trained at α = 3 is imperfect here."""


def test_critical_is_relative_to_the_intact_accuracy() -> None:
    # intact 0.9: the bar is 0.855, so 0.86 (below an absolute 0.95) is not critical
    assert critical_mask([0.86, 0.85, 0.5, 0.9], 0.9).tolist() == [False, True, True, False]
    assert critical_mask([0.94, 0.96], 1.0).tolist() == [True, False]  # the paper's case
    assert critical_mask([0.6], 0.9, threshold=0.5).tolist() == [False]
    for bad in (0.0, 1.5):
        with pytest.raises(DissectionError):
            critical_mask([0.5], 0.9, threshold=bad)


def _ganglion_scan(run_dir: Path) -> tuple[float, np.ndarray]:
    """Intact accuracy and the ganglion types' lesioned accuracies on the shared stimuli."""
    from retinasim.dissect import lesion_scan
    from retinasim.engine import moving_dots_set
    from retinasim.training import load_trained

    circuit = load_trained(run_dir)

    spec = circuit.spec
    stimuli = moving_dots_set(spec, alphas=[ALPHA], n=N)
    scan = lesion_scan(circuit, stimuli, layers=["ganglion"])
    return float(scan.attrs["intact_accuracy"]), scan["accuracy"].values


def _between_the_rules(intact: float, lesioned: np.ndarray) -> float:
    """A threshold at which the model solves the task and one ganglion lesion is critical by
    an absolute bar (accuracy < threshold) but not by the relative one (≥ threshold ×
    intact): the case where the two former rules named different types."""
    a = float(max(v for v in lesioned if v < intact))
    high = min(a / intact, intact)
    assert a < high, "no threshold separates the rules on this model"
    return (a + high) / 2


def _unsolved(intact: float, lesioned: np.ndarray) -> float:
    """A threshold above the model's own accuracy: an unsolved baseline."""
    return (intact + 1) / 2


@pytest.mark.parametrize("choose", [_between_the_rules, _unsolved], ids=["solved", "unsolved"])
def test_run_and_compare_name_the_same_critical_types_on_one_run_folder(
    trained_run: Path, tmp_path: Path, choose: Callable[[float, np.ndarray], float]
) -> None:
    from retinasim.compare.dissect import light_dissection
    from retinasim.dissect.config import AnalysisConfig
    from retinasim.dissect.pipeline import Dissection

    run_dir = tmp_path / "run"
    shutil.copytree(trained_run, run_dir)
    intact, lesioned = _ganglion_scan(run_dir)
    assert intact < 1  # else relative and absolute bars coincide and nothing is shown
    threshold = choose(intact, lesioned)

    # retinasim run / analyze: the lesion step of the full dissection (critical.json)
    config = AnalysisConfig(n_stimuli=N, alpha=ALPHA, critical_threshold=threshold)
    analysis = Dissection(run_dir, config)
    analysis.run(("lesions",))
    by_run = [i for _, i in analysis.critical("ganglion")]
    # retinasim compare: the light dissection of the same folder
    light = light_dissection(run_dir, n=N, alpha=ALPHA, threshold=threshold)

    saved = analysis.load("lesion_scan.nc")
    ganglion = saved["accuracy"].values[saved["layer"].values == "ganglion"]
    assert light["lesion_accuracy"] == pytest.approx(ganglion.tolist())  # the same measurement
    assert light["baseline_accuracy"] == pytest.approx(intact)
    assert light["critical"] == by_run
    expected = [i for i, v in enumerate(lesioned) if v < threshold * intact]
    assert by_run == expected
    if choose is _between_the_rules:
        spared = [i for i, v in enumerate(lesioned) if threshold * intact <= v < threshold]
        assert spared and not set(spared) & set(by_run)  # an absolute bar would name them
        assert light["sufficient_types"] is not None
    else:  # an unsolved baseline: critical types as run names them, nothing else to read
        assert intact < threshold
        assert light["sufficient_types"] is None and light["sufficient_set"] is None
        assert not light["ds_emergence"] and not light["opposite_preferences"]
