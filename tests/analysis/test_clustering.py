"""Clustering units by battery responses: planted clusters recovered, silent units set aside,
seeded determinism, new units placed, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from sklearn.metrics import adjusted_rand_score

from retinasim.analysis import SILENT, fit_clusters
from retinasim.recording.errors import AnalysisError

FEATURES = 80
NOISE = 0.15


def prototypes() -> np.ndarray:
    """Four response prototypes ``(4, feature)``: ON step, OFF step, oscillation, biphasic."""
    t = np.linspace(0, 1, FEATURES)
    return np.stack(
        [
            np.where(t < 0.5, 1.0, 0.0),
            np.where(t < 0.5, 0.0, 1.0),
            np.sin(2 * np.pi * 4 * t),
            np.exp(-(((t - 0.3) / 0.05) ** 2)) - np.exp(-(((t - 0.7) / 0.05) ** 2)),
        ]
    )


def battery(types: np.ndarray, seed: int) -> np.ndarray:
    """Noisy copies of the prototypes ``types``, ``(unit, feature)``."""
    noise = np.random.default_rng(seed).standard_normal((len(types), FEATURES))
    return prototypes()[types] + NOISE * noise


def as_features(values: np.ndarray) -> xr.DataArray:
    names = [f"run{i % 3}/ganglion/{i}" for i in range(len(values))]
    return xr.DataArray(
        values,
        dims=("unit", "feature"),
        coords={
            "unit": names,
            "feature": np.arange(FEATURES),
            "run": ("unit", np.arange(len(values)) % 3),
        },
        attrs={"units": "normalised response"},
    )


TRUTH = np.repeat(np.arange(4), 15)  # 60 units


@pytest.fixture(scope="module")
def planted():
    return fit_clusters(as_features(battery(TRUTH, seed=1)), k_max=8, seed=0)


def test_planted_clusters_are_recovered_with_the_right_k(planted):
    assignment = planted.assignment
    assert assignment.attrs["k"] == 4 and assignment.attrs["k_values"] == list(range(1, 9))
    assert int(np.argmin(assignment.attrs["bic"])) == 3
    assert adjusted_rand_score(TRUTH, assignment["cluster"].values) >= 0.9
    assert sorted(assignment["size"].values.tolist()) == [15, 15, 15, 15]
    assert assignment.attrs["explained_variance"] >= 0.9 and assignment.attrs["n_silent"] == 0
    # each cluster's mean is its prototype, its spread the noise
    for label in range(4):
        members = TRUTH[assignment["cluster"].values == label]
        prototype = prototypes()[np.bincount(members).argmax()]
        mean = assignment["mean"].sel(cluster_id=label).values
        assert np.abs(mean - prototype).max() < 5 * NOISE / np.sqrt(15)
        assert assignment["spread"].sel(cluster_id=label).mean() == pytest.approx(NOISE, rel=0.25)
    assert (assignment["probability"] > 0.99).all()
    assert list(assignment["run"].values) == list(np.arange(60) % 3)  # unit coordinates kept


def test_silent_units_form_their_own_cluster_and_change_nothing_else(planted):
    values = battery(TRUTH, seed=1)
    silent = np.stack(
        [
            np.zeros(FEATURES),
            np.full(FEATURES, 0.3),  # constant at another level
            0.3 + 1e-5 * np.random.default_rng(5).standard_normal(FEATURES),  # near-constant
            np.full(FEATURES, np.nan),  # a constant trace normalised by its zero peak
        ]
    )
    mixed = np.concatenate([values[:20], silent[:2], values[20:], silent[2:]])
    fitted = fit_clusters(as_features(mixed), k_max=8, seed=0).assignment
    is_silent = np.zeros(len(mixed), bool)
    is_silent[[20, 21, 62, 63]] = True
    assert (fitted["cluster"].values[is_silent] == SILENT).all()
    assert (fitted["probability"].values[is_silent] == 1).all()
    alone = planted.assignment
    assert np.array_equal(fitted["cluster"].values[~is_silent], alone["cluster"].values)
    assert fitted.attrs["k"] == 4 and fitted.attrs["bic"] == alone.attrs["bic"]
    assert fitted["cluster_id"].values.tolist() == [SILENT, 0, 1, 2, 3]
    assert fitted["size"].sel(cluster_id=SILENT) == 4 and fitted.attrs["n_silent"] == 4
    assert np.allclose(fitted["mean"].sel(cluster_id=[0, 1, 2, 3]), alone["mean"])


def test_every_unit_silent_is_one_silent_cluster():
    fitted = fit_clusters(as_features(np.zeros((5, FEATURES)))).assignment
    assert (fitted["cluster"] == SILENT).all() and fitted.attrs["k"] == 0
    assert fitted["size"].values.tolist() == [5]


def test_the_same_seed_gives_the_same_assignment_and_it_saves_as_netcdf(tmp_path):
    values = as_features(battery(TRUTH, seed=2))
    first = fit_clusters(values, k_max=6, seed=7).assignment
    again = fit_clusters(values, k_max=6, seed=7).assignment
    xr.testing.assert_identical(first, again)
    first.to_netcdf(tmp_path / "clusters.nc", engine="h5netcdf")
    with xr.open_dataset(tmp_path / "clusters.nc", engine="h5netcdf") as saved:
        xr.testing.assert_equal(saved, first)
        assert list(saved.attrs["bic"]) == first.attrs["bic"]


def test_predict_places_new_noisy_copies_in_their_prototypes_clusters(planted):
    held_out = np.array([0, 1, 2, 3, 3, 2, 1, 0])
    new = battery(held_out, seed=11)
    new[5] = 0.0  # a silent newcomer
    placed = planted.predict(as_features(new))
    fitted = planted.assignment["cluster"].values
    expected = [fitted[kind == TRUTH][0] for kind in held_out]
    expected[5] = SILENT
    assert placed["cluster"].values.tolist() == expected
    assert (placed["probability"].values > 0.99).all()
    with pytest.raises(AnalysisError, match="needs the 80 features"):
        planted.predict(as_features(new).isel(feature=slice(0, 40)))


@pytest.mark.parametrize(
    "values, options, message",
    [
        (np.zeros((3, 4, 2)), {}, "features \\(unit, feature\\)"),
        (np.ones((4, 3)), {"variance": 1.5}, "variance must lie in \\(0, 1\\]"),
        (np.ones((4, 3)), {"k_max": 0}, "k_max must be a whole number >= 1"),
        (np.ones((4, 3)), {"covariance": "spherical"}, "covariance must be 'diag' or 'full'"),
        (np.array([[0.0, 1.0], [0.0, 0.0]]), {}, "only one unit is not silent"),
    ],
)
def test_bad_input_is_one_clear_error(values, options, message):
    dims = ("unit", "feature", "extra")[: values.ndim]
    with pytest.raises(AnalysisError, match=message):
        fit_clusters(xr.DataArray(values, dims=dims), **options)
