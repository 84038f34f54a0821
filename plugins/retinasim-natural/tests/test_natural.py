"""The natural tasks (natural_motion, natural_drift): the stimulus-kind and task contracts
(retinasim.testing), validation, the motion in the videos, leaks, training."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import xarray as xr
from retinasim_natural import CIRCUIT, DRIFT_CIRCUIT
from retinasim_natural.motion import NaturalDrift, NaturalMotion
from retinasim_natural.textures import drift

from retinasim import plugins
from retinasim.errors import SpecError, StimulusError
from retinasim.spec import load_circuit
from retinasim.testing import (
    check_stimulus_kind,
    check_task,
    held_out_accuracy,
    run_python,
    small_circuit_text,
)

SMALL = {"height": 32, "width": 48, "frames": 12, "texture_size": 64}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("texture", ["images", "pink_noise"])
@pytest.mark.parametrize("task", [NaturalMotion, NaturalDrift])
def test_the_tasks_keep_the_contracts(task: type, texture: str) -> None:
    check_stimulus_kind(task, {**SMALL, "texture": texture}, package="retinasim-natural")
    check_task(task, {"texture_size": 64, "texture": texture})
    assert plugins.tasks()[task.kind].classes == ("left", "right")


def test_the_shipped_circuits_validate_without_torch_or_scikit_image() -> None:
    code = (
        "import sys\n"
        "from retinasim.spec import load_circuit\n"
        "from retinasim_natural import CIRCUIT, DRIFT_CIRCUIT\n"
        "spec = load_circuit(CIRCUIT)\n"
        "assert spec.training.task == 'natural_motion', spec.training.task\n"
        "spec = load_circuit(DRIFT_CIRCUIT)\n"
        "assert spec.training.task == 'natural_drift', spec.training.task\n"
        "print('torch' in sys.modules, 'skimage' in sys.modules)\n"
    )
    assert run_python(code).strip() == "False False"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"images": ("camera", "mona_lisa")}, "unknown images ['mona_lisa']"),
        ({"images": ()}, "at least one photograph"),
        ({"s_range": (1.5, 0.5)}, "low <= high"),
        ({"alpha": -1}, "alpha = -1"),
        ({"texture": "clouds"}, "texture = 'clouds'"),
        ({"contrast": 0}, "contrast = 0"),
        ({"spectral_exponent": 4}, "spectral_exponent = 4"),
        ({"speed": 2}, "unknown parameter 'speed'"),
    ],
)
def test_bad_parameters_are_one_clear_error(parameters, message) -> None:
    with pytest.raises(StimulusError) as raised:
        NaturalMotion(**parameters)
    assert message in str(raised.value)


def test_the_drift_task_has_no_speed_ratio() -> None:
    with pytest.raises(StimulusError, match="unknown parameter 'alpha'"):
        NaturalDrift(alpha=2.0)
    with pytest.raises(StimulusError, match="direction = 'up'"):
        NaturalDrift(direction="up")


def test_bad_parameters_in_a_circuit_are_placed_at_their_line() -> None:
    text = CIRCUIT.read_text().replace("alpha: 2.0}", "alpha: 2.0, images: [camra]}")
    with pytest.raises(
        SpecError, match=r"training\.stimulus\.images: .*unknown images \['camra'\]"
    ):
        load_circuit("natural.yaml", text=text)


@pytest.mark.parametrize("texture", ["images", "pink_noise"])
def test_videos_average_mid_grey_and_the_label_is_the_fast_side(texture: str) -> None:
    batch = NaturalMotion(**SMALL, texture=texture).generate(range(6), seed=5)
    assert abs(float(batch.video.mean()) - 0.5) < 0.05
    labels = batch.labels.numpy()
    assert list(labels) == [int(d == "right") for d in batch.metadata["fast_direction"]]


def test_the_bands_move_at_their_speeds_in_their_directions() -> None:
    task = NaturalMotion(**SMALL, s=1.0, alpha=2.0)
    batch = task.generate(range(8), seed=2)
    for k in range(8):
        meta = {name: values[k] for name, values in batch.metadata.items()}
        upper, lower = batch.video[k, 0, :, :16], batch.video[k, 0, :, 16:]
        for band, direction in ((upper, meta["upper_direction"]), (lower, None)):
            direction = direction or ("left" if meta["upper_direction"] == "right" else "right")
            speed = int(meta[f"speed_{direction}"])  # 1 or 2: whole pixels here
            if direction == "right":
                assert torch.allclose(band[1:, :, speed:], band[:-1, :, :-speed], atol=1e-6)
            else:
                assert torch.allclose(band[1:, :, :-speed], band[:-1, :, speed:], atol=1e-6)


@pytest.mark.parametrize("texture", ["images", "pink_noise"])
def test_the_drifting_scene_moves_at_its_speed_in_the_labelled_direction(texture: str) -> None:
    task = NaturalDrift(**SMALL, texture=texture, s_range=(1.0, 3.0))
    batch = task.generate(range(8), seed=2)
    directions = batch.metadata["direction"]
    assert list(batch.labels.numpy()) == [int(d == "right") for d in directions]
    assert set(directions) == {"left", "right"}
    assert np.array_equal(
        np.sign(batch.metadata["velocity"]), np.where(directions == "right", 1, -1)
    )
    whole = NaturalDrift(**SMALL, texture=texture, s=2.0).generate(range(6), seed=3)
    for video, direction in zip(whole.video[:, 0], whole.metadata["direction"], strict=True):
        if direction == "right":
            assert torch.allclose(video[1:, :, 2:], video[:-1, :, :-2], atol=1e-6)
        else:
            assert torch.allclose(video[1:, :, :-2], video[:-1, :, 2:], atol=1e-6)


def test_sub_pixel_drift_interpolates_between_columns() -> None:
    strip = torch.arange(8, dtype=torch.float64)[None, None, :]  # one row, period 8
    moved = drift(strip, torch.tensor([0.0]), torch.tensor([0.25]), frames=3, width=4)
    # frame 1: column c shows the strip at c - 0.25 (column 0 wraps: 7 + 0.75 (0 - 7))
    expected = torch.tensor([1.75, 0.75, 1.75, 2.75], dtype=torch.float64)
    assert torch.allclose(moved[0, 1, 0], expected)
    assert torch.allclose(moved[0, 2, 0, 1:], expected[1:] - 0.25)


@pytest.mark.parametrize("texture", ["images", "pink_noise"])
@pytest.mark.parametrize(
    ("task", "fixed", "label"),
    [(NaturalMotion, {"alpha": 1.0}, "fast_direction"), (NaturalDrift, {"s": 0.0}, "direction")],
)
def test_at_alpha_one_or_a_still_scene_the_video_does_not_depend_on_the_label(
    task: type, fixed: dict, label: str, texture: str
) -> None:
    left = task(**SMALL, texture=texture, **fixed, **{label: "left"})
    right = task(**SMALL, texture=texture, **fixed, **{label: "right"})
    a, b = left.generate(range(10), seed=4), right.generate(range(10), seed=4)
    assert torch.equal(a.video, b.video) and (a.labels != b.labels).all()


def _statistics(videos: torch.Tensor) -> np.ndarray:
    """Candidate leaks of ``(batch, frames, height, width)`` videos: mean luminance and
    variance per band and over time, and per band the motion energy moving right and left
    (spatiotemporal Fourier power with ω kx < 0 and > 0) and their difference."""
    rows = []
    half = videos.shape[2] // 2
    for band in (videos[:, :, :half], videos[:, :, half:]):
        centred = band - band.mean(dim=(1, 2, 3), keepdim=True)
        power = torch.fft.fftn(centred, dim=(1, 3)).abs().square().sum(2)
        temporal = torch.fft.fftfreq(band.shape[1])[:, None]
        spatial = torch.fft.fftfreq(band.shape[3])[None, :]
        rightward = torch.log((power * (temporal * spatial < 0)).sum(dim=(1, 2)) + 1e-12)
        leftward = torch.log((power * (temporal * spatial > 0)).sum(dim=(1, 2)) + 1e-12)
        # speed proxy: mean squared temporal derivative over spatial derivative
        dt = (band[:, 1:] - band[:, :-1]).square().mean(dim=(1, 2, 3))
        dx = (band[..., 1:] - band[..., :-1]).square().mean(dim=(1, 2, 3))
        rows += [band.mean(dim=(1, 2, 3)), band.var(dim=(1, 2, 3)), rightward, leftward,
                 rightward - leftward, torch.log((dt + 1e-12) / (dx + 1e-12))]  # fmt: skip
    features = torch.stack(rows, dim=1)
    # direction x speed per band: the rightward band's speed minus the leftward band's
    upper_right = (features[:, 4] > 0).double() * 2 - 1
    contrast = upper_right * (features[:, 5] - features[:, 11])
    return torch.cat([features, contrast[:, None]], dim=1).double().numpy()


def _features(alpha: float, seed: int, count: int, texture: str):
    task = NaturalMotion(**SMALL, texture=texture, alpha=alpha, s_range=(0.5, 1.0))
    batch = task.generate(range(count), seed=seed)
    return _statistics(batch.video[:, 0].double()), batch.labels.numpy()


@pytest.mark.parametrize("texture", ["images", "pink_noise"])
def test_a_decoder_of_video_statistics_is_at_chance_at_alpha_one_and_not_at_three(texture):
    train, test = 300, 500
    features, labels = _features(1.0, 31, train + test, texture)
    assert abs(labels.mean() - 0.5) < 3 * math.sqrt(0.25 / len(labels))  # balanced
    accuracy = held_out_accuracy(features, labels, train)
    assert abs(accuracy - 0.5) < 3 * math.sqrt(0.25 / test), accuracy
    features, labels = _features(3.0, 32, train + test, texture)
    assert held_out_accuracy(features, labels, train) > 0.8


def test_a_decoder_of_video_statistics_is_at_chance_on_a_still_scene_and_not_in_motion() -> None:
    train, test = 300, 500
    for speed, above_chance in ((0.0, False), (1.0, True)):
        task = NaturalDrift(**SMALL, s_range=(speed, speed))
        batch = task.generate(range(train + test), seed=33)
        features = _statistics(batch.video[:, 0].double())
        accuracy = held_out_accuracy(features, batch.labels.numpy(), train)
        if above_chance:
            assert accuracy > 0.8, accuracy
        else:
            assert abs(accuracy - 0.5) < 3 * math.sqrt(0.25 / test), accuracy


def test_a_tiny_circuit_trains_on_the_task_and_evaluates(tmp_path) -> None:
    from retinasim.training import evaluate_run, train

    circuit = (
        small_circuit_text(size=(32, 32), frames=8, n_types=4)
        + """\
