"""Parameter validation of every generator and of ``generate``'s arguments: clear errors."""

from __future__ import annotations

import math

import pytest
import torch

from retinasim.errors import RetinasimError, StimulusError
from retinasim.plugins import generator_class, generator_from_parameters
from retinasim.stimuli import (
    STIMULI,
    CentredBars,
    Chirp,
    Flashes,
    Gratings,
    MovingBars,
    MovingDots,
    SparseNoise,
    StimulusGenerator,
    WhiteNoise,
)
from retinasim.testing import check_stimulus_kind, check_task

# (generator, bad parameters, text the message must contain)
BAD_PARAMETERS = [
    (MovingDots, {"height": 0}, "height = 0"),
    (MovingDots, {"width": -3}, "width = -3"),
    (MovingDots, {"frames": 0}, "frames = 0"),
    (MovingDots, {"frames": 2.5}, "frames = 2.5"),
    (MovingDots, {"frame_rate_hz": 0}, "frame_rate_hz = 0"),
    (MovingDots, {"mean_dots_in_view": 0}, "mean_dots_in_view = 0"),
    (MovingDots, {"mean_dots_in_view": -1.0}, "mean_dots_in_view"),
    (MovingDots, {"dot_radius": 0}, "dot_radius = 0"),
    (MovingDots, {"dot_radius": -2.0}, "dot_radius"),
    (MovingDots, {"dot_radius": 200.0}, "must fit"),
    (MovingDots, {"s_range": (-0.5, 1.0)}, "s_range"),
    (MovingDots, {"s_range": (1.5, 0.5)}, "low <= high"),
    (MovingDots, {"s_range": (1.0,)}, "s_range"),
    (MovingDots, {"s": -1.0}, "s = -1.0"),
    (MovingDots, {"alpha": -0.5}, "alpha = -0.5"),
    (MovingDots, {"alpha": math.inf}, "alpha"),
    (MovingDots, {"alpha": math.nan}, "alpha"),
    (MovingDots, {"fast_direction": "up"}, "fast_direction = 'up'"),
    (MovingDots, {"scene_width": 260}, "scene_width = 260 must be at least"),
    (MovingDots, {"dot_luminance": 1.5}, "dot_luminance"),
    (MovingDots, {"background_luminance": -0.1}, "background_luminance"),
    (MovingDots, {"dot_luminance": 0.0}, "invisible"),
    (MovingDots, {"radius": 3}, "did you mean 'dot_radius'?"),
    (MovingDots, {"fast_dir": "left"}, "did you mean 'fast_direction'?"),
    (MovingDots, {"rendering": "smooth"}, "rendering = 'smooth'"),
    (MovingBars, {"directions_deg": ()}, "at least one"),
    (MovingBars, {"speeds": (0.0,)}, "speeds must all be > 0"),
    (MovingBars, {"speeds": (1.0, -2.0)}, "speeds must all be > 0"),
    (MovingBars, {"widths": (0.0,)}, "widths must all be > 0"),
    (MovingBars, {"contrasts": (0.0,)}, "must differ from the background"),
    (MovingBars, {"contrasts": (1.5,)}, "lie in [0, 1]"),
    (MovingBars, {"background_luminance": 0.5, "contrasts": (0.7,)}, "bar luminance 1.2"),
    (MovingBars, {"background_luminance": 2.0}, "background_luminance"),
    (MovingBars, {"speed": (1.0,)}, "did you mean 'speeds'?"),
    (Gratings, {"spatial_frequencies": (0.0,)}, "(0, 0.5]"),
    (Gratings, {"spatial_frequencies": (0.6,)}, "(0, 0.5]"),
    (Gratings, {"temporal_frequencies_hz": (-1.0,)}, ">= 0 Hz"),
    (Gratings, {"temporal_frequencies_hz": (15.0,)}, "below frame_rate_hz / 2"),
    (Gratings, {"directions_deg": ()}, "at least one"),
    (Gratings, {"contrast": 1.5}, "contrast = 1.5"),
    (Gratings, {"mean_luminance": 0.7}, "exceeds luminance 1"),
    (Gratings, {"mean_luminance": 0.0}, "mean_luminance = 0.0"),
    (Gratings, {"waveform": "triangle"}, "waveform = 'triangle'"),
    (Flashes, {"levels": (1.5,)}, "levels must lie in [0, 1]"),
    (Flashes, {"levels": ()}, "at least one"),
    (Flashes, {"durations_frames": (0,)}, "durations must be >= 1"),
    (Flashes, {"onset_frame": -1}, "onset_frame = -1"),
    (Flashes, {"onset_frame": 51}, "onset_frame 51 must come before"),
    (Flashes, {"background_luminance": 1.2}, "background_luminance"),
    (WhiteNoise, {"distribution": "pink"}, "distribution = 'pink'"),
    (WhiteNoise, {"pixel_size": 0}, "pixel_size = 0"),
    (WhiteNoise, {"frame_hold": 0}, "frame_hold = 0"),
    (WhiteNoise, {"contrast": 0.0}, "contrast = 0.0"),
    (WhiteNoise, {"contrast": 1.2}, "exceeds luminance 1"),
    (WhiteNoise, {"mean_luminance": 0.7}, "exceeds luminance 1"),
    (WhiteNoise, {"mean_luminance": 1.0}, "mean_luminance = 1.0"),
    (CentredBars, {"directions_deg": ()}, "at least one"),
    (CentredBars, {"centres_xy": ((1.0,),)}, "centres_xy"),
    (CentredBars, {"half_paths": (-1.0,)}, "half_paths must all be >= 0"),
    (CentredBars, {"half_paths": (1.0, 2.0)}, "one per centre"),
    (CentredBars, {"speeds": (0.0,)}, "speeds must all be > 0"),
    (CentredBars, {"widths": (-1.0,)}, "widths must all be > 0"),
    (CentredBars, {"contrasts": (0.0,)}, "must differ from the background"),
    (CentredBars, {"background_luminance": 0.5, "contrasts": (0.7,)}, "bar luminance 1.2"),
    (CentredBars, {"background_luminance": -0.5}, "background_luminance"),
    (SparseNoise, {"square": 0}, "square = 0"),
    (SparseNoise, {"density": 0.0}, "density = 0.0"),
    (SparseNoise, {"density": 1.5}, "density = 1.5"),
    (SparseNoise, {"contrast": 0.0}, "no visible square"),
    (SparseNoise, {"background_luminance": 1.5}, "background_luminance"),
    *[
        (Chirp, {f"{segment}_s": -1.0}, f"{segment}_s = -1.0")
        for segment in ("dark", "on", "off", "mean_pre", "frequency_sweep", "mean_mid")
    ],
    *[
        (Chirp, {f"{segment}_s": -0.5}, f"{segment}_s = -0.5")
        for segment in ("contrast_sweep", "mean_post", "dark_end")
    ],
    (Chirp, {"f0_hz": -1.0}, "f0_hz = -1.0"),
    (Chirp, {"f1_hz": 0.25}, "f1_hz = 0.25 must be >= f0_hz = 0.5"),
    (Chirp, {"f1_hz": 15.0}, "below frame_rate_hz / 2 = 15.0 Hz"),
    (Chirp, {"contrast_sweep_hz": 0.0}, "contrast_sweep_hz = 0.0"),
    (Chirp, {"contrast": 1.5}, "contrast = 1.5"),
    (Chirp, {"mean_luminance": 0.7}, "exceeds luminance 1"),
    (Chirp, {"dark_s": 1e9}, "need 1 to 100000 frames"),
]


