"""Moving bars move in the stated direction at the stated speed, measured from the frames."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from retinasim.stimuli import MovingBars
from tests.stimuli.motion import aperture_centroid_velocity

DIRECTIONS = (0.0, 30.0, 90.0, 135.0, 200.0, 270.0, 315.0)


def angle_difference(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def test_bars_move_in_the_stated_direction_at_the_stated_speed():
    bars = MovingBars(height=96, width=96, frames=41, directions_deg=DIRECTIONS, speeds=(1.5, 0.6))
    batch = bars.generate_range(0, bars.n_conditions, seed=0)
    for trial in range(len(batch)):
        direction, speed = aperture_centroid_velocity(batch.video[trial, 0])
        assert angle_difference(direction, batch.metadata["direction_deg"][trial]) < 1.0
        assert speed == pytest.approx(batch.metadata["speed"][trial], rel=0.02)


def test_rightward_bar_moves_toward_higher_columns_and_upward_toward_row_zero():
    bars = MovingBars(height=40, width=40, frames=21, directions_deg=(0.0, 90.0), speeds=(1.0,))
    video = bars.generate([0, 1], seed=0).video[:, 0]
    columns = torch.arange(40.0)
    right_first = (video[0, 0].sum(0) * columns).sum() / video[0, 0].sum()
    right_last = (video[0, -1].sum(0) * columns).sum() / video[0, -1].sum()
    assert right_last - right_first == pytest.approx(20.0, abs=0.1)
    up_first = (video[1, 0].sum(1) * columns).sum() / video[1, 0].sum()
    up_last = (video[1, -1].sum(1) * columns).sum() / video[1, -1].sum()
    assert up_first - up_last == pytest.approx(20.0, abs=0.1)


def test_width_contrast_and_crossing_time():
    bars = MovingBars(
        height=32,
        width=64,
        frames=11,
        directions_deg=(0.0,),
        speeds=(2.0,),
        widths=(6.5,),
        contrasts=(-0.4,),
        background_luminance=0.5,
    )
    video = bars.generate([0], seed=0).video[0, 0]
    middle = video[5]  # the bar's centre crosses the frame centre at the middle frame
    darkening = (0.5 - middle[16]) / 0.4
    assert float(darkening.sum()) == pytest.approx(6.5, abs=1e-5)
    columns = torch.arange(64.0) + 0.5
    assert float((darkening * columns).sum() / darkening.sum()) == pytest.approx(32.0, abs=1e-4)
    assert float(video.min()) == pytest.approx(0.1) and float(video.max()) == pytest.approx(0.5)


def test_conditions_grid_repeats_and_metadata():
    bars = MovingBars(
        directions_deg=(0.0, 90.0), speeds=(1.0, 2.0, 3.0), height=8, width=8, frames=2
    )
    assert bars.n_conditions == 6
    meta = bars.generate_range(0, 12, seed=5).metadata
    np.testing.assert_array_equal(meta["condition"], np.arange(12) % 6)
    np.testing.assert_array_equal(meta["repeat"], np.arange(12) // 6)
    np.testing.assert_array_equal(meta["direction_deg"][:6], [0, 0, 0, 90, 90, 90])
    np.testing.assert_array_equal(meta["speed"][:6], [1, 2, 3, 1, 2, 3])
    first, again = bars.generate([1], seed=5), bars.generate([7], seed=99)
    assert torch.equal(first.video, again.video)  # deterministic: condition only
