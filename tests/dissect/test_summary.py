"""Cell-type function summary: selectivity from bars, threshold in s, lesion role."""

from __future__ import annotations

import groundtruth
import numpy as np
import pytest
import xarray as xr

from retinasim.dissect import evaluation_set, lesion_scan
from retinasim.dissect.summary import (
    amplitude_by_s,
    cell_type_summary,
    direction_selectivity,
    response_threshold,
    sentences,
)


@pytest.mark.parametrize(("wiring", "preferred"), [("rightward", 0.0), ("leftward", 180.0)])
def test_hand_wired_detector_is_direction_selective_in_its_direction(wiring, preferred):
    # the hand-wired detector compares inputs 2 pixels and 2 frames apart: 1 pixel/frame
    tuning = direction_selectivity(
        groundtruth.reichardt(wiring),
        speeds=(1.0, 2.0),
        widths=(1.0, 2.0),
        grid_speed=1.0,
        grid_width=1.0,
        n_permutations=200,
    )
    detector = tuning.sel(cell_type="detector")
    assert float(detector.dsi) > 0.99 and float(detector.vector_dsi) > 0.7
    assert float(detector.vector_dsi_p_value) < 0.01
    angle = detector["preferred_direction_deg"].item()
    assert abs((angle - preferred + 180) % 360 - 180) < 10
    assert float(detector.preferred_speed) == 1.0
    # the input layer's two types see one pixel each: no direction preference
    for name in ("fast", "delayed"):
        assert float(tuning["dsi"].sel(cell_type=name)) < 0.2


def test_threshold_is_where_the_amplitude_starts_to_rise():
    amplitude = xr.DataArray(
        [[1.0, 2.0], [1.0, 2.0], [3.0, 2.0]],
        dims=("s", "cell_type"),
        coords={"s": [0.5, 1.0, 1.5], "cell_type": ["rises", "flat"]},
    )
    threshold = response_threshold(amplitude)
    assert threshold.sel(cell_type="rises") == 1.5
    assert np.isnan(threshold.sel(cell_type="flat"))


def test_summary_has_one_row_per_type_and_a_sentence_per_critical_type(trained):
    circuit = trained
    spec = circuit.spec
    scan = lesion_scan(circuit, evaluation_set(spec, alphas=[3.0], n=60))
    tuning = direction_selectivity(circuit, speeds=(1.0, 2.0), n_permutations=100)
    assert set(tuning["layer"].values) == {"bipolar", "amacrine", "ganglion"}
    expected = {"vector_dsi", "vector_dsi_p_value", "preferred_speed", "fraction_ds_units"}
    assert expected <= set(tuning)
    table = cell_type_summary(
        tuning,
        amplitude_by_s(circuit, s_values=[0.3, 0.6], n=4),
        scan,
    )
    assert list(table.index) == list(scan["cell_type"].values)
    assert {"dsi", "preferred_direction_deg", "threshold_s", "critical_for"} <= set(table)
    lines = sentences(table, scan.attrs["intact_accuracy"])
    assert len(lines) == int(table["critical"].sum()) >= 1
    assert all(
        name in line for name, line in zip(table.index[table["critical"]], lines, strict=True)
    )
