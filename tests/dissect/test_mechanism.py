"""The mechanism of direction-selective types (voltage clamp in silico), on hand-wired
circuits whose mechanism is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from groundtruth import DELAY, reichardt

from retinasim.compile import compile_circuit
from retinasim.dissect import direction_protocol
from retinasim.dissect.mechanism import (
    CLASSES,
    direction_mechanism,
    ds_targets,
    judge,
    measure_currents,
    pair_videos,
)
from retinasim.spec import load_circuit

# the Reichardt detector and the starburst circuit compare inputs DELAY pixels and frames apart:
# both are tuned to 1 pixel/frame
SETTINGS = dict(
    speeds=(1.0, 2.0),
    widths=(1.0, 2.0),
    grid_speed=1.0,
    grid_width=1.0,
    n_permutations=50,
    grid=1,
)

STARBURST = """
name: starburst
input: {channels: 1, size: [15, 15], frames: 21}
layers:
  - {name: bipolar, cell_type: spatiotemporal, n_types: 2, type_names: [fast, delayed],
     params: {temporal_kernel: 3}}
  - {name: amacrine, cell_type: spatiotemporal, n_types: 1, type_names: [starburst],
     sign: inhibitory, weights: nonnegative, params: {temporal_kernel: 1}}
  - {name: ganglion, cell_type: spatiotemporal, n_types: 1, type_names: [dsgc],
     weights: nonnegative, params: {temporal_kernel: 1}}
connections:
  - {source: input, target: bipolar, kernel: 1}
  - {source: bipolar, target: amacrine, kernel: [1, 3]}
  - {source: amacrine, target: ganglion, kernel: 1}
  - {source: bipolar, target: ganglion, kernel: [1, 3]}
