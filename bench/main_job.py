"""The README's main job, end to end, against an earlier commit measured in the same run.

Runs ``retinasim validate`` + ``retinasim run circuits/murray2021.yaml`` (training with the
embedded default profile, evaluation, every analysis, figures, report) exactly as the README
does, in a fresh run folder, once for this working tree and once for a baseline commit
(default ``f28a745``, the commit before the main-job speed work; checked out with ``git
worktree`` and run with the same interpreter and packages). For each it reports wall, user
and system time, page faults, peak resident memory (the largest process, and all processes
of the job together, sampled every 0.1 s, also per phase: below), the training phase's
stimuli/s and the time of every task that the job logs. The training phase is also compared
with the pure training step of ``bench/train.py`` (render, forward, backward, Adam; no
validation, checkpoints or logs) measured in the same run with the same process layout.

Memory per phase: every 0.1 s a sampler thread reads the resident memory of every process of
the job from /proc (the largest one, and all of them together) and the new lines of the job's
log. Each timestamped progress line marks where a phase starts (``task: 0/N``) or, for a
finished task (``task: N/N in S s``, ``evaluated ... in S s``), where it started: S seconds
before the line was read. Phases: validate; training (from the start of ``retinasim run``,
spawning and initialisation included); evaluation (loading the trained run for the analyses
included); the analysis steps behaviour, lesions, ablation, amplitude, tuning, deepvis (each
from its first task); summary (from the end of deep visualization: it logs nothing, and
deepvis.nc is written in its first moments); figures; report (from the end of the figures to
the end of the job). Each phase lasts until the next one starts; its peak is the largest
sample in it (a peak shorter than 0.1 s may be missed; ``ru_maxrss`` of the whole job is
printed too).

Usage::

    python bench/main_job.py                    # this tree and f28a745 (about 20 minutes)
    python bench/main_job.py --no-baseline      # this tree only
    python bench/main_job.py --baseline HEAD~3  # another baseline
    python bench/main_job.py --no-baseline --keep DIR --compare-with OLD/run-this
                                                # also: are the results identical to OLD's?
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
PROGRESS_LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<task>.+?): \d+/\d+")
EVALUATED = re.compile(r"^\d\d:\d\d:\d\d evaluated .+ in (?P<s>[\d.]+) s")  # older trees
SAMPLE_EVERY_S = 0.1
STEP_OF_TASK = {
    "training": "training",
    "evaluating": "evaluation",
    "psychometric curve": "behaviour",
    "accuracy vs s": "behaviour",
    "lesion scan": "lesions",
    "ablation search": "ablation",
    "ablated psychometric curve": "ablation",
    "lesions within the ablated model": "ablation",
    "response amplitudes": "amplitude",
    "direction tuning (single units)": "tuning",
    "deep visualization": "deepvis",
    "figures": "figures",
}
"""The phase of each task that ``retinasim run`` logs (tasks starting so); other tasks are
phases of their own."""
AFTER_TASK = {"deep visualization": "summary", "figures": "report"}
"""Phases that log nothing: they start when this task ends."""


@dataclass
class PhaseUse:
    """What one phase of the job cost: wall seconds and peak resident memory, MiB."""

    seconds: float = 0.0
    largest_rss_mib: float = 0.0
    total_rss_mib: float = 0.0


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
    memory: dict[str, PhaseUse] = field(default_factory=dict)


def _tree_rss_mib(pid: int) -> tuple[float, float]:
    """Resident memory of the largest process among ``pid`` and its descendants, and of all
    of them together, MiB (from /proc)."""
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
    largest, total, stack = 0, 0, [pid]
    while stack:
        current = stack.pop()
        largest = max(largest, rss.get(current, 0))
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    page = os.sysconf("SC_PAGE_SIZE") / 2**20
    return largest * page, total * page


def _phase_of(task: str) -> str:
    """The phase that a logged progress task belongs to (:data:`STEP_OF_TASK`)."""
    return next((step for key, step in STEP_OF_TASK.items() if task.startswith(key)), task)


@dataclass
class Trace:
    """Samples ``(seconds, largest MiB, total MiB)`` of a job and its phase starts
    ``(seconds, phase)``, seconds since the job started."""

    samples: list[tuple[float, float, float]] = field(default_factory=list)
    starts: list[tuple[float, str]] = field(default_factory=list)
    end_s: float = 0.0

    def read_line(self, line: str, now: float) -> None:
        """Note the phase start that a log line read at ``now`` marks, if any."""
        if match := EVALUATED.match(line):
            self._start("evaluation", now - float(match["s"]))
        elif match := PHASE_LINE.match(line):
            self._start(_phase_of(match["task"]), now - float(match["s"]))
            if match["task"] in AFTER_TASK:
                self._start(AFTER_TASK[match["task"]], now)
        elif match := PROGRESS_LINE.match(line):
            self._start(_phase_of(match["task"]), now)

    def _start(self, phase: str, seconds: float) -> None:
        """``phase`` started at ``seconds`` (the first start of a phase counts)."""
        if all(name != phase for _, name in self.starts):
            self.starts.append((max(seconds, self.starts[-1][0] if self.starts else 0.0), phase))

    def phases(self) -> dict[str, PhaseUse]:
        """Wall time and peak memory of each phase, in order."""
        starts = sorted(self.starts)
        bounds = [*(s for s, _ in starts[1:]), self.end_s]
        result = {}
        for (begin, phase), end in zip(starts, bounds, strict=True):
            inside = [(big, all_) for t, big, all_ in self.samples if begin <= t < end]
            result[phase] = PhaseUse(
                end - begin,
                max((big for big, _ in inside), default=0.0),
                max((all_ for _, all_ in inside), default=0.0),
            )
        return result


def run_job(command: list[str], cwd: Path, env: dict[str, str], log: Path, phase: str) -> tuple:
    """Run ``command`` (its first phase ``phase``); return its wall seconds, resource usage
    (``os.wait4``) and :class:`Trace`."""
    trace = Trace(starts=[(0.0, phase)])
    with log.open("w") as stream, log.open() as reader:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=stream, stderr=stream)
        stop = threading.Event()

        def sample() -> None:
            pending = ""
            while not stop.wait(SAMPLE_EVERY_S):
                now = time.perf_counter() - started
                trace.samples.append((now, *_tree_rss_mib(process.pid)))
                pending += reader.read()
                *lines, pending = pending.split("\n")
                for line in lines:
                    trace.read_line(line, now)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
        trace.end_s = wall
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed (status {status}); see {log}")
    return wall, usage, trace


def main_job(tree: Path, out: Path, label: str, env: dict[str, str]) -> JobResult:
    """The README main job of the retinasim in ``tree``, run folder ``out``."""
    launcher = [
        sys.executable,
        "-c",
        "import sys; from retinasim.cli import main; sys.exit(main())",
    ]
    env = {**env, "PYTHONPATH": str(tree)}
    wall = user = system = 0.0
    faults, largest, total = 0, 0.0, 0.0
    memory: dict[str, PhaseUse] = {}
    commands = {
        "validate": ["validate", CIRCUIT],
        "training": ["run", CIRCUIT, "--out", str(out), "--resume"],
    }
    for phase, arguments in commands.items():
        log = out.parent / f"{label}-{phase}.log"
        seconds, usage, trace = run_job([*launcher, *arguments], tree, env, log, phase)
        wall += seconds
        user += usage.ru_utime
        system += usage.ru_stime
        faults += usage.ru_minflt
        largest = max(largest, usage.ru_maxrss / 1024)
        memory.update(trace.phases())
        total = max(total, *(use.total_rss_mib for use in memory.values()))
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
        float(metrics["train_time_s"]), phases, memory,
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
    parser.add_argument(
        "--compare-with",
        type=Path,
        metavar="RUNDIR",
        help="check that this tree's run folder has the weights and results of RUNDIR",
    )
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
        if args.compare_with:
            from compare_runs import compare_runs

            differences = compare_runs(args.compare_with, work / "run-this")
            print(f"\nresults against {args.compare_with}: {differences or 'identical'}")


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
    for name, r in results.items():
        _print_phases(name, r)
    print("\n| task logged by this tree's job | seconds |\n|---|---|")
    for phase, seconds in this.phases.items():
        print(f"| {phase} | {seconds:.1f} |")


def _print_phases(name: str, result: JobResult) -> None:
    """The wall time and peak memory of every phase of ``result``'s job."""
    print(
        f"\n| phase ({name}) | wall s | peak RSS MiB, largest process | peak RSS MiB, all |"
        "\n|---|---|---|---|"
    )
    for phase, use in result.memory.items():
        print(
            f"| {phase} | {use.seconds:.1f} | {use.largest_rss_mib:.0f} | {use.total_rss_mib:.0f} |"
        )
    print(
        f"| whole job (largest: ru_maxrss) | {result.wall_s:.0f} | "
        f"{result.largest_rss_mib:.0f} | {result.total_rss_mib:.0f} |"
    )


if __name__ == "__main__":
    main()
