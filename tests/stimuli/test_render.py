"""Disc rendering: exact coverage stamps, sub-pixel motion, edges, overlaps, culling."""

from __future__ import annotations

import math

import pytest
import torch

from retinasim.stimuli.render import PHASES, HorizontalScene, disc_stamps, stamp_shape


def render(scene: HorizontalScene, window_x, rows, present) -> torch.Tensor:
    zeros = torch.zeros(window_x.shape[0], 1, window_x.shape[2], scene.height, scene.width)
    return scene.render(zeros, window_x, rows, present)


def one_dot_video(x0: float, velocity: float, row: int, *, frames=12, height=24, width=40):
    scene = HorizontalScene(height, width, scene_width=3.0 * width, offset=float(width), radius=5.0)
    window_x = scene.window_x(
        torch.tensor([[x0 + width]], dtype=torch.float64),
        torch.tensor([[velocity]], dtype=torch.float64),
        frames,
    )
    present = torch.ones(1, 1, dtype=torch.bool)
    return render(scene, window_x, torch.tensor([[row]]), present)[0, 0]


@pytest.mark.parametrize("radius", [0.7, 2.0, 3.3, 5.0, 8.5])
def test_every_stamp_covers_the_disc_area(radius):
    stamps = disc_stamps(radius, torch.float64, torch.device("cpu"))
    rows, columns = stamp_shape(radius)
    assert stamps.shape == (PHASES, rows * columns)
    assert float(stamps.min()) >= 0 and float(stamps.max()) <= 1
    sums = stamps.sum(1)
    assert float(sums.max() - sums.min()) < 1e-9  # luminance does not depend on the phase
    assert float(sums[0]) == pytest.approx(math.pi * radius**2, rel=1e-3)


def test_a_dot_moves_by_its_sub_pixel_speed_every_frame():
    video = one_dot_video(x0=10.3, velocity=0.5, row=12).double()
    columns = torch.arange(video.shape[-1], dtype=torch.float64) + 0.5
    centroid = (video.sum(1) * columns).sum(1) / video.sum((1, 2))
    torch.testing.assert_close(
        centroid[1:] - centroid[:-1], torch.full((11,), 0.5, dtype=torch.float64), atol=0.01, rtol=0
    )
    assert float(centroid[0]) == pytest.approx(10.3, abs=0.01)
    luminance = video.sum((1, 2))
    torch.testing.assert_close(
        luminance, torch.full_like(luminance, math.pi * 25), rtol=2e-4, atol=0
    )
    rows = torch.arange(video.shape[1], dtype=torch.float64) + 0.5
    assert float((video.sum(2) * rows).sum(1)[0] / luminance[0]) == pytest.approx(12.5)


def test_dots_are_cut_by_the_frame_edges_and_culled_outside():
    edge = one_dot_video(x0=-2.0, velocity=0.0, row=-1)
    assert 0 < float(edge[0].sum()) < math.pi * 25 / 2
    assert float(one_dot_video(x0=-5.5, velocity=0.0, row=12).sum()) == 0.0
    assert float(one_dot_video(x0=45.6, velocity=0.0, row=12).sum()) == 0.0
    entering = one_dot_video(x0=-8.0, velocity=2.0, row=12, frames=8)
    assert float(entering[0].sum()) == 0.0 and float(entering[-1].sum()) > 70


def test_overlapping_dots_stay_within_luminance_one_and_order_free():
    scene = HorizontalScene(20, 30, scene_width=90.0, offset=30.0, radius=5.0)
    x = torch.tensor([[45.0, 46.3, 44.1]], dtype=torch.float64)
    window_x = scene.window_x(x, torch.zeros_like(x), 2)
    rows = torch.tensor([[10, 11, 9]])
    present = torch.ones(1, 3, dtype=torch.bool)
    video = render(scene, window_x, rows, present)
    assert float(video.max()) == 1.0
    flipped = render(scene, window_x.flip(1), rows.flip(1), present)
    assert torch.equal(video, flipped)
