"""``retinasim compare`` when a process dies: a killed worker costs only its own run, a killed
comparison takes its workers with it, a comparison folder has one writer, and a damaged
evaluation is redone. Real processes and signals throughout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import TINY_CIRCUIT, TINY_TRAINING, run_cli

from retinasim.compare.runs import RunJob, run_job
from retinasim.compare.settings import RunSettings


def tiny(tmp_path: Path) -> Path:
    """:data:`helpers.TINY_CIRCUIT` with :data:`helpers.TINY_TRAINING` (2 types a layer)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_CIRCUIT + yaml.safe_dump({"training": TINY_TRAINING}))
    return path


def compare(file: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """``retinasim compare FILE --out OUT`` with 2 seeds on 2 processes, small samples."""
    options = ["--seeds", "2", "--n", "4", "--n-dissect", "4", "--jobs", "2", *extra]
    return run_cli("compare", file, "--out", out, *options)


def attempts(job_folder: Path) -> list[dict]:
    """The lines of ``seed<k>.attempts.jsonl``: one per started training, with its pid."""
    path = job_folder.parent / f"{job_folder.name}.attempts.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines if line.endswith("}")]


def same(row: dict, other: dict) -> bool:
    """Whether two rows are equal (NaN equal to NaN)."""
    return json.dumps(row, sort_keys=True) == json.dumps(other, sort_keys=True)


def wait_for(condition: Callable[[], object], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie waiting for its reaper has)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def kill_in_training(folder: Path, times: int) -> threading.Thread:
    """A thread that SIGKILLs the worker training ``folder`` once it has checkpointed, on
    each of its first ``times`` attempts."""

    def kill() -> None:
        for attempt in range(1, times + 1):
            wait_for(lambda: len(attempts(folder)) >= attempt)  # noqa: B023
            wait_for(lambda: (folder / "checkpoint.pt").exists())
            os.kill(attempts(folder)[-1]["pid"], signal.SIGKILL)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


@pytest.mark.slow  # about 15 s: two trainings, each killed and resumed
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_killed_worker_costs_only_its_run_which_resumes_or_fails_clearly(
    tmp_path: Path,
) -> None:
    out = tmp_path / "cmp"
    once, twice = (out / "runs" / "tiny" / f"seed{seed}" for seed in (0, 1))
    killers = [kill_in_training(once, times=1), kill_in_training(twice, times=2)]
    done = compare(tiny(tmp_path), out, "--steps", "100")
    for killer in killers:
        killer.join(timeout=5)
    assert done.returncode == 1, done.stderr
    table = pd.read_csv(out / "comparison.csv").set_index("seed")
    assert table.loc[0, "status"] == "completed" and table.loc[0, "steps"] == 100
    first, retry = attempts(once)
    assert retry["checkpoint_step"] > 0 and gone(first["pid"])  # resumed from its checkpoint
    steps = [entry["step"] for entry in json.loads((once / "history.json").read_text())]
    assert steps == sorted(set(steps)) and steps[-1] == 100  # one history, continued
    assert table.loc[1, "status"] == "failed" and len(attempts(twice)) == 2
    assert table.loc[1, "error"] == (
        "worker process died 2 times (killed by signal 9, SIGKILL: out of memory?)"
    )
    assert done.stderr.count("starting it again") == 2
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_killed_comparison_takes_its_workers_and_their_locks_with_it(tmp_path: Path) -> None:
    from retinasim.util.lock import run_folder_lock

    file = tiny(tmp_path)
    out = tmp_path / "cmp"
    command = [sys.executable, "-m", "retinasim", "compare", str(file), "--out", str(out)]
    command += ["--seeds", "2", "--jobs", "2", "--steps", "100000", "--n", "8"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    folders = [out / "runs" / "tiny" / f"seed{seed}" for seed in (0, 1)]
    workers: list[int] = []
    try:
        wait_for(lambda: all((folder / "checkpoint.pt").exists() for folder in folders))
        workers = [attempts(folder)[0]["pid"] for folder in folders]
        process.kill()
        process.wait(timeout=10)
        wait_for(lambda: all(gone(pid) for pid in workers), timeout=5)
    finally:
        process.kill()
        process.wait(timeout=10)
        for pid in workers:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
    for folder in folders:  # a rerun started now finds every run free
        with run_folder_lock(folder, create=False):
            pass


def test_a_second_comparison_into_a_busy_folder_is_refused_at_once(tmp_path: Path) -> None:
    from retinasim.util.lock import run_folder_lock

    file = tiny(tmp_path)
    out = tmp_path / "cmp"
    with run_folder_lock(out):  # as a running comparison holds it
        before = sorted(out.iterdir())
        done = compare(file, out)
        assert sorted(out.iterdir()) == before  # nothing written
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {out}: in use by pid {os.getpid()}")


def test_a_damaged_evaluation_or_metrics_file_is_redone(tmp_path: Path) -> None:
    import torch

    from retinasim.run_folder import read_netcdf

    file = tiny(tmp_path)
    job = RunJob(str(file), "m", 0, str(tmp_path / "cmp"), RunSettings(n_eval=4, n_dissect=4))
    threads = torch.get_num_threads()
    try:
        row = run_job(job)
        evaluation, metrics = job.folder / "evaluation.nc", job.folder / "metrics.json"
        evaluation.write_bytes(b"")
        assert same(run_job(job), row)
        assert read_netcdf(evaluation) is not None  # written again
        evaluation.write_text("not netCDF")
        metrics.write_text("[1]")
        assert same(run_job(job), row)
    finally:
        torch.set_num_threads(threads)
    assert json.loads(metrics.read_text())["status"] == "completed"
