"""Leak-free by construction: at alpha = 1 nothing in the pixels predicts the fast side.

Two checks: the construction itself (at alpha = 1 the video is bit-identical whichever side is
labelled fast), and an honest decoder (logistic regression on simple video statistics) that sits
at chance on held-out stimuli at alpha = 1 while the same statistics decode alpha = 2 easily.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from retinasim.stimuli import MovingDots
from retinasim.testing import held_out_accuracy
from tests.stimuli.motion import horizontal_shift_peaks

LAG = 16
GEOMETRY = {"height": 48, "width": 96, "frames": 33, "mean_dots_in_view": 10.0}


def video_statistics(videos: torch.Tensor) -> torch.Tensor:
    """Simple statistics of ``(batch, frames, height, width)`` videos, each a candidate leak.

    Luminance (total, left and right halves, first vs last frames, spread over frames and
    columns), dot-count proxies (the heights of the two motion peaks), per-direction speeds
    from tracking, and per-direction motion energy (spatiotemporal Fourier power moving left
    vs right). Returns float64 ``(batch, 14)``.
    """
    frames = videos.float()
    half = frames.shape[-1] // 2
    left_shift, right_shift, left_height, right_height = horizontal_shift_peaks(
        videos, LAG, upsample=4
    )
    centred = frames - frames.mean(dim=(1, 2, 3), keepdim=True)
    power = torch.fft.fftn(centred, dim=(1, 3)).abs().square().sum(2)  # (batch, ω, kx)
    temporal = torch.fft.fftfreq(frames.shape[1])[:, None]
    spatial = torch.fft.fftfreq(frames.shape[3])[None, :]
    rightward = torch.log((power * (temporal * spatial < 0)).sum(dim=(1, 2)))  # ω kx < 0
    leftward = torch.log((power * (temporal * spatial > 0)).sum(dim=(1, 2)))
    return torch.stack(
        [
            frames.mean(dim=(1, 2, 3)),
            frames[..., :half].mean(dim=(1, 2, 3)),
            frames[..., half:].mean(dim=(1, 2, 3)),
            frames[:, -4:].mean(dim=(1, 2, 3)) - frames[:, :4].mean(dim=(1, 2, 3)),
            frames.mean(dim=(2, 3)).std(dim=1),
            frames.mean(dim=(1, 2)).std(dim=1),
            left_shift / LAG,
            right_shift / LAG,
            left_height,
            right_height,
            rightward,
            leftward,
            (right_shift - left_shift) / LAG,
            rightward - leftward,
        ],
        dim=1,
    )


def statistics_and_labels(
    alpha: float, seed: int, count: int, geometry: dict = GEOMETRY
) -> tuple[np.ndarray, np.ndarray]:
    task = MovingDots(**geometry, alpha=alpha)
    rows, labels = [], []
    for start in range(0, count, 50):
        batch = task.generate_range(start, 50, seed=seed)
        rows.append(video_statistics(batch.video[:, 0]).double().numpy())
        labels.append(batch.labels.numpy())
    return np.concatenate(rows), np.concatenate(labels)


def test_at_alpha_one_the_video_does_not_depend_on_the_fast_side():
    left = MovingDots(**GEOMETRY, alpha=1.0, fast_direction="left").generate(range(20), seed=4)
    right = MovingDots(**GEOMETRY, alpha=1.0, fast_direction="right").generate(range(20), seed=4)
    assert torch.equal(left.video, right.video)
    assert (left.labels != right.labels).all()


def test_dot_counts_do_not_depend_on_the_fast_side():
    task = MovingDots()
    meta = task.metadata(task.layout(torch.arange(3000), seed=8))
    fast_right = meta["fast_direction"] == "right"
    imbalance = (meta["n_dots_right"] - meta["n_dots_left"]).astype(float)
    correlation = np.corrcoef(imbalance, fast_right)[0, 1]
    assert abs(correlation) < 3 / math.sqrt(3000)


def test_a_decoder_of_video_statistics_is_at_chance_at_alpha_one_and_not_at_two():
    train, test = 400, 600
    features, labels = statistics_and_labels(1.0, seed=31, count=train + test)
    chance_accuracy = held_out_accuracy(features, labels, train)
    assert abs(chance_accuracy - 0.5) < 3 * math.sqrt(0.25 / test), chance_accuracy

    features, labels = statistics_and_labels(2.0, seed=32, count=train + test)
    assert held_out_accuracy(features, labels, train) > 0.9
