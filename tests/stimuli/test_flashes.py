"""Full-field flashes and steps: levels and timing."""

from __future__ import annotations

import numpy as np
import torch

from retinasim.stimuli import Flashes


def test_flash_timing_levels_and_steps():
    flashes = Flashes(
        height=4,
        width=6,
        frames=20,
        levels=(1.0, 0.0),
        durations_frames=(3, 50),
        onset_frame=5,
        background_luminance=0.5,
    )
    batch = flashes.generate_range(0, 4, seed=0)
    traces = batch.video[:, 0].mean(dim=(2, 3))
    expected_flash = torch.full((20,), 0.5)
    expected_flash[5:8] = 1.0
    torch.testing.assert_close(traces[0], expected_flash)
    expected_step = torch.full((20,), 0.5)
    expected_step[5:] = 0.0
    torch.testing.assert_close(traces[3], expected_step)
    assert torch.equal(batch.video[0], batch.video[0, :, :, :1, :1].expand(1, 20, 4, 6))
    meta = batch.metadata
    np.testing.assert_array_equal(meta["is_step"], [False, True, False, True])
    np.testing.assert_array_equal(meta["offset_frame"], [8, 20, 8, 20])
    np.testing.assert_allclose(meta["contrast"], [0.5, 0.5, -0.5, -0.5])
