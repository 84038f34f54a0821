"""The README's main job, end to end, against an earlier commit measured in the same run.

Runs ``retinasim validate`` + ``retinasim run circuits/murray2021.yaml`` (training with the
embedded default profile, evaluation, every analysis, figures, report) exactly as the README
does, in a fresh run folder, once for this working tree and once for a baseline commit
(default ``f28a745``, the commit before the main-job speed work; checked out with ``git
worktree`` and run with the same interpreter and packages). For each it reports wall, user
and system time, page faults, peak resident memory (the largest process, and all processes
of the job together, sampled every 0.2 s), the training phase's stimuli/s and the time of
every phase that the job logs. The training phase is also compared with the pure training
step of ``bench/train.py`` (render, forward, backward, Adam; no validation, checkpoints or
logs) measured in the same run with the same process layout.

Usage::

    python bench/main_job.py                    # this tree and f28a745 (about 20 minutes)
    python bench/main_job.py --no-baseline      # this tree only
    python bench/main_job.py --baseline HEAD~3  # another baseline
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
CIRCUIT = "circuits/murray2021.yaml"
PHASE_LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<task>.+?): (?P<done>\d+)/\d+ in (?P<s>[\d.]+) s")


@dataclass
class JobResult:
    """What one main job cost."""

    wall_s: float
    user_s: float
    system_s: float
    minor_faults: int
    largest_rss_mib: float
    total_rss_mib: float
    train_stimuli_per_s: float
    train_s: float
    phases: dict[str, float] = field(default_factory=dict)


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, MiB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parent, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
        rss[int(entry.name)] = pages
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_job(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple:
    """Run ``command``; return its resource usage (``os.wait4``) and sampled tree RSS."""
    with log.open("w") as stream:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=stream, stderr=stream)
        peak = [0.0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                peak[0] = max(peak[0], _tree_rss_mib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed (status {status}); see {log}")
    return wall, usage, peak[0]


def main_job(tree: Path, out: Path, label: str, env: dict[str, str]) -> JobResult:
    """The README main job of the retinasim in ``tree``, run folder ``out``."""
    launcher = [
        sys.executable,
        "-c",
        "import sys; from retinasim.cli import main; sys.exit(main())",
    ]
    env = {**env, "PYTHONPATH": str(tree)}
    log = out.parent / f"{label}.log"
    wall = user = system = 0.0
    faults, largest, total = 0, 0.0, 0.0
    for arguments in (["validate", CIRCUIT], ["run", CIRCUIT, "--out", str(out), "--resume"]):
        seconds, usage, peak = run_job([*launcher, *arguments], tree, env, log)
        wall += seconds
        user += usage.ru_utime
        system += usage.ru_stime
        faults += usage.ru_minflt
        largest = max(largest, usage.ru_maxrss / 1024)
        total = max(total, peak)
    history = json.loads((out / "history.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    rates = [row["stimuli_per_s"] for row in history[1:]]  # the first window warms up
    phases = {"training": float(metrics["train_time_s"])}
    for line in log.read_text().splitlines():
        match = PHASE_LINE.match(line)
        if match:
            phases[match["task"]] = float(match["s"])
    return JobResult(
        wall, user, system, faults, largest, total, sum(rates) / len(rates),
        float(metrics["train_time_s"]), phases,
    )  # fmt: skip


def layout_of(run: Path) -> tuple[int, int]:
    """``(processes, threads)`` that the run trained with (its provenance)."""
    record = json.loads((run / "provenance.json").read_text())
    return int(record.get("world_size", 1)), int(record.get("threads", 1))


def reference_step(processes: int, threads: int) -> float:
    """Stimuli/s of ``bench/train.py``'s pure training step of the default profile."""
    from train import in_processes

    from retinasim.spec import load_circuit

    batch = load_circuit(ROOT / CIRCUIT).training.batch_size
    result = in_processes(processes, "profile", False, batch, 6, threads)
    return batch / result["median_seconds_per_step"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="f28a745", help="commit to compare with")
    parser.add_argument("--no-baseline", action="store_true", help="measure this tree only")
    parser.add_argument("--keep", type=Path, help="keep the run folders and logs here")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        results: dict[str, JobResult] = {}
        print("running the main job of this tree ...", flush=True)
        results["this tree"] = main_job(ROOT, work / "run-this", "this", env)
        if not args.no_baseline:
            tree = work / f"tree-{args.baseline}"
            if not tree.exists():
                subprocess.run(
                    ["git", "worktree", "add", "--detach", str(tree), args.baseline],
                    cwd=ROOT, check=True, capture_output=True,
                )  # fmt: skip
            try:
                print(f"running the main job at {args.baseline} ...", flush=True)
                results[args.baseline] = main_job(tree, work / "run-baseline", "baseline", env)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
        processes, threads = layout_of(work / "run-this")
        print(f"measuring bench/train.py's step ({processes} x {threads} threads) ...", flush=True)
        step_rate = reference_step(processes, threads)
    _print_table(results, step_rate, processes, threads)


def _print_table(results: dict[str, JobResult], step_rate: float, processes: int, threads: int):
    import torch

    print(
        f"\n# README main job (validate + run {CIRCUIT}), torch {torch.__version__}, "
        f"{os.cpu_count()} cores"
    )
    print(
        "\n| code | wall s | user s | system s | system/user | minor faults | "
        "peak RSS MiB (largest / all) | training s | training stimuli/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r.wall_s:.0f} | {r.user_s:.0f} | {r.system_s:.0f} | "
            f"{r.system_s / r.user_s:.1%} | {r.minor_faults:,} | "
            f"{r.largest_rss_mib:.0f} / {r.total_rss_mib:.0f} | {r.train_s:.0f} | "
            f"{r.train_stimuli_per_s:.1f} |"
        )
    this = results["this tree"]
    for name, r in results.items():
        if name != "this tree":
            print(f"\nwall time {name} / this tree: {r.wall_s / this.wall_s:.2f}x")
    print(
        f"training phase / bench/train.py step ({processes} process(es) x {threads} "
        f"thread(s), {step_rate:.1f} stimuli/s): {this.train_stimuli_per_s / step_rate:.0%}"
    )
    print("\n| phase of this tree's job | seconds |\n|---|---|")
    for phase, seconds in this.phases.items():
        print(f"| {phase} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