@pytest.mark.parametrize(
    "generator, parameters, message",
    BAD_PARAMETERS,
    ids=[f"{g.kind}-{'-'.join(p)}" for g, p, _ in BAD_PARAMETERS],
)
def test_bad_parameters_raise_one_clear_stimulus_error(generator, parameters, message):
    with pytest.raises(StimulusError) as raised:
        generator(**parameters)
    text = str(raised.value)
    assert message in text
    assert "\n" not in text and text.startswith(f"invalid {generator.kind} parameters")
    assert isinstance(raised.value, RetinasimError)


@pytest.mark.parametrize("kind", sorted(STIMULI))
def test_every_builtin_kind_keeps_the_plugin_contract(kind: str) -> None:
    bad = [parameters for generator, parameters, _ in BAD_PARAMETERS if generator.kind == kind]
    drawn = kind in ("moving_dots", "white_noise", "sparse_noise")  # the others: grids
    varies = kind != "chirp"  # one stimulus
    check_stimulus_kind(kind, bad_parameters=bad, package="retinasim", random=drawn, varies=varies)


def test_the_dots_keep_the_task_contract() -> None:
    check_task("moving_dots", {"mean_dots_in_view": 4.0, "dot_radius": 2.0})


def test_every_parameter_of_every_generator_has_a_rejected_value():
    covered = {(generator.kind, name) for generator, bad, _ in BAD_PARAMETERS for name in bad}
    rejectable_everywhere = {"height", "width", "frames", "frame_rate_hz"}
    for kind, generator in STIMULI.items():
        for name in generator.model_fields:
            if name in rejectable_everywhere or name in ("phase_deg", "random_phase"):
                continue  # base fields tested on moving_dots; any phase or flag is valid
            assert (kind, name) in covered, f"no bad-value test for {kind}.{name}"


