"""Drifting gratings drift in the stated direction at the stated speed (from the frames)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from retinasim.stimuli import Gratings
from tests.stimuli.motion import grating_drift

DIRECTIONS = (0.0, 30.0, 90.0, 135.0, 200.0, 270.0, 315.0)


def angle_difference(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.mark.parametrize("waveform", ["sine", "square"])
def test_gratings_drift_in_the_stated_direction_at_the_stated_speed(waveform):
    gratings = Gratings(
        height=64,
        width=64,
        frames=20,
        waveform=waveform,
        directions_deg=DIRECTIONS,
        spatial_frequencies=(1 / 20,),
        temporal_frequencies_hz=(1.5, 2.4),
    )
    batch = gratings.generate_range(0, gratings.n_conditions, seed=0)
    for trial in range(len(batch)):
        direction, speed = grating_drift(batch.video[trial, 0])
        assert angle_difference(direction, batch.metadata["direction_deg"][trial]) < 0.5
        assert speed == pytest.approx(batch.metadata["speed"][trial], rel=0.03)
    np.testing.assert_allclose(batch.metadata["speed"][:2], [1.5 / 30 * 20, 2.4 / 30 * 20])


def test_luminance_range_mean_and_waveforms():
    sine = Gratings(
        height=40,
        width=80,
        frames=4,
        directions_deg=(0.0,),
        contrast=0.5,
        mean_luminance=0.4,
        spatial_frequencies=(0.05,),
    )
    video = sine.generate([0], seed=0).video
    assert float(video.min()) == pytest.approx(0.2, abs=1e-4)
    assert float(video.max()) == pytest.approx(0.6, abs=1e-4)
    assert float(video.mean()) == pytest.approx(0.4, abs=1e-4)
    square = Gratings(
        height=8,
        width=80,
        frames=2,
        directions_deg=(0.0,),
        waveform="square",
        spatial_frequencies=(0.05,),
        temporal_frequencies_hz=(0.0,),
    )
    values = square.generate([0], seed=0).video
    distance_to_black_or_white = torch.minimum(values, 1 - values)
    assert float(distance_to_black_or_white.max()) < 1e-5  # edges fall on pixel boundaries here


def test_static_grating_and_random_phase():
    static = Gratings(height=16, width=16, frames=5, temporal_frequencies_hz=(0.0,))
    video = static.generate([0], seed=0).video[0, 0]
    assert all(torch.equal(video[0], frame) for frame in video)
    randomised = Gratings(height=16, width=16, frames=2, directions_deg=(0.0,), random_phase=True)
    batch = randomised.generate([0, 1, 2], seed=4)
    phases = batch.metadata["phase_deg"]
    assert len(set(phases)) == 3 and all(0 <= phase < 360 for phase in phases)
    assert torch.equal(batch.video[1], randomised.generate([1], seed=4).video[0])
    assert not torch.equal(batch.video[0], batch.video[1])
