"""The ensemble report of ``retinasim compare``: per-type data, the comparison Dataset, the
population statistics (Wilson interval, critical counts, redundancy, direction pairs), the
figures and the authors' reference row, on one real tiny comparison shared by the module."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from helpers import ROOT, run_cli, shrink

from retinasim.compare import population, wilson_interval
from retinasim.compare.figures import FILES

REFERENCE = "authors (reference)"
CIRCUITS = ["murray2021", "murray2021_no_residual"]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """2 tiny circuits × 2 seeds (2 training steps) and the authors' model, 8 stimuli per
    measurement, in this process on 1 thread."""
    from retinasim.compare import CompareSettings, pipeline

    tmp = tmp_path_factory.mktemp("population")
    files = []
    for name in CIRCUITS:
        data = shrink(yaml.safe_load((ROOT / "circuits" / f"{name}.yaml").read_text()))
        files.append(tmp / f"{name}.yaml")
        files[-1].write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp / "cmp"
    started = time.perf_counter()
    with pytest.MonkeyPatch.context() as patch:  # one process, one torch thread
        patch.setattr(pipeline, "plan_workers", lambda n, jobs=None: (1, 1))
        settings = CompareSettings(
            seeds=2,
            n_eval=8,
            n_dissect=8,
            overrides={"learning_rate": 0.01},
            reference=("authors",),
        )
        rows = pipeline.compare(files, out, settings)
    yield {"rows": rows, "out": out, "seconds": time.perf_counter() - started}


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(0, 10)[1] == pytest.approx(
        0.2775, abs=1e-4
    )
    assert wilson_interval(10, 10)[1] == 1.0 and wilson_interval(10, 10)[0] == pytest.approx(
        0.7225, abs=1e-4
    )
    z = 2.576  # 99%: at k = 0 the upper bound is z² / (n + z²)
    assert wilson_interval(0, 5, z=z)[1] == pytest.approx(z**2 / (5 + z**2))
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    lows, highs = wilson_interval(np.array([8, 0]), np.array([10, 10]))
    assert lows == pytest.approx([0.4902, 0.0], abs=1e-4) and highs[0] == pytest.approx(
        0.9433, 1e-3
    )
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_dataset_has_the_dims_coords_and_the_csvs_values(comparison: dict) -> None:
    out = comparison["out"]
    ds = xr.open_dataset(out / "comparison.nc", engine="h5netcdf")  # lazily
    assert list(ds["circuit"].values) == [*CIRCUITS, REFERENCE]
    assert list(ds["seed"].values) == [0, 1]
    assert list(ds["alpha"].values) == [1.0, 1.7, 2.0]
    assert list(ds["s_decile"].values) == list(range(1, 11))
    assert list(ds["cell_type"].values) == [f"ganglion_{i}" for i in range(8)]
    assert list(ds["reference"].values) == [False, False, True]
    assert ds["accuracy"].dims == ("circuit", "seed", "alpha")
    assert ds["lesion_accuracy"].dims == ("circuit", "seed", "cell_type")
    assert ds["critical"].dtype == bool and ds["ds_emergence"].dims == ("circuit", "seed")
    for name in ("accuracy", "dsi", "preferred_direction_deg", "redundancy", "n_critical"):
        assert {"long_name", "units"} <= set(ds[name].attrs), name
    assert ds["preferred_direction_deg"].attrs["units"] == "degree"
    assert ds.attrs["retinasim_version"] and '"n_dissect": 8' in ds.attrs["settings"]
    # The reference is one untrained model at the first seed: the second is a hole.
    assert ds["completed"].sel(circuit=REFERENCE).values.tolist() == [True, False]
    assert ds["completed"].sel(circuit=CIRCUITS).all()

    table = pd.read_csv(out / "comparison.csv")
    assert table["reference"].tolist() == [False] * 4 + [True]
    for row in table.to_dict("records"):
        run = ds.sel(circuit=row["circuit"], seed=row["seed"])
        for alpha in (1, 1.7, 2):
            value = run["accuracy"].sel(alpha=alpha).item()
            assert value == pytest.approx(row[f"accuracy_alpha_{alpha:g}"])
        assert run["accuracy_by_s_decile"].sel(s_decile=3).item() == pytest.approx(
            row["accuracy_s_decile_3"], nan_ok=True
        )
        for name in ("n_critical", "n_critical_ds", "redundancy", "dissection_accuracy"):
            assert run[name].item() == pytest.approx(row[name], nan_ok=True), name
        assert bool(run["ds_emergence"]) == row["ds_emergence"]
        assert int(run["critical"].sum()) == row["n_critical"]
    types = pd.read_csv(out / "comparison_types.csv")
    assert len(types) == 5 * 8
    stacked = ds.stack(run=("circuit", "seed", "cell_type")).where(
        ds["type_present"].stack(run=("circuit", "seed", "cell_type")), drop=True
    )
    columns = ["lesion_accuracy", "dsi", "vector_dsi", "vector_dsi_p_value"]
    frame = stacked[columns].to_dataframe().reset_index(drop=True)[columns]
    pd.testing.assert_frame_equal(frame, types[columns], check_dtype=False)
    expected = types.set_index(["circuit", "seed", "cell_type"])
    got = ds["critical"].to_series().reindex(expected.index)
    assert (got == expected["critical"]).all()


def test_reopened_dataset_equals_the_written_one(comparison: dict) -> None:
    from retinasim.compare.dataset import comparison_dataset

    written = comparison_dataset(
        comparison["rows"], alphas=[1.0, 1.7, 2.0], settings={"threshold": 0.95}
    )
    with xr.open_dataset(comparison["out"] / "comparison.nc", engine="h5netcdf") as lazy:
        xr.testing.assert_equal(lazy.load().drop_attrs(), written.drop_attrs())


def test_population_statistics_over_the_seed_dimension(comparison: dict) -> None:
    ds = xr.open_dataset(comparison["out"] / "comparison.nc", engine="h5netcdf")
    types = pd.read_csv(comparison["out"] / "comparison_types.csv")
    # The documented example: the fraction of critical types that are DS, per circuit.
    critical = ds["critical"].where(ds["completed"], False)
    fraction = ds["critical_ds"].sum(("seed", "cell_type")) / critical.sum(("seed", "cell_type"))
    pooled = types[types["critical"]].groupby("circuit", sort=False)["critical_ds"].mean()
    assert fraction.sel(circuit=list(pooled.index)).values == pytest.approx(pooled.values)
    xr.testing.assert_allclose(population.fraction_ds_critical(ds), fraction)

    rate = population.emergence(ds)
    assert rate["n"].values.tolist() == [2, 2, 1]
    k, n = int(rate["k"].sel(circuit=REFERENCE)), 1
    assert (float(rate["low"][2]), float(rate["high"][2])) == pytest.approx(wilson_interval(k, n))

    counts = population.critical_counts(ds)
    assert counts.sum("n_critical").values.tolist() == [2, 2, 1]
    table = pd.read_csv(comparison["out"] / "comparison.csv")
    authors = table[table["reference"]].iloc[0]
    assert int(counts.sel(circuit=REFERENCE, n_critical=int(authors["n_critical"]))) == 1

    redundancy = population.redundancy(ds)
    lesion_cost = types.assign(r=types["lesion_cost"] < 0.01).groupby(["circuit", "seed"])["r"]
    per_seed = lesion_cost.mean()
    assert float(redundancy["mean"].sel(circuit="murray2021")) == pytest.approx(
        per_seed["murray2021"].mean()
    )
    assert float(redundancy["min"].sel(circuit=REFERENCE)) == pytest.approx(
        per_seed[REFERENCE].iloc[0]
    )
    pairs = population.direction_pairs(ds)
    assert int(pairs.sum(("n_right", "n_left")).sel(circuit=REFERENCE)) == int(
        ds["solved"].sel(circuit=REFERENCE).sum()
    )
    paired = pairs.sel(n_right=slice(1, None), n_left=slice(1, None)).sum(("n_right", "n_left"))
    assert (paired == ds["ds_emergence"].sum("seed")).all()
    band = population.accuracy_band(ds)
    assert (band["min"] <= band["mean"]).all() and (band["mean"] <= band["max"]).all()


def test_report_shows_the_population_and_embeds_every_figure(comparison: dict) -> None:
    out = comparison["out"]
    report = (out / "comparison.md").read_text()
    for heading in (
        "## Summary",
        "## Critical ganglion types per seed",
        "## Preferred-direction pairs",
        "## Accuracy by α",
        "95% Wilson",
        "Redundancy: the fraction of ganglion types",
        "single-unit bar protocol",
    ):
        assert heading in report, heading
    assert "2 pixels/frame" not in report  # the old full-field protocol's text
    for name in FILES.values():
        assert (out / name).stat().st_size > 10_000, name
        assert f"]({name})" in report
    ds = xr.open_dataset(out / "comparison.nc", engine="h5netcdf")
    rate = population.emergence(ds).sel(circuit="murray2021")
    low, high = float(rate["low"]), float(rate["high"])
    assert f"{int(rate['k'])}/2 = {float(rate['rate']):.2f} [{low:.2f}, {high:.2f}]" in report


def test_reference_row_is_the_authors_model_dissected_alike(comparison: dict) -> None:
    import json

    out = comparison["out"]
    folder = out / "reference" / "authors"
    assert json.loads((folder / "metrics.json").read_text())["imported"] is True
    assert "rendering: authors" in (folder / "circuit.yaml").read_text()
    dissection = json.loads((folder / "dissection.json").read_text())
    assert dissection["baseline_accuracy"] >= 0.95  # the trained model solves the task
    assert dissection["settings"]["n"] == 8
    (row,) = [r for r in comparison["rows"] if r["circuit"] == REFERENCE]
    assert row["reference"] and row["steps"] == 0 and row["status"] == "completed"
    assert row["cell_types"]["lesion_accuracy"] == dissection["lesion_accuracy"]
    assert f"| `{REFERENCE}` | 1 |" in (out / "comparison.md").read_text()
    assert f"| `{REFERENCE}` | — | completed |" in (out / "comparison.md").read_text()


def test_unknown_reference_is_refused_before_training(tmp_path: Path) -> None:
    data = shrink(yaml.safe_load((ROOT / "circuits" / "murray2021.yaml").read_text()))
    file = tmp_path / "m.yaml"
    file.write_text(yaml.safe_dump(data))
    done = run_cli("compare", file, "--out", tmp_path / "cmp", "--reference", "nobody")
    assert done.returncode == 2
    assert "nobody" in done.stderr and "authors" in done.stderr
    assert not (tmp_path / "cmp").exists()
