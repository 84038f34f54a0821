"""The authors' stored results as labelled xarray."""

from __future__ import annotations

import numpy as np
import pytest

from retinasim.authors import ALPHAS, data_file, load_results


def test_their_alpha_grid_and_their_stored_numbers() -> None:
    results = load_results()
    np.testing.assert_allclose(results.alpha, np.arange(41) * 0.1, atol=1e-12)
    assert list(results.model.values) == ["full", "truncated"]
    raw = np.load(data_file("psycho_alpha_full.npy"))
    np.testing.assert_array_equal(results.stored.sel(model="full"), raw)
    assert float(results.accuracy.sel(model="truncated", alpha=2.0)) == pytest.approx(
        0.69, abs=1e-6
    )
    assert float(results.accuracy.sel(model="truncated", alpha=4.0)) == pytest.approx(
        0.94, abs=1e-6
    )


def test_below_alpha_one_accuracy_is_one_minus_what_they_stored() -> None:
    results = load_results()
    below, above = ALPHAS < 1, ALPHAS >= 1
    stored, accuracy = results.stored.values, results.accuracy.values
    np.testing.assert_allclose(accuracy[:, below], 1 - stored[:, below])
    np.testing.assert_array_equal(accuracy[:, above], stored[:, above])
    # alpha = 0: the labelled population stands still, the model names the moving one
    assert float(results.accuracy.sel(model="full", alpha=0.0)) < 0.5
    assert float(results.accuracy.sel(model="full", alpha=1.0)) == pytest.approx(
        0.47, abs=1e-6
    )  # stored as is


def test_lesions_by_layer_and_type() -> None:
    lesions = load_results().lesion_accuracy
    assert lesions.dims == ("layer", "cell_type") and lesions.shape == (3, 8)
    assert float(lesions.sel(layer="ganglion", cell_type=0)) == pytest.approx(0.56, abs=1e-6)
    assert float(lesions.sel(layer="ganglion", cell_type=2)) == pytest.approx(0.91, abs=1e-6)
    np.testing.assert_array_equal(
        lesions.sel(layer="amacrine"), np.load(data_file("amacrine_ablation.npy"))
    )
