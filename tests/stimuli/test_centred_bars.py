"""Bars centred on screen positions and sparse noise: the same bits as the direction
protocol's former private renderers (copied here), and what they draw."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from retinasim.stimuli import CentredBars, MovingBars, SparseNoise


def old_centred_bars(height, width, *, directions_deg, centres_xy, half_paths, speed,
                     bar_width, frames, contrast=1.0, background=0.0):  # fmt: skip
    """``retinasim.analysis.direction.render_centred_bars`` before it became a stimulus kind."""
    n = len(directions_deg)
    radians = torch.deg2rad(torch.as_tensor(directions_deg, dtype=torch.float64))
    centre = torch.as_tensor(np.asarray(centres_xy, dtype=np.float64).reshape(n, 2))
    x = torch.arange(width, dtype=torch.float64)[None, None, :] - centre[:, 0, None, None]
    y = torch.arange(height, dtype=torch.float64)[None, :, None] - centre[:, 1, None, None]
    distance = x * torch.cos(radians)[:, None, None] - y * torch.sin(radians)[:, None, None]
    start = -torch.as_tensor(half_paths, dtype=torch.float64)[:, None]
    position = start + speed * torch.arange(frames, dtype=torch.float64)[None, :]
    distance = distance[:, None].to(torch.float32)
    position = position[:, :, None, None].to(torch.float32)
    covered = torch.minimum(distance + 0.5, position + bar_width / 2)
    covered -= torch.maximum(distance - 0.5, position - bar_width / 2)
    video = covered.clamp_(0.0, 1.0).mul_(contrast).add_(background).clamp_(0.0, 1.0)
    return video[:, None]


def old_sparse_noise(height, width, *, frames, videos, square, density, background, contrast,
                     seed):  # fmt: skip
    """``retinasim.analysis.direction.sparse_noise`` before it became a stimulus kind."""
    rng = np.random.default_rng(seed)
    gy, gx = math.ceil(height / square), math.ceil(width / square)
    level = {k: min(max(background + k * abs(contrast), 0.0), 1.0) for k in (1, -1)}
    signs = [k for k in (1, -1) if level[k] != background]
    draw = rng.random((videos, frames, gy, gx))
    stimulus = np.zeros(draw.shape, dtype=np.int8)
    for n, k in enumerate(signs):
        stimulus[(draw >= n * density / len(signs)) & (draw < (n + 1) * density / len(signs))] = k
    big = np.repeat(np.repeat(stimulus, square, axis=2), square, axis=3)[:, :, :height, :width]
    video = np.full(big.shape, background, dtype=np.float32)
    for k in signs:
        video[big == k] = level[k]
    return torch.from_numpy(video)[:, None], stimulus


CASES = [  # sites (x, y), half paths, speed, width, contrast, background, frames, size
    ([(8.0, 12.0)], [6.0], 1.0, 1.0, 1.0, 0.0, 13, (21, 21)),
    ([(127.0, 127.0), (40.0, 200.0)], [31.0, 17.0], 2.0, 10.0, 1.0, 0.0, 38, (255, 255)),
    ([(10.0, 7.0), (3.0, 20.0)], [9.0, 12.5], 0.5, 4.0, -0.4, 0.6, 50, (32, 24)),
    ([(15.5, 15.0)], [13.0], 3.0, 2.7, 0.3, 0.2, 12, (32, 32)),
]


@pytest.mark.parametrize(("sites", "halves", "speed", "width", "contrast", "background",
                          "frames", "size"), CASES)  # fmt: skip
def test_centred_bars_render_the_bits_of_the_former_protocol_renderer(
    sites, halves, speed, width, contrast, background, frames, size
):
    directions = np.arange(8) * 45.0
    bars = CentredBars(
        height=size[0],
        width=size[1],
        frames=frames,
        directions_deg=tuple(directions),
        centres_xy=tuple(sites),
        half_paths=tuple(halves),
        speeds=(speed,),
        widths=(width,),
        contrasts=(contrast,),
        background_luminance=background,
    )
    batch = bars.generate(range(bars.n_conditions), seed=0)
    expected = old_centred_bars(
        *size,
        directions_deg=np.tile(directions, len(sites)),
        centres_xy=np.repeat(np.asarray(sites), len(directions), axis=0),
        half_paths=np.repeat(halves, len(directions)),
        speed=speed,
        bar_width=width,
        frames=frames,
        contrast=contrast,
        background=background,
    )
    assert torch.equal(batch.video, expected)
    assert list(batch.metadata["site"]) == [k for k in range(len(sites)) for _ in directions]
    assert np.array_equal(batch.metadata["direction_deg"], np.tile(directions, len(sites)))


def test_centred_bars_cross_the_given_position():
    bars = CentredBars(height=21, width=21, frames=13, directions_deg=(0.0, 90.0),
                       centres_xy=((8.0, 12.0),), half_paths=(6.0,), widths=(1.0,))  # fmt: skip
    video = bars.generate(range(2), seed=0).video[:, 0]
    # rightward: on column 8 - 6 at frame 0, on column 8 at frame 6, on 8 + 6 at frame 12
    for frame, column in ((0, 2), (6, 8), (12, 14)):
        assert video[0, frame, :, column].min() == 1.0 and video[0, frame].sum() == 21.0
    # upward (90°): rows decrease, on row 12 at frame 6
    for frame, row in ((0, 18), (6, 12), (12, 6)):
        assert video[1, frame, row].min() == 1.0 and video[1, frame].sum() == 21.0


def test_centred_bars_by_default_are_moving_bars_through_the_screen_centre():
    common = dict(height=24, width=30, frames=9, speeds=(1.5, 2.0), widths=(3.0,))
    centred = CentredBars(**common).generate(range(16), seed=0)
    moving = MovingBars(**common).generate(range(16), seed=0)

    # MovingBars varies the direction slowest, CentredBars fastest: pair them by condition
    def key(batch):
        return list(zip(batch.metadata["direction_deg"], batch.metadata["speed"], strict=True))

    pairs = [key(moving).index(condition) for condition in key(centred)]
    assert sorted(pairs) == list(range(16))
    assert torch.allclose(centred.video, moving.video[pairs], atol=1e-5, rtol=0)


@pytest.mark.parametrize(("background", "contrast"), [(0.0, 1.0), (0.5, 0.3), (1.0, 0.8)])
def test_sparse_noise_draws_the_numbers_of_the_former_protocol_noise(background, contrast):
    options = dict(square=5, density=0.25, background=background, contrast=contrast, seed=7)
    expected, squares = old_sparse_noise(33, 41, frames=6, videos=3, **options)
    noise = SparseNoise(
        height=33,
        width=41,
        frames=6,
        square=5,
        density=0.25,
        contrast=contrast,
        background_luminance=background,
    )
    assert torch.equal(noise.generate(range(3), seed=7).video, expected)
    assert np.array_equal(noise.squares(range(3), seed=7), squares)
    # stimulus 2 alone: the third block of draws, whatever else is rendered
    assert torch.equal(noise.generate([2], seed=7).video, expected[2:])
