"""The response battery and the atlas of functional types across runs (#26 item 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr
import yaml
from helpers import TINY3, TINY_CIRCUIT, TINY_TRAINING

from retinasim.analysis import SILENT
from retinasim.compile import compile_circuit
from retinasim.dissect.atlas import (
    Battery,
    _stack,
    _with_run,
    atlas_dataset,
    bin_frames,
    build_atlas,
    response_battery,
)
from retinasim.spec import load_circuit

ONE_TYPE = """\
name: one
input: {channels: 1, size: [16, 16], frames: 8}
layers:
  - {name: bipolar, cell_type: spatiotemporal, n_types: 1, params: {temporal_kernel: 1}}
connections:
  - {source: input, target: bipolar, kernel: 1}
readout: {layer: bipolar}
"""


def _compiled(tmp_path: Path, text: str, seed: int = 0):
    path = tmp_path / f"circuit_{seed}.yaml"
    path.write_text(text)
    return compile_circuit(load_circuit(path), seed=seed).eval()


def _one_type(tmp_path: Path, weight: float, bias: float):
    """A one-type layer whose activity is ``relu(weight x luminance + bias)``, instantly."""
    circuit = _compiled(tmp_path, ONE_TYPE)
    parameters = dict(circuit.named_parameters())
    with torch.no_grad():
        parameters["connections.input->bipolar.weight"].fill_(weight)
        parameters["connections.input->bipolar.bias"].fill_(bias)
        parameters["cells.bipolar.weight"].fill_(1.0)
        parameters["cells.bipolar.bias"].fill_(0.0)
    return circuit


def test_bin_frames_averages_bins_and_a_shorter_last_bin():
    trace = np.arange(10.0)[None]
    assert np.allclose(bin_frames(trace, 4), [[1.5, 5.5, 8.5]])


def test_battery_shape_normalisation_and_a_lesioned_type(tmp_path):
    circuit = _compiled(tmp_path, TINY_CIRCUIT)
    circuit.set_lesions({"bipolar": [0]})
    result = response_battery(circuit, Battery(bin_frames=4))
    # chirp: 990 frames -> 248 bins; bars: 8 directions x 8 frames -> 8 x 2 bins
    assert result["features"].shape == (4, 248 + 8 * 2)
    assert (result["stimulus"] == "chirp").sum() == 248
    assert list(result["cell_type"].values) == [
        "bipolar_0",
        "bipolar_1",
        "ganglion_0",
        "ganglion_1",
    ]
    features = result["features"].values
    silent = result["silent"].values
    assert silent[0] and not features[0].any() and result["polarity"].values[0] == "none"
    assert np.isnan(result["dsi"].values[0])
    # every responding type is scaled to a largest absolute feature of exactly 1
    assert not silent[1]
    assert np.allclose(np.abs(features[~silent]).max(axis=1), 1.0)
    assert np.all(result["scale"].values[~silent] > 0)


def test_polarity_of_an_on_and_an_off_cell(tmp_path):
    on = response_battery(_one_type(tmp_path, 1.0, 0.0))
    off = response_battery(_one_type(tmp_path, -1.0, 1.0))  # relu(1 - luminance)
    assert on["polarity"].item() == "ON" and off["polarity"].item() == "OFF"
    assert on["on_response"].item() == pytest.approx(1.0)  # the step is the largest response
    assert on["off_response"].item() == pytest.approx(-1.0)
    assert off["on_response"].item() == pytest.approx(-1.0)
    assert off["off_response"].item() == pytest.approx(1.0)
    # a full-screen bar drives an instantaneous point cell the same way in every direction
    assert on["dsi"].item() == pytest.approx(0.0, abs=1e-6)


def test_silent_types_form_the_silent_cluster(tmp_path):
    batteries = []
    for seed in range(3):
        circuit = _compiled(tmp_path, TINY_CIRCUIT, seed)
        circuit.set_lesions({"ganglion": [1]})
        types = response_battery(circuit)
        batteries.append(_with_run(types, tmp_path / f"seed{seed}", is_reference=False))
    units = _stack(batteries)
    atlas = atlas_dataset(units, k_max=2, seed=0, n_runs=3)
    lesioned = (atlas["cell_type"] == "ganglion_1").values
    assert np.all(atlas["cluster"].values[lesioned] == SILENT)
    silent_row = (atlas["cluster_layer"] == "ganglion") & (atlas["cluster_id"] == SILENT)
    in_ganglion = (atlas["layer"] == "ganglion").values
    silent_count = int((atlas["cluster"].values[in_ganglion] == SILENT).sum())
    assert int(atlas["cluster_size"][silent_row.values].item()) == silent_count >= 3
    assert np.all(atlas["silent"].values[atlas["cluster"].values == SILENT])
    assert float(atlas["prevalence"][silent_row.values].item()) == 1.0
    assert "mechanism" not in atlas  # no run has analysis/mechanism.nc


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two run folders of ``tiny3.yaml`` trained for 2 steps, seeds 0 and 1."""
    from retinasim.spec import load_circuit
    from retinasim.training import train

    folder = tmp_path_factory.mktemp("atlas_runs")
    runs = []
    for seed in (0, 1):
        data = yaml.safe_load(TINY3.read_text())
        data["training"].update({**TINY_TRAINING, "seed": seed})
        path = folder / f"tiny3_{seed}.yaml"
        path.write_text(yaml.safe_dump(data))
        train(load_circuit(path), folder / f"run{seed}")
        runs.append(folder / f"run{seed}")
    return runs


