"""The Baden et al. (2016) chirp: its sweeps, steps and timing, errors, the CLI and ``record``."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
import torch
import xarray as xr
from helpers import TINY_CIRCUIT
from PIL import Image, ImageSequence

from retinasim.cli import main
from retinasim.errors import StimulusError
from retinasim.stimuli import Chirp
from retinasim.stimuli.builtin import CHIRP_SEGMENTS

FAST = 240.0  # a frame rate at which a zero crossing is placed to a fraction of a millisecond


def _segment(chirp: Chirp, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(t, luminance)`` of one segment: seconds since its start, and its frames' values."""
    start, stop = chirp.segment_frames[name]
    return np.arange(stop - start) / chirp.frame_rate_hz, chirp.luminance()[start:stop]


def _zero_crossings(t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Times at which ``values`` changes sign, linearly interpolated between frames."""
    k = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)
    return t[k] - values[k] * (t[k + 1] - t[k]) / (values[k + 1] - values[k])


@pytest.mark.parametrize(
    "rate, f0, f1, tolerance", [(FAST, 0.5, 8.0, 0.01), (30.0, 1.0, 6.0, 0.05)]
)
def test_the_frequency_sweep_rises_linearly_from_f0_to_f1(rate, f0, f1, tolerance):
    chirp = Chirp(height=1, width=1, frame_rate_hz=rate, f0_hz=f0, f1_hz=f1)
    t, values = _segment(chirp, "frequency_sweep")
    crossings = _zero_crossings(t, values - chirp.mean_luminance)
    measured = 1 / (2 * np.diff(crossings))  # one half-period between crossings
    midpoints = (crossings[1:] + crossings[:-1]) / 2
    expected = f0 + (f1 - f0) * midpoints / chirp.frequency_sweep_s
    assert len(measured) > 2 * (f0 + f1) / 2 * chirp.frequency_sweep_s * 0.9
    assert np.max(np.abs(measured / expected - 1)) < tolerance
    slope, intercept = np.polyfit(midpoints, measured, 1)
    assert slope == pytest.approx((f1 - f0) / chirp.frequency_sweep_s, rel=tolerance / 2)
    assert intercept == pytest.approx(f0, abs=tolerance)
    # full contrast throughout: the peaks reach 0 and 1 (mean 0.5, contrast 1)
    assert values.max() == pytest.approx(1.0, abs=1e-3) and values.min() < 0.02


def test_steps_levels_and_segment_timing_follow_the_parameters():
    durations = {"dark_s": 0.5, "on_s": 1.0, "off_s": 0.7, "mean_pre_s": 0.4}
    chirp = Chirp(
        height=3, width=5, mean_luminance=0.4, contrast=0.75, frame_rate_hz=20.0, **durations
    )
    trace = chirp.luminance()
    bounds = chirp.segment_frames
    assert list(bounds) == list(CHIRP_SEGMENTS)
    assert bounds["dark"] == (0, 10) and bounds["on"] == (10, 30) and bounds["off"] == (30, 44)
    assert bounds["mean_pre"] == (44, 52) and bounds["frequency_sweep"] == (52, 212)
    assert bounds["dark_end"][1] == chirp.frames == round(20.0 * (2.6 + 8 + 2 + 8 + 2 + 3))
    levels = {"dark": 0.1, "on": 0.7, "off": 0.1, "mean_pre": 0.4, "mean_mid": 0.4}
    levels |= {"mean_post": 0.4, "dark_end": 0.1}
    for name, level in levels.items():
        start, stop = bounds[name]
        assert np.allclose(trace[start:stop], level, atol=1e-12), name
    batch = chirp.generate([0, 7], seed=3)
    assert batch.video.shape == (2, 1, chirp.frames, 3, 5)
    assert torch.equal(batch.video[0], batch.video[1])  # deterministic: one stimulus
    expected = torch.as_tensor(trace, dtype=torch.float32)[None, :, None, None].expand(1, -1, 3, 5)
    assert torch.equal(batch.video[0], expected)
    assert list(batch.metadata["on_start_frame"]) == [10, 10]
    assert list(batch.metadata["contrast_sweep_start_frame"]) == [bounds["contrast_sweep"][0]] * 2


def test_the_contrast_sweep_envelope_rises_linearly_from_zero():
    chirp = Chirp(height=1, width=1, frame_rate_hz=FAST, contrast=0.8)
    t, values = _segment(chirp, "contrast_sweep")
    deviation = values - chirp.mean_luminance
    cycle = round(FAST / chirp.contrast_sweep_hz)  # frames per cycle of the carrier
    n = len(t) // cycle
    carrier = np.sin(2 * np.pi * chirp.contrast_sweep_hz * t[: n * cycle]).reshape(n, cycle)
    # each cycle's amplitude: the deviation projected onto the carrier (least squares)
    amplitude = (deviation[: n * cycle].reshape(n, cycle) * carrier).sum(1) / (carrier**2).sum(1)
    middle = t[: n * cycle].reshape(n, cycle).mean(axis=1)
    slope, intercept = np.polyfit(middle, amplitude, 1)
    assert slope == pytest.approx(0.5 * 0.8 / 8.0, rel=1e-3) and abs(intercept) < 1e-3
    assert np.allclose(amplitude, slope * middle + intercept, atol=1e-4)  # a straight line
    assert abs(deviation[0]) < 1e-12  # from 0 ...
    assert np.abs(deviation).max() == pytest.approx(0.4 * 7.875 / 8)  # last peak: 7.875 s


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"on_s": -1.0}, "on_s = -1.0: Input should be greater than or equal to 0"),
        ({"f0_hz": 4.0, "f1_hz": 2.0}, "f1_hz = 2.0 must be >= f0_hz = 4.0"),
        ({"contrast": 1.2}, "contrast = 1.2: Input should be less than or equal to 1"),
        ({"f1_hz": 12.0, "frame_rate_hz": 20.0}, "f1_hz = 12.0: frequencies must be below"),
    ],
)
def test_invalid_parameters_are_one_clear_error(parameters, message):
    with pytest.raises(StimulusError) as raised:
        Chirp(**parameters)
    text = str(raised.value)
    assert text.startswith("invalid chirp parameters: ") and message in text and "\n" not in text


def test_frames_always_follow_the_durations():
    assert Chirp().frames == 990  # 33 s at 30 Hz
    assert Chirp(frames=51).frames == 990  # what `record` passes: the circuit's input length
    assert Chirp(frame_rate_hz=60.0, dark_end_s=0.0).frames == 60 * 30
    assert Chirp.model_validate(Chirp().model_dump()) == Chirp()


def test_the_cli_writes_a_gif_of_the_whole_chirp(tmp_path, capsys):
    out = tmp_path / "c.gif"
    assert main(["stimulus", "chirp", "--height", "4", "--width", "6", "--out", str(out)]) == 0
    assert "frequency_sweep_start_frame=300" in capsys.readouterr().out
    gif = iio.imread(out, index=None)  # (the writer merges runs of identical frames)
    assert gif.shape[1:3] == (4, 6) and len(gif) > 300
    grey = gif[..., 0] if gif.ndim == 4 else gif
    assert grey[0].max() < 15 and grey.max(axis=(1, 2)).max() > 240  # dark first; the ON step
    with Image.open(out) as image:  # every frame shown: 990 frames of 30 ms (GIF's 10 ms steps)
        shown = 0
        for frame in ImageSequence.Iterator(image):
            shown += frame.info["duration"]
    assert shown == 990 * 30
    assert (tmp_path / "c.png").is_file()


def test_record_runs_a_circuit_on_the_whole_chirp(tmp_path, capsys):
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)  # trained on 8 frames
    out = tmp_path / "chirp.nc"
    shorter = ["dark_s=0.5", "on_s=0.5", "off_s=0.5", "frequency_sweep_s=2", "contrast_sweep_s=2"]
    sets = [item for value in shorter for item in ("--set", value)]
    arguments = ["record", str(circuit), "--stimulus", "chirp", *sets]
    assert main([*arguments, "--probe", "ganglion:centre", "--n", "1", "--out", str(out)]) == 0
    frames = Chirp(**{k: float(v) for k, v in (s.split("=") for s in shorter)}).frames
    with xr.open_datatree(out) as saved:
        activity = saved["ganglion/ganglion_centre"]
        assert activity.sizes["frame"] == frames == 435  # 14.5 s at 30 Hz
        assert int(saved["frequency_sweep_start_frame"][0]) == 105
        assert saved.attrs["stimulus_kind"] == "chirp" and saved.attrs["stimulus_frames"] == frames
        assert np.isfinite(activity.values).all()
