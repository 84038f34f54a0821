"""The single-unit direction-selectivity protocol on circuits with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from groundtruth import reichardt

from retinasim.analysis import direction_protocol
from retinasim.analysis.direction import render_centred_bars, stratified_permutation_p
from retinasim.recording import AnalysisError

# the detector compares inputs 2 pixels and 2 frames apart: it is tuned to 1 pixel/frame
SETTINGS = dict(
    speeds=(1.0, 2.0), widths=(1.0, 2.0), grid_speed=1.0, grid_width=1.0, n_permutations=500
)


def protocol(wiring: str, **options):
    return direction_protocol(reichardt(wiring), layers=["ganglion"], **SETTINGS | options).sel(
        cell_type="detector"
    )


@pytest.mark.parametrize(("wiring", "cosine"), [("rightward", 1.0), ("leftward", -1.0)])
def test_reichardt_detector_is_direction_selective_in_its_wired_direction(wiring, cosine):
    result = protocol(wiring)
    assert float(result.dsi) == pytest.approx(1.0, abs=1e-6)  # the null direction: nothing
    assert float(result.vector_dsi) > 0.7
    angle = float(result.preferred_direction_deg)
    assert np.cos(np.deg2rad(angle)) == pytest.approx(cosine, abs=0.02)
    assert float(result.vector_dsi_p_value) < 0.01
    assert float(result.preferred_speed) == 1.0
    # every valid sampled unit agrees (the circuit is convolutional)
    valid = result.unit_valid.values
    assert valid.sum() >= 4
    assert float(result.median_unit_dsi) == pytest.approx(1.0, abs=1e-6)
    assert float(result.fraction_ds_units) == 1.0
    preferred = result.unit_preferred_direction_deg.values[valid]
    assert (np.cos(np.deg2rad(preferred)) * cosine > 0.9).all()
    # the receptive field found from the unit itself: centre unit (7, 6) sees columns 6-8
    assert float(result.rf_x) == pytest.approx(7.0, abs=1.0)
    assert float(result.rf_y) == pytest.approx(7.0, abs=1.0)
    assert result.dsi.attrs["units"] == "1" and result.preferred_speed.attrs["units"]


def test_symmetric_wiring_is_not_direction_selective():
    result = protocol("symmetric")
    assert (result.tuning > 0).any()  # it responds ...
    assert float(result.dsi) < 0.1 and float(result.vector_dsi) < 0.1  # ... in both senses
    assert float(result.vector_dsi_p_value) > 0.2
    assert float(result.fraction_ds_units) == 0.0


def test_sampled_units_follow_their_positions():
    result = protocol("rightward")
    valid = result.unit_valid.values
    # unit (row, column) of the 1 x 3 detector sits over input column + 1
    assert np.allclose(result.unit_rf_x.values[valid], result.unit_column.values[valid] + 1, atol=1)
    assert np.allclose(result.unit_rf_y.values[valid], result.unit_row.values[valid], atol=1)


def test_full_and_cross_sweeps_agree_at_the_shared_conditions():
    cross = protocol("rightward", n_permutations=0)
    full = protocol("rightward", n_permutations=0, sweep="full")
    assert np.isnan(cross.tuning.sel(speed=2.0, width=2.0)).all()
    assert np.isfinite(full.tuning).all()
    np.testing.assert_allclose(
        cross.tuning.sel(speed=1.0).values, full.tuning.sel(speed=1.0).values
    )


def test_centred_bars_cross_the_given_position():
    video = render_centred_bars(
        21,
        21,
        directions_deg=[0.0, 90.0],
        centres_xy=[(8.0, 12.0)] * 2,
        half_paths=[6.0] * 2,
        speed=1.0,
        bar_width=1.0,
        frames=13,
    )[:, 0]
    # rightward: on column 8 - 6 at frame 0, on column 8 at frame 6, on 8 + 6 at frame 12
    for frame, column in ((0, 2), (6, 8), (12, 14)):
        assert video[0, frame, :, column].min() == 1.0 and video[0, frame].sum() == 21.0
    # upward (90°): rows decrease, on row 12 at frame 6
    for frame, row in ((0, 18), (6, 12), (12, 6)):
        assert video[1, frame, row].min() == 1.0 and video[1, frame].sum() == 21.0


def test_permutation_p_of_a_consistent_preference_is_small_and_of_a_flat_one_large():
    directions = np.arange(8) * 45.0
    consistent = np.zeros((1, 4, 8))
    consistent[0, :, 0] = 1.0 + np.arange(4)
    flat = np.ones((1, 4, 8))
    p = stratified_permutation_p(consistent, directions, n_permutations=300, seed=0)
    q = stratified_permutation_p(flat, directions, n_permutations=300, seed=0)
    assert p[0] < 0.01 and q[0] > 0.5


def test_bad_settings_are_refused():
    circuit = reichardt("rightward")
    with pytest.raises(AnalysisError, match="even"):
        direction_protocol(circuit, n_directions=5)
    with pytest.raises(AnalysisError, match="cross sweep"):
        direction_protocol(circuit, speeds=(1.0,), widths=(1.0,), grid_speed=2.0)
    assert torch.is_grad_enabled()


def test_maps_narrower_than_the_sample_are_clipped_not_an_error():
    from retinasim.analysis.direction import _grid_indices

    assert _grid_indices(12, 3) == [3, 6, 9] and _grid_indices(50, 3) == [13, 25, 37]
    assert _grid_indices(1, 3) == [0, 0, 0] and _grid_indices(2, 3) == [0, 1, 1]