def test_atlas_command_writes_the_assignment_table_and_figures(tiny_runs, tmp_path):
    from retinasim.cli import main

    out = tmp_path / "atlas"
    run0, run1 = tiny_runs
    code = main(["atlas", str(run0), str(run1), "--out", str(out), "--k-max", "3",
                 "--reference", str(run0)])  # fmt: skip
    assert code == 0
    atlas = xr.load_dataset(out / "atlas.nc")
    assert atlas.sizes["unit"] == 3 * 7  # 7 types in each of two runs and the reference
    prevalence = atlas["prevalence"].values
    assert np.all((prevalence >= 0) & (prevalence <= 1))
    # prevalence counts the fitted runs that hold a member
    assert np.allclose(prevalence, atlas["cluster_runs"].values / 2)
    assert atlas.attrs["n_runs"] == 2 and atlas.attrs["seed"] == 0
    assert "retinasim_version" in atlas.attrs
    # the reference is run0 itself: predict places each of its types where run0's went
    fitted = atlas.where(~atlas["reference"] & (atlas["run"] == str(run0)), drop=True)
    placed = atlas.where(atlas["reference"], drop=True)
    assert np.array_equal(fitted["cluster"].values, placed["cluster"].values)
    assert atlas["reference_size"].sum() == 7
    table = pd.read_csv(out / "atlas.csv")
    assert len(table) == atlas.sizes["layer_cluster"]
    assert {"layer", "cluster", "size", "prevalence", "polarity", "ds_fraction"} <= set(table)
    for layer in ("bipolar", "amacrine", "ganglion"):
        assert (out / f"atlas_{layer}.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def authors_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The authors' trained model and their truncated one, imported as run folders."""
    from retinasim.authors import import_authors

    folder = tmp_path_factory.mktemp("authors_atlas")
    import_authors("murray2021", folder / "full")
    import_authors("murray2021-top", folder / "top")
    return folder / "full", folder / "top"


def test_atlas_runs_on_the_authors_model(authors_runs):
    full, top = authors_runs
    atlas = build_atlas([full], reference=top, k_max=4, seed=0)
    assert atlas.sizes["unit"] == 24 + 6
    # every cluster with members is in the one run (a layer's silent cluster may be empty)
    size = atlas["cluster_size"].values
    assert np.array_equal(atlas["prevalence"].values, (size > 0).astype(float))
    ganglion = atlas.where((atlas["layer"] == "ganglion") & ~atlas["reference"], drop=True)
    assert (ganglion["cluster"] >= 0).sum() >= 4  # most ganglion types respond
    assert atlas["reference_size"].sum() == 6  # the top model's 6 types, placed
    # the authors' two DS ganglion types (0 and 2) are DS to the battery's bars too
    for name in ("ganglion_0", "ganglion_2"):
        chosen = (ganglion["cell_type"] == name).values
        assert float(ganglion["dsi"].values[chosen][0]) >= 0.3


def test_a_layer_with_one_responding_type_is_one_cluster(tmp_path):
    """fit_clusters needs two responding units; one is a cluster of its own, not a crash."""
    on = _with_run(
        response_battery(_one_type(tmp_path, 1.0, 0.0)), tmp_path / "on", is_reference=False
    )
    dead = _with_run(
        response_battery(_one_type(tmp_path, 0.0, 0.5)), tmp_path / "dead", is_reference=False
    )
    placed = _with_run(
        response_battery(_one_type(tmp_path, 1.0, 0.0)), tmp_path / "ref", is_reference=True
    )
    atlas = atlas_dataset(_stack([on, dead, placed]), k_max=3, seed=0, n_runs=2)
    assert list(atlas["cluster"].values) == [0, SILENT, 0]
    assert list(atlas["cluster_id"].values) == [SILENT, 0]
    assert list(atlas["prevalence"].values) == [0.5, 0.5]
    assert list(atlas["reference_size"].values) == [0, 1]
    assert np.allclose(atlas["cluster_mean"].values[1], atlas["features"].values[0])