def test_model_validate_raises_stimulus_error_too():
    assert MovingDots.model_validate({"alpha": 1.5}) == MovingDots(alpha=1.5)
    with pytest.raises(StimulusError, match="alpha = -1"):
        MovingDots.model_validate({"alpha": -1})


def test_generators_are_frozen():
    task = MovingDots()
    with pytest.raises(Exception, match="frozen"):
        task.alpha = 3.0


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"indices": [0], "seed": -1}, "0 <= seed < 2**63"),
        ({"indices": [0], "seed": 2**63}, "0 <= seed < 2**63"),
        ({"indices": [0], "seed": 1.5}, "seed must be an integer"),
        ({"indices": [0], "seed": True}, "seed must be an integer"),
        ({"indices": [], "seed": 0}, "non-empty 1-D"),
        ({"indices": [[0, 1]], "seed": 0}, "non-empty 1-D"),
        ({"indices": [-1], "seed": 0}, "0 <= index"),
        ({"indices": [0.5], "seed": 0}, "must be integers"),
        ({"indices": 5, "seed": 0}, "use [5] for one stimulus"),
        ({"indices": [0], "seed": 0, "dtype": torch.int64}, "floating-point"),
        ({"indices": [0], "seed": 0, "device": "plasma"}, "unknown device"),
    ],
)
def test_bad_generate_arguments_raise_stimulus_error(arguments, message):
    task = MovingDots(height=16, width=32, frames=4)
    with pytest.raises(StimulusError, match=message.replace("[", r"\[").replace("*", r"\*")):
        task.generate(**arguments)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(StimulusError, match="CUDA is not available"):
        MovingDots(height=16, width=32, frames=4).generate([0], seed=0, device="cuda")


def test_generate_range_and_indices_as_tensors():
    task = MovingDots(height=16, width=32, frames=4)
    by_range = task.generate_range(3, 4, seed=2)
    by_tensor = task.generate(torch.arange(3, 7), seed=2)
    assert torch.equal(by_range.video, by_tensor.video)
    with pytest.raises(StimulusError, match="count >= 1"):
        task.generate_range(0, 0, seed=2)


def test_registry_finds_every_kind_and_suggests_near_misses():
    assert set(STIMULI) == {
        "moving_dots",
        "moving_bars",
        "gratings",
        "flashes",
        "white_noise",
        "centred_bars",
        "sparse_noise",
        "chirp",
    }
    assert all(issubclass(cls, StimulusGenerator) for cls in STIMULI.values())
    assert generator_class("gratings") is Gratings
    with pytest.raises(StimulusError, match="did you mean 'moving_bars'"):
        generator_class("moving_bar")
    generator = generator_from_parameters("white_noise", {"pixel_size": 4})
    assert generator == WhiteNoise(pixel_size=4)


def test_attrs_record_kind_frame_rate_units_and_parameters():
    attrs = Gratings(frame_rate_hz=60.0).attrs(seed=3)
    assert attrs["kind"] == "gratings" and attrs["frame_rate_hz"] == 60.0 and attrs["seed"] == 3
    assert attrs["units"]["speed"] == "pixels/frame"
    assert "0 = rightward" in attrs["direction_convention"]
    assert Gratings(**attrs["parameters"]) == Gratings(frame_rate_hz=60.0)


@pytest.mark.parametrize("generator", [MovingDots, Gratings])
def test_rendering_into_out_reuses_the_buffer(generator):
    task = generator(height=16, width=32, frames=4)
    fresh = task.generate([3, 1], seed=2)
    buffer = torch.full((2, 1, 4, 16, 32), 7.0)
    reused = task.generate([3, 1], seed=2, out=buffer)
    assert reused.video.data_ptr() == buffer.data_ptr()
    assert torch.equal(reused.video, fresh.video)


@pytest.mark.parametrize(
    "buffer, message",
    [
        (torch.zeros(2, 1, 4, 16, 32), "shape"),
        (torch.zeros(1, 1, 4, 16, 32, dtype=torch.float64), "float32"),
        (torch.zeros(1, 1, 4, 32, 16).transpose(3, 4), "not contiguous"),
        ("buffer", "must be a tensor"),
    ],
)
def test_bad_out_buffers_are_rejected(buffer, message):
    with pytest.raises(StimulusError, match=message):
        MovingDots(height=16, width=32, frames=4).generate([0], seed=0, out=buffer)