readout: {layer: ganglion, classes: [left, right]}
"""


def starburst():
    """Null-direction inhibition by construction: the amacrine cell is a delay-and-compare
    detector of *leftward* motion (the delayed bipolar input DELAY pixels right of the fast
    one, a threshold passing only their coincidence), and it inhibits the ganglion cell, whose
    excitation (the fast bipolar type at one point) is the same in both directions: leftward
    motion is vetoed, the ganglion cell prefers rightward."""
    circuit = compile_circuit(load_circuit("starburst", text=STARBURST), seed=0)
    cells, links = circuit.cells, circuit.connections
    with torch.no_grad():
        links["input->bipolar"].weight.fill_(1.0)
        links["input->bipolar"].bias.zero_()
        cells["bipolar"].weight.zero_()
        cells["bipolar"].weight[0, 0] = 1.0  # fast: the current frame
        cells["bipolar"].weight[1, DELAY] = 1.0  # delayed: DELAY frames ago
        cells["bipolar"].bias.zero_()
        detector = links["bipolar->amacrine"]
        detector.weight.zero_()
        detector.bias.zero_()
        detector.weight[0, 0, 0, 0] = 1.0  # fast at the left end
        detector.weight[0, 1, 0, DELAY] = 1.0  # delayed at the right end: leftward coincidence
        cells["amacrine"].weight.fill_(1.0)
        cells["amacrine"].bias.fill_(-1.2)  # one input alone stays below threshold
        links["amacrine->ganglion"].weight.fill_(3.0)
        links["amacrine->ganglion"].bias.zero_()
        excitation = links["bipolar->ganglion"]
        excitation.weight.zero_()
        excitation.bias.zero_()
        excitation.weight[0, 0, 0, 0] = 1.0  # the fast type, at the amacrine cell's fast input
        cells["ganglion"].weight.fill_(1.0)
        cells["ganglion"].bias.fill_(-0.2)
    return circuit.eval()


def mechanism(circuit):
    tuning = direction_protocol(circuit, **SETTINGS)
    return tuning, direction_mechanism(circuit, tuning)


@pytest.fixture(scope="module")
def starburst_result():
    circuit = starburst()
    tuning = direction_protocol(circuit, **SETTINGS)
    return circuit, tuning, direction_mechanism(circuit, tuning)


def test_direction_asymmetric_inhibition_is_null_inhibition_carried_by_the_amacrine_type(
    starburst_result,
) -> None:
    _, tuning, result = starburst_result
    assert list(result["cell_type"].values) == ["starburst", "dsgc"]  # every DS type
    dsgc = result.sel(cell_type="dsgc")
    assert float(tuning["dsi"].sel(cell_type="dsgc")) >= 0.3
    rightward = np.cos(np.deg2rad(float(dsgc.preferred_direction_deg)))
    assert rightward > 0.5  # leftward motion is vetoed
    assert str(dsgc.mechanism.values) == "null_inhibition"
    assert str(dsgc.carriers.values) == "starburst"
    assert float(dsgc.inhibition_dsi) == pytest.approx(-1.0)  # no inhibition when preferred
    assert float(dsgc.excitation_dsi) == pytest.approx(0.0, abs=1e-6)  # the same excitation
    assert float(dsgc.source_dsi.sel(source_type="starburst")) == pytest.approx(-1.0)
    assert float(dsgc.response_dsi) > 0.3  # on its own path too
    assert (result.source_sign.sel(source_type="starburst") == -1).all()
    # the amacrine type itself: a delay-and-compare pair of excitatory inputs
    amacrine = result.sel(cell_type="starburst")
    assert str(amacrine.mechanism.values) == "preferred_excitation"
    assert str(amacrine.carriers.values) == "fast + delayed"
    assert np.cos(np.deg2rad(float(amacrine.preferred_direction_deg))) < -0.5  # leftward


def test_offset_excitation_of_different_delays_is_preferred_excitation() -> None:
    circuit = reichardt("rightward")
    tuning = direction_protocol(circuit, layers=["ganglion"], **SETTINGS)
    result = direction_mechanism(circuit, tuning).sel(cell_type="detector")
    assert str(result.mechanism.values) == "preferred_excitation"
    assert str(result.carriers.values) == "fast + delayed"  # neither alone: their coincidence
    assert np.nanmax(result.inhibition_peak.values) == 0.0
    # coincident inputs sum to 2 in the preferred direction, arrive one at a time in the null
    assert float(result.excitation_dsi) == pytest.approx(1 / 3, abs=1e-6)
    np.testing.assert_allclose(result.source_dsi.values, 0.0, atol=1e-6)
    # the charges are the same in both directions: a linear sum is blind to the order
    charge = result.excitation_charge.sel(speed=1.0, width=1.0).values
    assert charge[0] == pytest.approx(charge[1])


def test_a_circuit_without_direction_selective_types_has_no_mechanism_rows(tmp_path) -> None:
    from retinasim.run_folder import read_netcdf
    from retinasim.util.netcdf import write_netcdf

    circuit = reichardt("symmetric")
    tuning = direction_protocol(circuit, layers=["ganglion"], **SETTINGS)
    result = direction_mechanism(circuit, tuning)
    assert result.sizes["cell_type"] == 0 and "mechanism" in result
    write_netcdf(result, tmp_path / "mechanism.nc")
    assert read_netcdf(tmp_path / "mechanism.nc").sizes["cell_type"] == 0


def test_the_integrated_currents_add_up_to_the_integrated_drive(starburst_result) -> None:
    circuit, tuning, result = starburst_result
    targets = ds_targets(circuit, tuning)
    measured = measure_currents(circuit, tuning, targets, 1.0, 2.0)
    batch = pair_videos(circuit, tuning, targets, 1.0, 2.0)
    with torch.no_grad():
        drives = circuit.run(batch.video, drives=circuit.layer_names).drives
    for k, target in enumerate(targets):
        drive = drives[target.layer][:, target.index].double()  # (video, frame, y, x)
        _, _, height, width = drive.shape
        centre = drive[:, :, height // 2, width // 2]
        evoked = (centre[[2 * k, 2 * k + 1]] - centre[-1]).sum(-1).numpy()  # (motion,)
        currents = measured["currents"][target.name].sum((1, 2))
        np.testing.assert_allclose(currents, evoked, rtol=1e-6, atol=1e-6)
        assert np.abs(evoked).max() > 0.1
        # and the Dataset's split: excitation + inhibition = the sources' charges
        row = result.sel(cell_type=target.name, speed=1.0, width=2.0)
        total = row.excitation_charge + row.inhibition_charge
        np.testing.assert_allclose(total, row.source_charge.sum("source_type"), atol=1e-9)
        np.testing.assert_allclose(total, evoked, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("excitation", "inhibition", "expected", "drive"),
    [
        ([1.0, 1.0], [0.5, 1.0], "null_inhibition", None),  # inhibition DSI -1/3
        ([1.3, 1.0], [1.0, 1.0], "preferred_excitation", None),  # excitation DSI 0.13
        ([1.3, 1.0], [0.5, 1.0], "both", None),
        ([1.0, 1.0], [1.0, 1.1], "intrinsic", None),  # inhibition DSI -0.048: below 0.1
        ([1.0, 1.0], [0.0, 0.05], "intrinsic", None),  # null inhibition, but 2.4 % of the input
        ([1.0, 1.3], [1.3, 1.0], "intrinsic", None),  # the opposite asymmetries
        ([1.0, 1.0], [1.0, 1.0], "timing", [0.8, 0.2]),  # equal peaks, a DS net drive
        ([1.0, 1.0], [1.0, 1.0], "intrinsic", [0.5, 0.5]),  # and a net drive that is not
    ],
)
def test_the_classes_follow_their_thresholds(excitation, inhibition, expected, drive) -> None:
    sources = np.array([excitation, inhibition]).T  # (motion, source)
    net = None if drive is None else np.array(drive)
    verdict = judge(np.array(excitation), np.array(inhibition), sources, net)
    assert CLASSES[int(verdict["mechanism"])] == expected
    assert verdict["source_dsi"][0] == pytest.approx(verdict["excitation_dsi"])
    assert verdict["source_share"].sum() == pytest.approx(1.0)


def test_tuning_prints_the_mechanism_table(starburst_result, tmp_path, capsys) -> None:
    from retinasim.cli.record_commands import _mechanism

    circuit, tuning, _ = starburst_result
    _mechanism(circuit, tuning, tmp_path)
    printed = capsys.readouterr().out
    assert "mechanism of the direction-selective types" in printed
    rows = [line.split() for line in printed.splitlines()]
    assert ["dsgc", "ganglion", "null_inhibition", "starburst"] in [row[:4] for row in rows]
    table = pd.read_csv(tmp_path / "mechanism.csv")
    assert list(table["mechanism"]) == ["preferred_excitation", "null_inhibition"]
    assert (tmp_path / "mechanism.nc").exists()


def test_the_report_table_shows_the_critical_types(starburst_result, tmp_path) -> None:
    import json

    from retinasim.report.html import mechanism_table
    from retinasim.util.netcdf import write_netcdf

    _, _, result = starburst_result
    assert mechanism_table(tmp_path) is None  # no mechanism.nc
    write_netcdf(result, tmp_path / "mechanism.nc")
    assert list(mechanism_table(tmp_path).index) == ["starburst", "dsgc"]  # no critical.json
    (tmp_path / "critical.json").write_text(json.dumps({"critical": [["ganglion", 0]]}))
    table = mechanism_table(tmp_path)
    assert list(table.index) == ["dsgc"]
    assert table.loc["dsgc", "mechanism"] == "null_inhibition"
    assert table.loc["dsgc", "carried by"] == "starburst"
