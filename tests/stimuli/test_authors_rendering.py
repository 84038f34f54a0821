"""``MovingDots(rendering="authors")``: the authors' generator, checked from the pixels."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from retinasim.errors import StimulusError
from retinasim.stimuli import MovingDots
from retinasim.stimuli.render import BoundedScene, binary_disc_offsets
from retinasim.testing import held_out_accuracy
from tests.stimuli.test_leakage import statistics_and_labels

SMALL = {"height": 64, "width": 96, "frames": 12, "rendering": "authors"}


def zeros(scene: BoundedScene, column: torch.Tensor) -> torch.Tensor:
    """A blank video for the dots ``column`` (batch, dots, frames) in ``scene``'s window."""
    return torch.zeros(column.shape[0], 1, column.shape[2], scene.height, scene.width)


def whole_scene(task: MovingDots, index: int, seed: int, frame: int) -> torch.Tensor:
    """The rendered frame of the *whole* 3x scene: the same layout seen through a window as
    large as the scene (the renderer draws whatever window it is given)."""
    layout = task.layout([index], seed)
    scene = task.bounded_scene
    full = BoundedScene(
        height=scene.scene_height,
        width=scene.scene_width,
        scene_height=scene.scene_height,
        scene_width=scene.scene_width,
        radius=scene.radius,
    )
    column, alive = full.track(layout.scene_x, layout.velocity, task.frames)
    video = full.render(zeros(full, column), column, layout.row + scene.row_offset, alive)
    return video[0, 0, frame]


def count_discs(image: torch.Tensor, radius: float) -> int:
    """Number of pixels whose whole disc of ``radius`` is lit (every dot centre is one)."""
    dy, dx = binary_disc_offsets(radius)
    lit = image > 0.5
    reach = int(radius)
    padded = torch.nn.functional.pad(lit.float(), (reach, reach, reach, reach))
    full = torch.ones_like(lit, dtype=torch.bool)
    for y, x in zip(dy.tolist(), dx.tolist(), strict=True):
        shifted = padded[reach + y : reach + y + lit.shape[0], reach + x : reach + x + lit.shape[1]]
        full &= shifted > 0.5
    return int(full.sum())


def test_exactly_150_dots_in_the_scene_at_frame_zero_75_each_way() -> None:
    task = MovingDots(rendering="authors")
    layout = task.layout(range(6), seed=3)
    assert layout.scene_x.shape == (6, 150) and bool(layout.present.all())
    assert (layout.moves_right.sum(1) == 75).all()
    for k in range(6):  # positions without replacement on each axis
        assert len(set(layout.scene_x[k].tolist())) == 150
        assert len(set(layout.row[k].tolist())) == 150
    assert float(layout.scene_x.min()) >= 0 and float(layout.scene_x.max()) < 765
    assert (layout.scene_x == layout.scene_x.floor()).all()
    scene = task.bounded_scene
    assert (scene.scene_height, scene.scene_width, scene.row_offset) == (765, 765, 255)
    # From the pixels of the whole scene, against a plain loop over the 150 dots.
    image = whole_scene(task, 0, 3, 0).numpy()
    expected = np.zeros((765, 765))
    centres = list(
        zip(
            (layout.row[0] + scene.row_offset).tolist(),
            layout.scene_x[0].long().tolist(),
            strict=True,
        )
    )
    for r, c in centres:
        for y in range(r - 5, r + 6):
            for x in range(c - 5, c + 6):
                if (y - r) ** 2 + (x - c) ** 2 <= 25 and 0 <= y < 765 and 0 <= x < 765:
                    expected[y, x] = 1
    np.testing.assert_array_equal(image, expected)
    full = count_discs(torch.from_numpy(image), 5.0)
    lit = torch.from_numpy(image) > 0.5
    assert all(lit[r, c] for r, c in centres) and full >= sum(
        5 <= r < 760 and 5 <= c < 760 for r, c in centres
    )
    meta = task.generate([0], seed=3).metadata
    assert meta["n_dots_left"][0] == meta["n_dots_right"][0] == 75


def test_pixels_are_binary_and_dots_are_the_radius_5_disc() -> None:
    dy, dx = binary_disc_offsets(5.0)
    assert len(dy) == 81  # integer points with dx² + dy² <= 25
    assert set(zip(dy.tolist(), dx.tolist(), strict=True)) == {
        (y, x) for y in range(-5, 6) for x in range(-5, 6) if x * x + y * y <= 25
    }
    batch = MovingDots(rendering="authors").generate(range(3), seed=1)
    assert set(batch.video.unique().tolist()) == {0.0, 1.0}
    # One dot alone: its pixels are exactly the disc around its floored centre.
    scene = BoundedScene(height=40, width=40, scene_height=120, scene_width=120, radius=5.0)
    column, alive = scene.track(
        torch.tensor([[57.0]], dtype=torch.float64), torch.tensor([[0.0]], dtype=torch.float64), 1
    )
    video = scene.render(zeros(scene, column), column, torch.tensor([[20]]), alive)[0, 0, 0]
    rows, columns = video.nonzero(as_tuple=True)
    assert len(rows) == 81
    assert set(zip((rows - 20).tolist(), (columns - 17).tolist(), strict=True)) == set(
        zip(dy.tolist(), dx.tolist(), strict=True)
    )