training:
  steps: 30
  batch_size: 8
  validation_size: 16
  eval_every: 30
  checkpoint_every: 30
  init: normalised
  init_stimuli: 8
  stimulus: {kind: natural_motion, alpha: 4.0, texture_size: 64, s_range: [0.5, 1.0]}
"""
    )
    spec = load_circuit("tiny.yaml", text=circuit)
    metrics = train(spec, tmp_path / "run").metrics
    assert metrics["status"] == "completed" and metrics["steps"] == 30
    assert 0.0 <= metrics["validation_accuracy"] <= 1.0
    result = evaluate_run(tmp_path / "run", alphas=(1.0, 4.0), n=16, save=False)
    assert list(result["alpha"].values) == [1.0, 4.0]
    assert 0.0 <= float(result["accuracy"][1]) <= 1.0


def test_a_tiny_circuit_trains_on_the_drift_task_and_evaluates_as_trained(tmp_path) -> None:
    circuit = tmp_path / "tiny_drift.yaml"
    circuit.write_text(
        DRIFT_CIRCUIT.read_text()
        .replace("size: [255, 255]", "size: [32, 32]")
        .replace("frames: 51", "frames: 8")
        .replace("temporal_kernel: 31", "temporal_kernel: 3")
        .replace("kernel: 10, stride: 5", "kernel: 4, stride: 2")
        .replace(
            "stimulus: {kind: natural_drift}", "stimulus: {kind: natural_drift, texture_size: 64}"
        )
    )
    run = tmp_path / "run"
    steps = [
        "--steps",
        "4",
        "--batch-size",
        "4",
        "--set",
        "validation_size=8",
        "--set",
        "init_stimuli=4",
    ]
    cli = [sys.executable, "-m", "retinasim"]
    trained = subprocess.run([*cli, "train", str(circuit), "--out", str(run), *steps],
                             capture_output=True, text=True)  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    evaluated = subprocess.run([*cli, "evaluate", str(run), "--n", "12", "--json"],
                               capture_output=True, text=True)  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads(evaluated.stdout)
    assert result["n"] == 12 and set(result["by_class"]) == {"left", "right"}
    assert 0.0 <= result["accuracy"] <= 1.0 and "results" not in result
    saved = xr.open_dataset(run / "evaluation.nc", engine="h5netcdf")
    assert saved.accuracy.dims == () and saved.correct.dims == ("trial",)
    assert float(saved.accuracy) == pytest.approx(float(saved.correct.mean()))
    assert set(saved.stimulus_direction.values) <= {"left", "right"}
    right = saved.stimulus_direction.values == "right"
    assert int(saved.trials_by_class.sel({"class": "right"})) == right.sum()
    refused = subprocess.run([*cli, "evaluate", str(run), "--alpha", "2"],
                             capture_output=True, text=True)  # fmt: skip
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "has no alpha" in refused.stderr
    bars = subprocess.run([*cli, "tuning", str(run), "--n-permutations", "20"],
                          capture_output=True, text=True)  # fmt: skip
    assert bars.returncode == 0, bars.stderr
    table = (run / "tuning" / "direction_selectivity.csv").read_text().splitlines()
    assert len(table) == 1 + 24  # a header and 8 types in each of 3 layers
    protocol = xr.open_dataset(run / "tuning" / "direction_selectivity.nc", engine="h5netcdf")
    assert protocol.attrs["background_luminance"] == 0.5  # bars on the scenes' mean
    from retinasim.dissect.lesions import lesion_scan
    from retinasim.engine import Condition, StimulusSet
    from retinasim.task import task_generator
    from retinasim.training import load_trained

    trained_circuit = load_trained(run)

    spec = trained_circuit.spec
    stimuli = StimulusSet([Condition(task_generator(spec))], 12, spec.training.stimulus_seeds.test)
    scan = lesion_scan(trained_circuit, stimuli, layers=["ganglion"])
    assert scan.attrs["intact_accuracy"] == pytest.approx(result["accuracy"])  # the same trials
    by_direction = scan.accuracy_by_fast_direction  # split by the scene's direction
    assert by_direction.shape == (8, 2) and np.isfinite(by_direction.values).all()
