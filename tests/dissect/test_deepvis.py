"""Deep visualization: it raises the target's response, and recovers a detector's direction."""

from __future__ import annotations

import groundtruth
import pytest
import torch

from retinasim.dissect import (
    DissectionError,
    maximise_activation,
    structure_velocity,
    xt_slice,
)
from retinasim.dissect.moving_pattern import maximise_moving_pattern, translate


def test_optimised_video_raises_the_target_response(trained):
    circuit = trained
    result = maximise_activation(circuit, layer="ganglion", cell_type=0, iterations=15)
    assert result.attrs["final_activation"] > result.attrs["initial_activation"]
    assert result["video"].dims == ("time", "y", "x")
    assert float(result["video"].min()) >= 0
    assert float(result["video"].max()) <= 1
    assert list(result["decoder"]["class"].values) == ["left", "right"]


def test_decoder_output_can_be_maximised(trained):
    circuit = trained
    result = maximise_activation(circuit, layer="readout", cell_type="right", iterations=10)
    assert result["decoder"].sel({"class": "right"}) > result["decoder"].sel({"class": "left"})


def test_unknown_targets_are_refused(trained):
    circuit = trained
    with pytest.raises(DissectionError, match="unknown layer"):
        maximise_activation(circuit, layer="horizontal", cell_type=0)
    with pytest.raises(DissectionError, match="decoder output"):
        maximise_activation(circuit, layer="readout", cell_type="up")


def test_translate_moves_content_by_velocity_times_frames_and_ends_unshifted():
    pattern = torch.zeros(2, 3, 20)
    pattern[:, :, 10] = 1.0
    video = translate(pattern, torch.tensor([2.0, -0.5]), frames=5)  # (2, 1, 5, 3, 20)
    assert video.shape == (2, 1, 5, 3, 20)
    torch.testing.assert_close(video[:, 0, -1], pattern)
    assert int(video[0, 0, 0, 0].argmax()) == 10 - 2 * 4  # 8 pixels left, 4 frames earlier
    assert int(video[0, 0, 3, 0].argmax()) == 10 - 2
    half = video[1, 0, 3, 0]  # -0.5 px/frame, 1 frame before the end: half a pixel right
    torch.testing.assert_close(half[10:12], torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(
        video.sum((3, 4)), pattern.sum((1, 2))[:, None, None].expand(2, 1, 5)
    )


@pytest.mark.parametrize(("wiring", "sign"), [("rightward", 1), ("leftward", -1)])
def test_free_and_moving_optima_move_in_the_detectors_preferred_direction(wiring, sign):
    circuit = groundtruth.reichardt(wiring)
    for seed in (0, 1):  # the detector compares inputs 2 pixels and 2 frames apart
        result = maximise_activation(
            circuit, layer="ganglion", cell_type="detector", iterations=40, seed=seed
        )
        assert result.attrs["final_activation"] > result.attrs["initial_activation"]
        velocity = structure_velocity(xt_slice(result))
        assert velocity == pytest.approx(sign * 1.0, abs=0.2)
        moving = maximise_moving_pattern(
            circuit, layer="ganglion", cell_type="detector", iterations=10, seed=seed
        )
        assert moving.attrs["preferred_velocity"] == sign * 1.0
        response = moving["response"]
        assert float(response.sel(velocity=sign)) > 1.3 * float(response.sel(velocity=-sign))
        assert (moving["response"] >= moving["initial_response"] - 1e-6).all()
        assert moving["xt"].dims == ("time", "x")
        assert list(moving["decoder"]["class"].values) == ["left", "right"]
