"""``retinasim train`` and ``evaluate`` as a user runs them: real subprocesses of the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import xarray as xr
from helpers import run_cli
from trainhelpers import write_tiny

ENV = {"OMP_NUM_THREADS": "1"}


def retinasim(*args: str | Path) -> subprocess.CompletedProcess:
    return run_cli(*args, timeout=240)


def test_train_then_evaluate_writes_a_complete_run_folder(tmp_path: Path) -> None:
    circuit, run = write_tiny(tmp_path), tmp_path / "run"
    done = retinasim("train", circuit, "--out", run, "--steps", "20", "--set", "eval_every=0",
                     "--threads", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "training: 20/20" in done.stderr  # plain log lines: stderr is not a terminal
    assert done.stdout.startswith(f"{run}: completed after 20 steps (320 stimuli")
    done = retinasim("evaluate", run, "--alpha", "1", "2", "--n", "40", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["alpha"] for r in report["results"]] == [1.0, 2.0]
    assert report["n"] == 40 and report["test_seed"] == 3
    assert len(report["results"][0]["by_s_bin"]) == 10
    with xr.open_dataset(run / "evaluation.nc", engine="h5netcdf") as saved:
        assert dict(saved.sizes) == {
            "alpha": 2, "s_bin": 10, "fast_direction": 2, "trial": 40, "class": 2
        }  # fmt: skip
        assert saved.attrs["spec_hash"] == report["provenance"]["spec_hash"]
        assert float(saved.accuracy.sel(alpha=2.0)) == report["results"][1]["accuracy"]
    table = retinasim("evaluate", run, "--n", "16")
    assert table.returncode == 0 and "alpha" in table.stdout and "1.7" in table.stdout


def test_bad_arguments_give_one_line_and_exit_2(tmp_path: Path) -> None:
    circuit, run = write_tiny(tmp_path), tmp_path / "run"
    run.mkdir()
    (run / "keep.txt").write_text("mine")
    cases = [
        (("train", circuit, "--out", run), f"error: {run}: already holds files; pass --overwrite"),
        (("train", circuit, "--out", tmp_path / "new", "--lr", "-1"),
         "error: invalid override: training.learning_rate: Input should be greater than 0"),
        (("train", circuit, "--out", run, "--resume", "--overwrite"),
         "error: --resume and --overwrite exclude each other; choose one"),
        (("evaluate", tmp_path / "absent"), f"error: {tmp_path / 'absent'}: not a run folder"),
        (("train", circuit, "--out", tmp_path / "new", "--device", "tpu"),
         "error: --device tpu: expected cpu or cuda"),
    ]  # fmt: skip
    for args, expected in cases:
        done = retinasim(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.strip().splitlines()[-1].startswith(expected), done.stderr
        assert "Traceback" not in done.stderr


def test_a_poisoned_input_stops_training_with_exit_2(tmp_path: Path) -> None:
    circuit = write_tiny(tmp_path)
    done = retinasim("train", circuit, "--out", tmp_path / "run", "--set", "input_scale=1e39",
                     "--set", "init=pytorch", "--threads", "1")  # fmt: skip
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: training stopped: the loss became nan at step 1"), last
    assert "no checkpoint was written yet" in last


def test_resume_after_kill_9_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    import signal
    import time

    import torch

    from retinasim.training.checkpoint import load_checkpoint

    circuit = write_tiny(tmp_path)
    options = ["--steps", "400", "--set", "checkpoint_every=5", "--set", "eval_every=0",
               "--threads", "1"]  # fmt: skip
    whole = retinasim("train", circuit, "--out", tmp_path / "whole", *options)
    assert whole.returncode == 0, whole.stderr
    command = [sys.executable, "-m", "retinasim", "train", str(circuit), "--out",
               str(tmp_path / "cut"), *options]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **ENV}, stderr=subprocess.DEVNULL)
    checkpoint = tmp_path / "cut" / "checkpoint.pt"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if checkpoint.is_file() and load_checkpoint(checkpoint)["step"] >= 20:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = load_checkpoint(checkpoint)["step"]
    assert killed_at < 400, "the run ended before it could be killed"
    done = retinasim("train", circuit, "--out", tmp_path / "cut", "--resume", *options)
    assert done.returncode == 0, done.stderr
    assert f"resuming {tmp_path / 'cut'} from step {killed_at}" in done.stderr
    a = load_checkpoint(tmp_path / "whole" / "checkpoint.pt")["model"]
    b = load_checkpoint(checkpoint)["model"]
    assert all(torch.equal(a[name], b[name]) for name in a)
