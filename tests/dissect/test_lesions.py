"""Lesion scan, critical types and the ablation search on a trained tiny model."""

from __future__ import annotations

import numpy as np
import pytest

from retinasim.dissect import (
    DissectionError,
    ablated_lesions,
    ablation_search,
    critical_types,
    decisions,
    evaluation_set,
    lesion_effects_by_s,
    lesion_scan,
)


@pytest.fixture
def stimuli(trained):
    return evaluation_set(trained.spec, alphas=[3.0], n=100)


def test_scan_finds_the_type_whose_lesion_changes_accuracy(trained, stimuli):
    circuit = trained
    scan = lesion_scan(circuit, stimuli)
    assert list(scan["cell_type"].values) == [
        "bipolar_0", "bipolar_1", "bipolar_2", "amacrine_0", "amacrine_1", "ganglion_0",
        "ganglion_1",
    ]  # fmt: skip
    worst = int(scan["accuracy"].values.argmin())
    layer, index = str(scan["layer"].values[worst]), int(scan["type_index"].values[worst])
    alone = decisions(circuit, stimuli, lesions={layer: [index]}).mean()
    assert scan["accuracy"].values[worst] == pytest.approx(alone)
    intact = decisions(circuit, stimuli).mean()
    assert scan.attrs["intact_accuracy"] == pytest.approx(intact)
    assert scan["accuracy_drop"].values[worst] > 0.1
    assert (layer, index) in critical_types(scan)
    assert critical_types(scan, threshold=0.01) == []
    with pytest.raises(DissectionError):
        critical_types(scan, threshold=1.5)


def test_ablation_search_returns_valid_combinations_consistent_with_single_evaluations(
    trained, stimuli
):
    circuit = trained
    keep = {"ganglion": [0, 1]}
    search = ablation_search(circuit, stimuli, keep=keep)
    assert search.attrs["n_combinations"] == 3 * 2  # one bipolar x one amacrine
    assert len(set(search["kept"].values)) == 6
    assert np.all(np.diff(search["accuracy"].values) <= 0)  # best first
    for row in range(search.sizes["combination"]):
        combination = search.isel(combination=row)
        lesions = ablated_lesions(circuit, keep, combination)
        assert len(lesions["bipolar"]) == 2 and len(lesions["amacrine"]) == 1
        assert lesions["ganglion"] == []
        alone = decisions(circuit, stimuli, lesions=lesions).mean()
        assert combination["accuracy"].item() == alone  # exactly the same evaluation
    best = ablation_search(circuit, stimuli, keep=keep, min_accuracy=0.999)
    assert (best["accuracy"] >= 0.999).all()


def test_lesions_within_the_ablated_model_are_reported_per_direction_and_s(trained):
    circuit = trained
    spec = circuit.spec
    by_s = evaluation_set(spec, alphas=[3.0], s_values=[0.3, 0.6], n=20)
    effects = lesion_effects_by_s(circuit, by_s, [("ganglion", 0)], base_lesions={"bipolar": [2]})
    assert effects.dims == ("lesion", "s", "fast_direction")
    assert list(effects["lesion"].values) == ["none", "ganglion_0"]
    assert circuit.lesions == {}


def test_screened_search_reports_full_set_accuracies_of_the_best_candidates(trained, stimuli):
    circuit = trained
    keep = {"ganglion": [0, 1]}
    exact = ablation_search(circuit, stimuli, keep=keep)
    screened = ablation_search(circuit, stimuli, keep=keep, screen=(40, 3))
    assert screened.sizes["combination"] == 3
    for row in range(3):
        label = str(screened["kept"].values[row])
        full = exact["accuracy"].values[list(exact["kept"].values).index(label)]
        assert screened["accuracy"].values[row] == full
