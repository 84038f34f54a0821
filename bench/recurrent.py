"""Training throughput of the recurrent variants against murray2021, and murray2021 against
the commit before the recurrent work, all measured in the same run (issue #25).

Each row trains a circuit for a few steps exactly as ``bench/train.py`` does (fresh
moving-dots stimuli every step, dropout 0.4, cross-entropy on the decision frame, Adam,
constraint projection) in a fresh process, so its peak resident memory is its own:

- ``murray2021`` in this tree and in ``--baseline`` (default ``929ddc8^``, the commit before
  the recurrent work; checked out with ``git worktree`` and imported through ``PYTHONPATH``
  with the same interpreter and packages): the feed-forward step must not have slowed (ratio
  this / baseline of stimuli/s ≥ 0.97);
- every shipped ``murray2021_*`` circuit with a delayed connection or the leaky integrator:
  its stimuli/s as a ratio to murray2021's in this tree (target ≥ 0.4) and its peak memory.

Usage::

    python bench/recurrent.py                   # batch 16, 255 x 255 x 51, 1 process x 2 threads
    python bench/recurrent.py --no-baseline --steps 2 --batch 4   # a smoke test (about 1 min)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
VARIANTS = ("murray2021_feedback", "murray2021_lateral", "murray2021_leaky", "murray2021_outer")
"""The recurrent and dynamical variants (those shipped are measured)."""


def measure(tree: Path, circuit: Path, args: argparse.Namespace) -> dict:
    """``bench/train.py``'s training step of ``circuit`` in a fresh process importing
    retinasim from ``tree``: seconds per step (best and median) and peak RSS."""
    call = f"'compiled', False, {args.batch}, {args.steps}, {args.threads}, {str(circuit)!r}"
    code = (
        f"import json, sys; sys.path.insert(0, {str(BENCH)!r}); import train; "
        f"print(json.dumps(train._measure({call})))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
    env |= {"PYTHONPATH": str(tree), "OMP_NUM_THREADS": str(args.threads)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{circuit.name} in {tree}: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(name: str, result: dict, batch: int, against: dict | None, what: str) -> str:
    """One table row: s/step, stimuli/s, the ratio of stimuli/s to ``against``, peak RSS."""
    rate = batch / result["seconds_per_step"]
    ratio = "" if against is None else f"{rate / (batch / against['seconds_per_step']):.2f}"
    return (
        f"| {name} | {result['seconds_per_step']:.3f} | {result['median_seconds_per_step']:.3f} "
        f"| {rate:.1f} | {ratio} {what} | {result['max_rss_mib']:.0f} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=4, help="timed steps (after a warm-up)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline", default="929ddc8^")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    circuits = ROOT / "circuits"
    print(
        f"# training step, batch {args.batch}, full size, "
        f"1 process x {args.threads} thread(s), {args.steps} timed steps"
    )
    print("\n| circuit | s/step (best) | s/step (median) | stimuli/s | ratio | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    reference = measure(ROOT, circuits / "murray2021.yaml", args)
    print(row("murray2021 (this tree)", reference, args.batch, None, ""), flush=True)
    if not args.no_baseline:
        with tempfile.TemporaryDirectory() as folder:
            tree = Path(folder) / "baseline"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(tree), args.baseline],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            try:
                old = measure(tree, tree / "circuits" / "murray2021.yaml", args)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
        what = "(this tree / baseline: ≥ 0.97)"
        print(row(f"murray2021 ({args.baseline})", old, args.batch, None, ""))
        print(row("murray2021: this tree vs baseline", reference, args.batch, old, what))
    for name in VARIANTS:
        path = circuits / f"{name}.yaml"
        if path.is_file():
            result = measure(ROOT, path, args)
            print(row(name, result, args.batch, reference, "(of murray2021: ≥ 0.4)"), flush=True)


if __name__ == "__main__":
    main()
