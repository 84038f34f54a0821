"""``retinasim compare`` end to end on tiny circuits, and its resumability."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import ROOT, shrink

from retinasim.compare import labels_for
from retinasim.compare.report import summarise


def tiny(name: str, tmp_path: Path) -> Path:
    """A shipped circuit at 40 × 40 × 6 with 3-frame filters and a 2-step training."""
    data = shrink(yaml.safe_load((ROOT / "circuits" / f"{name}.yaml").read_text()))
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_compare(
    files: list[Path], out: Path, *extra: str, jobs: int = 2
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "retinasim", "compare", *map(str, files), "--out", str(out)]
    command += ["--seeds", "2", "--n", "8", "--n-dissect", "8", "--jobs", str(jobs), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def test_compare_end_to_end_then_resumes_without_retraining(tmp_path: Path) -> None:
    files = [tiny("murray2021", tmp_path), tiny("murray2021_no_residual", tmp_path)]
    out = tmp_path / "cmp"
    done = run_compare(files, out, "--set", "learning_rate=0.01")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 4 and set(table["status"]) == {"completed"}
    assert set(table["circuit"]) == {"murray2021", "murray2021_no_residual"}
    for column in (
        "accuracy_alpha_1",
        "accuracy_alpha_1.7",
        "accuracy_alpha_2",
        "n_critical",
        "ds_emergence",
        "opposite_preferences",
        "sufficient_types",
        "accuracy_s_decile_10",
    ):
        assert column in table
    assert table["accuracy_alpha_2"].between(0, 1).all()
    # Two training steps solve nothing: no type's lesion can be read, so neither flag is set.
    assert (table["dissection_accuracy"] < 0.95).all()
    assert not table["ds_emergence"].any() and not table["opposite_preferences"].any()
    assert (table["training_time_s"] > 0).all() and (table["steps"] == 2).all()
    report = (out / "comparison.md").read_text()
    assert "| `murray2021_no_residual` | 2 |" in report and "comparison.png" in report
    assert (out / "comparison.png").stat().st_size > 0
    assert (out / "comparison.nc").exists()
    run = out / "runs" / "murray2021" / "seed1"
    dissection = json.loads((run / "dissection.json").read_text())
    assert len(dissection["lesion_accuracy"]) == 8 and len(dissection["dsi"]) == 8
    assert json.loads((run / "metrics.json").read_text())["status"] == "completed"

    checkpoint = run / "checkpoint.pt"
    before = checkpoint.stat().st_mtime_ns
    again = run_compare(files, out, "--set", "learning_rate=0.01", jobs=1)
    assert again.returncode == 0, again.stderr
    assert checkpoint.stat().st_mtime_ns == before  # finished runs are not retrained
    assert pd.read_csv(out / "comparison.csv").equals(table)


def test_bad_override_is_refused_before_training(tmp_path: Path) -> None:
    file = tiny("murray2021", tmp_path)
    done = run_compare([file], tmp_path / "cmp", "--set", "learnin_rate=1", jobs=1)
    assert done.returncode == 2
    assert "learnin_rate" in done.stderr
    assert not (tmp_path / "cmp").exists()


def test_labels_are_unique_and_summary_is_mean_and_sd() -> None:
    assert labels_for(["a/x.yaml", "b/x.yaml", "y.yaml"]) == ["x", "x_2", "y"]
    rows = pd.DataFrame(
        {
            "circuit": ["a", "a", "b"],
            "seed": [0, 1, 0],
            "accuracy_alpha_2": [0.9, 1.0, 0.5],
            "ds_emergence": [True, False, True],
        }
    )
    summary = summarise(rows)
    assert summary["mean"].loc["a", "accuracy_alpha_2"] == pytest.approx(0.95)
    assert summary["sd"].loc["a", "accuracy_alpha_2"] == pytest.approx(0.0707, abs=1e-4)
    assert summary["mean"].loc["a", "ds_emergence"] == 0.5


def test_opposite_preferences_need_a_rightward_and_a_leftward_type() -> None:
    from retinasim.compare.dissect import _opposite

    preferred = [10.0, 170.0, 350.0, 90.0, float("nan")]
    assert _opposite(preferred, [0, 1]) and _opposite(preferred, [1, 2])
    assert not _opposite(preferred, [0, 2])  # both rightward
    assert not _opposite(preferred, [1, 3, 4])  # 90°: neither; NaN: silent
    assert not _opposite(preferred, [])


def test_an_opposite_ds_pair_explaining_the_decision_is_seen_when_one_side_is_redundant() -> None:
    from retinasim.compare.rows import sufficient_ds_pair

    nan = float("nan")
    # a paper-profile seed: one critical leftward DS type (4); the rightward preference is
    # carried by three DS types at once (0, 1, 3), so none of them is critical
    dissection = {
        "baseline_accuracy": 1.0,
        "threshold": 0.95,
        "dsi_threshold": 0.3,
        "critical": [4],
        "sufficient_set": [4, 1],
        "dsi": [0.76, 0.99, nan, 1.0, 1.0, 0.42, nan, 0.1],
        "preferred_direction_deg": [1.0, 359.0, nan, 17.0, 175.0, 0.0, nan, 24.0],
    }
    assert sufficient_ds_pair(dissection)
    assert not sufficient_ds_pair({**dissection, "sufficient_set": [4, 7]})  # 7: DSI 0.1
    assert not sufficient_ds_pair({**dissection, "sufficient_set": [4, 6]})  # 6: silent
    assert not sufficient_ds_pair({**dissection, "sufficient_set": [1, 3]})  # both rightward
    assert not sufficient_ds_pair({**dissection, "sufficient_set": None})  # none suffices
    assert not sufficient_ds_pair({**dissection, "baseline_accuracy": 0.9})  # unsolved


def test_an_interrupted_run_is_resumed_not_restarted(tmp_path: Path) -> None:
    import torch

    from retinasim.compare.runs import RunJob, run_job
    from retinasim.compare.settings import RunSettings
    from retinasim.spec import load_circuit
    from retinasim.training import apply_overrides, train

    file = tiny("murray2021", tmp_path)
    settings = RunSettings(overrides={"steps": 4}, n_eval=4, n_dissect=4)
    job = RunJob(str(file), "m", 0, str(tmp_path / "cmp"), settings)
    folder = job.folder
    folder.parent.mkdir(parents=True)
    spec = apply_overrides(load_circuit(file), {"steps": 4, "seed": 0})
    threads = torch.get_num_threads()
    try:
        train(spec, folder, stop_after=2)  # "killed" after 2 steps
        assert json.loads((folder / "metrics.json").read_text())["status"] != "completed"
        row = run_job(job)
    finally:
        torch.set_num_threads(threads)
    assert row["status"] == "completed" and row["steps"] == 4, row
    steps = [entry["step"] for entry in json.loads((folder / "history.json").read_text())]
    assert steps == sorted(set(steps))  # one history, continued from the checkpoint


def test_sigterm_stops_the_comparison_and_its_worker_processes(tmp_path: Path) -> None:
    import contextlib
    import signal
    import time

    files = [tiny("murray2021", tmp_path), tiny("murray2021_no_residual", tmp_path)]
    out = tmp_path / "cmp"
    command = [sys.executable, "-m", "retinasim", "compare", *map(str, files), "--out", str(out)]
    # 2 x 2 runs on 2 workers: runs still queued when the signal comes must not be started
    command += ["--seeds", "2", "--jobs", "2", "--steps", "100000", "--n", "8"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    group = process.pid  # its own session: the workers share this process group
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("runs/*/seed*/checkpoint.pt"))) < 2:  # both workers training
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) != 0
        deadline = time.monotonic() + 30
        while True:
            try:
                os.killpg(group, 0)  # raises once no process of the group is left
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, "worker processes outlived the comparison"
            time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
