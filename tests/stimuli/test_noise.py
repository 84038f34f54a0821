"""White noise: distributions, stixels, frame holds, independence, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from retinasim.stimuli import WhiteNoise


def test_binary_noise_is_two_levels_in_stixels_held_over_frames():
    noise = WhiteNoise(height=30, width=44, frames=9, pixel_size=4, frame_hold=3)
    batch = noise.generate([0, 1], seed=3)
    video = batch.video[:, 0]
    assert set(video.unique().tolist()) == {0.0, 1.0}
    assert noise.noise_shape == (3, 8, 11)
    stixels = noise.stixels([0, 1], seed=3)
    assert stixels.shape == (2, 3, 8, 11)
    expanded = stixels.repeat_interleave(3, 1).repeat_interleave(4, 2).repeat_interleave(4, 3)
    torch.testing.assert_close(video, (0.5 + 0.5 * expanded)[:, :9, :30, :44])
    assert torch.equal(video[:, 0], video[:, 2]) and not torch.equal(video[:, 2], video[:, 3])
    assert not torch.equal(video[0], video[1])


def test_noise_statistics_and_independence():
    noise = WhiteNoise(height=64, width=64, frames=20, pixel_size=1)
    values = noise.stixels(range(4), seed=1).double()
    count = values.numel()
    assert float(values.mean()) == pytest.approx(0.0, abs=4 / math.sqrt(count))
    flat = values.numpy()
    limit = 4 / math.sqrt(count)
    assert abs(np.corrcoef(flat[..., 1:].ravel(), flat[..., :-1].ravel())[0, 1]) < limit
    assert abs(np.corrcoef(flat[:, 1:].ravel(), flat[:, :-1].ravel())[0, 1]) < limit
    assert abs(np.corrcoef(flat[1:].ravel(), flat[:-1].ravel())[0, 1]) < limit


def test_gaussian_noise_has_the_requested_contrast():
    noise = WhiteNoise(
        height=64,
        width=64,
        frames=10,
        pixel_size=1,
        distribution="gaussian",
        contrast=0.2,
        mean_luminance=0.5,
    )
    video = noise.generate([0, 1], seed=2).video.double()
    assert float(video.mean()) == pytest.approx(0.5, abs=0.003)
    assert float(video.std()) == pytest.approx(0.1, rel=0.02)
    default = WhiteNoise(distribution="gaussian")
    assert default.rms_contrast == pytest.approx(1 / 3)
    batch = default.generate([0], seed=0)
    assert float(batch.video.min()) >= 0.0 and float(batch.video.max()) <= 1.0
    assert batch.metadata["contrast"][0] == pytest.approx(1 / 3)
