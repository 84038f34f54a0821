"""The moving-dots task: determinism, the paper's statistics measured from pixels, speeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from retinasim.stimuli import MovingDots
from tests.stimuli.motion import horizontal_shift_peaks

SMALL = {"height": 32, "width": 48, "frames": 8, "mean_dots_in_view": 4.0}


def test_defaults_are_the_papers():
    task = MovingDots()
    assert (task.height, task.width, task.frames) == (255, 255, 51)
    assert task.mean_dots_in_view == pytest.approx(16.67)
    assert task.s_range == (0.5, 1.5) and task.alpha == 2.0 and task.dot_radius == 5.0
    assert task.scene.scene_width == 765  # the authors' 3x scene
    batch = task.generate([0, 1], seed=0)
    assert batch.video.shape == (2, 1, 51, 255, 255)
    assert batch.video.dtype == torch.float32
    assert batch.classes == ("left", "right")
    assert batch.attrs["frame_rate_hz"] == 30.0
    assert float(batch.video.min()) == 0.0 and float(batch.video.max()) == 1.0


def test_same_seed_and_index_give_identical_bits():
    task = MovingDots(**SMALL)
    first = task.generate(range(6), seed=11)
    second = task.generate(range(6), seed=11)
    assert torch.equal(first.video, second.video)
    assert torch.equal(first.labels, second.labels)
    for name in first.metadata:
        np.testing.assert_array_equal(first.metadata[name], second.metadata[name])


def test_different_index_or_seed_gives_a_different_video():
    task = MovingDots(**SMALL)
    videos = task.generate(range(4), seed=3).video
    for a in range(4):
        for b in range(a + 1, 4):
            assert not torch.equal(videos[a], videos[b])
    assert not torch.equal(videos[0], task.generate([0], seed=4).video[0])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=6), st.integers(0, 2**40))
def test_stimulus_is_the_same_alone_or_in_any_batch(indices, seed):
    task = MovingDots(**SMALL)
    together = task.generate(indices, seed=seed)
    reversed_batch = task.generate(indices[::-1], seed=seed)
    for position, index in enumerate(indices):
        alone = task.generate([index], seed=seed)
        assert torch.equal(together.video[position], alone.video[0])
        assert torch.equal(reversed_batch.video[len(indices) - 1 - position], alone.video[0])
        assert together.metadata["s"][position] == alone.metadata["s"][0]


def test_metadata_and_labels_describe_each_trial():
    batch = MovingDots(**SMALL, alpha=1.7).generate(range(40), seed=5)
    meta = batch.metadata
    assert set(meta) >= {
        "s",
        "fast_speed",
        "alpha",
        "fast_direction",
        "slow_direction",
        "n_dots_left",
        "n_dots_right",
        "seed",
        "index",
        "speed_left",
        "speed_right",
    }
    np.testing.assert_array_equal(meta["index"], np.arange(40))
    np.testing.assert_allclose(meta["fast_speed"], 1.7 * meta["s"])
    fast_right = meta["fast_direction"] == "right"
    np.testing.assert_array_equal(meta["slow_direction"], np.where(fast_right, "left", "right"))
    np.testing.assert_allclose(
        np.where(fast_right, meta["speed_right"], meta["speed_left"]), meta["fast_speed"]
    )
    np.testing.assert_array_equal(batch.labels.numpy(), fast_right.astype(int))
    assert [batch.classes[label] for label in batch.labels] == list(meta["fast_direction"])


def test_fixed_s_and_fast_direction_are_honoured():
    meta = MovingDots(**SMALL, s=0.8, fast_direction="left").generate(range(10), seed=0).metadata
    assert set(meta["fast_direction"]) == {"left"}
    np.testing.assert_array_equal(meta["s"], 0.8)
    np.testing.assert_allclose(meta["speed_left"], 1.6)


def test_fast_direction_s_and_dot_directions_follow_the_specification():
    task = MovingDots()
    meta = task.metadata(task.layout(torch.arange(4000), seed=21))
    right = np.mean(meta["fast_direction"] == "right")
    assert abs(right - 0.5) < 3 * math.sqrt(0.25 / 4000)
    s = np.sort(meta["s"])  # Kolmogorov–Smirnov distance to U(0.5, 1.5)
    empirical = np.arange(1, len(s) + 1) / len(s)
    assert np.max(np.abs(empirical - (s - 0.5))) < 1.95 / math.sqrt(len(s))
    left_dots, right_dots = meta["n_dots_left"].sum(), meta["n_dots_right"].sum()
    total = left_dots + right_dots
    assert abs(left_dots / total - 0.5) < 3 * math.sqrt(0.25 / total)
    # dots in view (centres inside the frame, mean over frames): 16.67 on average
    in_view = meta["dots_in_view"]
    assert abs(in_view.mean() - 16.67) < 3 * in_view.std() / math.sqrt(len(in_view))


def test_dots_in_view_measured_from_full_resolution_pixels():
    """Mean dots in view from the pixels of 96 full-size stimuli: 16.67 within sampling error.

    The covered fraction p of a Poisson field of discs of area A at density λ is 1 - exp(-λA),
    so the number of dots in view is -ln(1 - p) H W / A, edges and overlaps included.
    """
    task = MovingDots()
    area = math.pi * task.dot_radius**2
    estimates, drifts, counted = [], [], []
    for start in range(0, 96, 16):
        batch = task.generate_range(start, 16, seed=7)
        counted.append(batch.metadata["dots_in_view"])
        video = batch.video[:, 0].double()
        covered = video.mean(dim=(2, 3))  # (batch, frames)
        dots = -torch.log1p(-covered) * task.height * task.width / area
        estimates.append(dots.mean(dim=1))
        drifts.append(dots[:, -10:].mean(1) - dots[:, :10].mean(1))
    per_stimulus = torch.cat(estimates).numpy()
    error = per_stimulus.std() / math.sqrt(len(per_stimulus))
    assert abs(per_stimulus.mean() - 16.67) < 3 * error + 0.2, per_stimulus.mean()
    in_view = np.concatenate(counted)  # the metadata counts agree with the pixels
    assert np.corrcoef(per_stimulus, in_view)[0, 1] > 0.98
    assert np.mean(np.abs(per_stimulus / in_view - 1)) < 0.05
    drift = torch.cat(drifts).numpy()  # dots neither pile up nor drain away over time
    assert abs(drift.mean()) < 3 * drift.std() / math.sqrt(len(drift)) + 0.1


@pytest.mark.parametrize("alpha, s", [(2.0, None), (2.0, 0.5), (1.3, 1.5)])
def test_speeds_measured_by_tracking_match_s_and_alpha_s(alpha, s):
    task = MovingDots(height=64, width=192, frames=41, alpha=alpha, s=s)
    batch = task.generate(range(5), seed=9)
    lag = 30
    left, right, _, _ = horizontal_shift_peaks(batch.video[:, 0], lag)
    np.testing.assert_allclose(left / lag, batch.metadata["speed_left"], atol=0.02)
    np.testing.assert_allclose(right / lag, batch.metadata["speed_right"], atol=0.02)
    faster = np.where(right > left, "right", "left")
    np.testing.assert_array_equal(faster, batch.metadata["fast_direction"])


def test_slow_sub_pixel_motion_is_visible_in_every_frame():
    video = MovingDots(**SMALL, s=0.5, alpha=1.0).generate([0], seed=1).video[0, 0]
    assert all(not torch.equal(video[t], video[t + 1]) for t in range(video.shape[0] - 1))
    values = video.unique()
    assert len(values) > 20  # anti-aliased edges, not 0/1 pixels


def test_luminance_and_dtype_options():
    batch = MovingDots(**SMALL, dot_luminance=0.2, background_luminance=0.6).generate(
        [0], seed=0, dtype=torch.float64
    )
    assert batch.video.dtype == torch.float64
    assert float(batch.video.max()) == pytest.approx(0.6)
    assert float(batch.video.min()) == pytest.approx(0.2)