def test_a_dot_moves_by_the_floor_of_its_position() -> None:
    scene = BoundedScene(height=20, width=60, scene_height=60, scene_width=180, radius=2.0)
    speed = 0.7
    column, alive = scene.track(
        torch.tensor([[90.0]], dtype=torch.float64), torch.tensor([[speed]], dtype=torch.float64), 8
    )
    video = scene.render(zeros(scene, column), column, torch.tensor([[10]]), alive)[0, 0]
    centres = [float(video[t, 10].nonzero().double().mean()) for t in range(8)]
    expected = [math.floor(90 + speed * t) - 60 for t in range(8)]
    assert centres == expected  # 30, 30, 31, 32, 32, 33, 34, 34: whole pixels, floored
    left, _ = scene.track(
        torch.tensor([[90.0]], dtype=torch.float64),
        torch.tensor([[-speed]], dtype=torch.float64),
        3,
    )
    assert left[0, 0].tolist() == [30, 29, 28]  # floor(89.3) = 89, floor(88.6) = 88


def test_dots_that_leave_the_scene_do_not_come_back() -> None:
    scene = BoundedScene(height=10, width=10, scene_height=30, scene_width=30, radius=1.0)
    _, alive = scene.track(
        torch.tensor([[28.0, 1.0]], dtype=torch.float64),
        torch.tensor([[1.5, -0.6]], dtype=torch.float64),
        6,
    )
    assert alive[0, 0].tolist() == [True, True, False, False, False, False]  # 28, 29.5, 31
    assert alive[0, 1].tolist() == [True, True, False, False, False, False]  # 1, 0.4, -0.2
    # In whole stimuli: the number of dots left in the scene never grows.
    task = MovingDots(rendering="authors", alpha=4.0, s=1.5)
    layout = task.layout(range(4), seed=2)
    _, alive = task.bounded_scene.track(layout.scene_x, layout.velocity, task.frames)
    counts = alive.sum(1)
    assert (counts[:, 1:] <= counts[:, :-1]).all() and (counts[:, -1] < 150).all()
    assert ((alive[..., 1:].int() - alive[..., :-1].int()) <= 0).all()


def test_the_video_is_the_central_window() -> None:
    task = MovingDots(rendering="authors", s=1.0, alpha=2.0)
    video = task.generate([5], seed=9).video[0, 0]
    for frame in (0, 30):
        scene = whole_scene(task, 5, 9, frame)
        assert torch.equal(video[frame], scene[255:510, 255:510])


def test_same_stimulus_alone_in_any_batch_or_order() -> None:
    task = MovingDots(**SMALL)
    indices = [4, 0, 17, 4, 2**40]
    together = task.generate(indices, seed=12)
    backwards = task.generate(indices[::-1], seed=12)
    for position, index in enumerate(indices):
        alone = task.generate([index], seed=12)
        assert torch.equal(together.video[position], alone.video[0])
        assert torch.equal(backwards.video[len(indices) - 1 - position], alone.video[0])
        assert together.labels[position] == alone.labels[0]
    assert not torch.equal(together.video[0], together.video[1])


def test_the_same_speeds_and_labels_as_the_default_rendering() -> None:
    authors = MovingDots(rendering="authors").generate(range(8), seed=4)
    default = MovingDots().generate(range(8), seed=4)
    assert torch.equal(authors.labels, default.labels)
    np.testing.assert_array_equal(authors.metadata["s"], default.metadata["s"])
    assert not torch.equal(authors.video, default.video)


def test_the_fast_population_moves_at_alpha_s_the_other_at_s() -> None:
    task = MovingDots(rendering="authors", alpha=2.5)
    layout = task.layout(range(20), seed=6)
    right = layout.fast_is_right
    torch.testing.assert_close(
        torch.where(right, layout.speed_right, layout.speed_left), 2.5 * layout.s
    )
    torch.testing.assert_close(torch.where(right, layout.speed_left, layout.speed_right), layout.s)


def test_at_alpha_one_the_video_does_not_depend_on_the_fast_side() -> None:
    left = MovingDots(**SMALL, alpha=1.0, fast_direction="left").generate(range(10), seed=4)
    right = MovingDots(**SMALL, alpha=1.0, fast_direction="right").generate(range(10), seed=4)
    assert torch.equal(left.video, right.video)
    assert (left.labels != right.labels).all()


def test_a_decoder_of_video_statistics_is_at_chance_at_alpha_one_and_not_at_two() -> None:
    geometry = {"height": 64, "width": 96, "frames": 33, "rendering": "authors"}
    train, test = 400, 600
    chance = held_out_accuracy(*statistics_and_labels(1.0, 41, train + test, geometry), train)
    assert abs(chance - 0.5) < 3 * math.sqrt(0.25 / test), chance
    features, labels = statistics_and_labels(2.0, 42, train + test, geometry)
    assert held_out_accuracy(features, labels, train) > 0.9


def test_settable_from_a_circuit_training_section_and_checked() -> None:
    from retinasim.spec import load_circuit

    text = (
        Path("circuits/murray2021.yaml")
        .read_text()
        .replace("stimulus: {alpha: 2.0}", "stimulus: {alpha: 2.0, rendering: authors}")
    )
    spec = load_circuit("<test>", text=text)
    from retinasim.task import task_generator

    assert task_generator(spec).rendering == "authors"
    bad = text.replace("rendering: authors", "rendering: pixelated")
    with pytest.raises(Exception, match="rendering"):
        load_circuit("<test>", text=bad)
    with pytest.raises(StimulusError, match="mean_dots_in_view do not apply"):
        MovingDots(rendering="authors", mean_dots_in_view=10.0)
    with pytest.raises(StimulusError, match="at least 50"):
        MovingDots(rendering="authors", height=40, width=40)
