"""Training throughput at full resolution: the compiled circuit against the reference model.

Each model trains for a few steps exactly as ``retinasim train`` does (fresh moving-dots
stimuli rendered every step, dropout, cross-entropy on the decision frame, Adam, constraint
projection; the circuit's dropout 0.4, as the authors trained), each in its own process so
that its peak resident memory (``ru_maxrss``) is its own. Also measured in the same run: the
end-to-end ``retinasim.training.train`` loop of the compiled circuit with the default profile (no
dropout, relative learning rates, bookkeeping included), the arithmetic rate against this
machine's float32 matrix-multiply peak, and the compiled / reference ratio.

Usage::

    python bench/train.py                    # batch 15, 255 x 255 x 51: the paper's setting
    python bench/train.py --quick            # smoke test at 105 x 105 x 21, batch 3
    python bench/train.py --threads 2 --steps 5 --reference-steps 2
    python bench/train.py --processes 2 --threads 1   # the default CPU layout on 2 cores:
                                             # 2 concurrent 1-thread processes, batch 16/2 each
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CIRCUIT = Path(__file__).resolve().parents[1] / "circuits" / "murray2021.yaml"


def make_spec(quick: bool, batch: int, circuit: str | Path = CIRCUIT):
    """``circuit`` (murray2021 by default) with the benchmark's batch size (reduced size with
    ``quick``)."""
    from retinasim.spec import load_circuit
    from retinasim.training.overrides import apply_overrides

    spec = load_circuit(circuit)
    if quick:
        data = spec.model_dump(mode="json")
        data["input"].update(size=[105, 105], frames=21)
        from retinasim.spec import CircuitSpec

        spec = CircuitSpec.model_validate(data)
    return apply_overrides(spec, {"batch_size": batch})


def _measure(
    model_kind: str, quick: bool, batch: int, steps: int, threads: int, circuit: str = str(CIRCUIT)
) -> dict:
    """In a fresh process: seconds per training step (after a warm-up step) and peak RSS."""
    import torch
    import torch.nn.functional as F

    from retinasim.compile import compile_circuit
    from retinasim.task import task_generator
    from retinasim.training.data import derived_seed, train_indices
    from retinasim.training.inference import decision_logits
    from retinasim.util.cpu import tune_cpu_allocator

    torch.set_num_threads(threads)
    tune_cpu_allocator()
    spec = make_spec(quick, batch, circuit)
    if model_kind == "loop":
        return _measure_loop(spec, steps)
    circuit = compile_circuit(spec, seed=0)
    if model_kind == "profile":  # the step as the default profile trains it (its dropout)
        circuit.dropout_p = spec.training.dropout if spec.training.dropout is not None else 0.4
    model, project = circuit, circuit.project_constraints
    if model_kind == "reference":
        from reference import ReferenceCircuit

        model = ReferenceCircuit.from_circuit(circuit)
        project = model.project_constraints
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator, training = task_generator(spec), spec.training
    times, render = [], []
    for step in range(steps + 1):
        start = time.perf_counter()
        batch_ = generator.generate(train_indices(training, step), seed=1)
        rendered = time.perf_counter()
        torch.manual_seed(derived_seed(0, step, 0))
        logits = decision_logits(model(batch_.video), spec)
        loss = F.cross_entropy(logits, batch_.labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        project()
        if step:  # the first step warms up
            times.append(time.perf_counter() - start)
            render.append(rendered - start)
    return {
        "seconds_per_step": min(times),
        "median_seconds_per_step": sorted(times)[len(times) // 2],
        "render_seconds": min(render),
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _measure_loop(spec, steps: int) -> dict:
    """The real training loop (``retinasim.training.train``), validation switched off."""
    from retinasim.training import train
    from retinasim.training.overrides import apply_overrides

    spec = apply_overrides(
        spec, {"steps": steps + 1, "eval_every": 0, "log_every": 1, "validation_size": 1}
    )
    with tempfile.TemporaryDirectory() as folder:
        train(spec, Path(folder) / "run")
        import json

        history = json.loads((Path(folder) / "run" / "history.json").read_text())
    times = [spec.training.batch_size / row["stimuli_per_s"] for row in history[1:-1]]
    return {
        "seconds_per_step": min(times),
        "median_seconds_per_step": sorted(times)[len(times) // 2],
        "render_seconds": float("nan"),
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_process(kind: str, *args) -> dict:
    """Run :func:`_measure` in a fresh spawned process (its own peak memory)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_measure, (kind, *args))


def in_processes(processes: int, kind: str, quick: bool, batch: int, steps: int, threads: int):
    """:func:`_measure` in ``processes`` concurrent processes, each on ``batch / processes``
    stimuli per step (data parallel without the gradient exchange, which for 7,682 parameters
    is negligible): the per-step time of the slowest, as one step of the whole layout."""
    if processes == 1:
        return in_process(kind, quick, batch, steps, threads)
    context = multiprocessing.get_context("spawn")
    share = (kind, quick, batch // processes, steps, threads)
    with context.Pool(processes) as pool:
        results = pool.starmap(_measure, [share] * processes)
    merged = {key: max(r[key] for r in results) for key in results[0]}
    merged["max_rss_mib"] = sum(r["max_rss_mib"] for r in results)
    return merged


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=15)
    parser.add_argument("--steps", type=int, default=5, help="timed compiled steps")
    parser.add_argument("--reference-steps", type=int, default=2, help="timed reference steps")
    parser.add_argument("--threads", type=int, default=2, help="threads per process")
    parser.add_argument(
        "--processes", type=int, default=1, help="concurrent data-parallel processes"
    )
    parser.add_argument("--quick", action="store_true", help="105 x 105 x 21, batch 3")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args(argv)
    batch = 3 if args.quick else args.batch

    import torch
    from forward import count_flops, matmul_peak

    from retinasim.compile import compile_circuit

    torch.set_num_threads(args.threads)
    peak = matmul_peak()
    spec = make_spec(args.quick, batch)
    circuit = compile_circuit(spec, seed=0)
    kernels = {name: circuit.cells[name].kernel for name in circuit.layer_names}
    flops = count_flops(circuit.plan, kernels).required
    size = f"{spec.input.size[0]}x{spec.input.size[1]}x{spec.input.frames}"
    print(
        f"# {spec.name} training throughput: batch {batch}, {size}, "
        f"{args.processes} process(es) x {args.threads} thread(s), "
        f"torch {torch.__version__}; fp32 matmul peak {peak / 1e9:.1f} GFLOP/s; "
        f"{flops / 1e9:.3f} GFLOP per stimulus and step (forward + needed gradients)"
    )
    runs = [("compiled, training step (dropout 0.4)", "compiled", args.steps)]
    runs.append(("compiled, retinasim.training loop (default profile)", "loop", args.steps + 1))
    if not args.no_reference:
        runs.append(("reference, training step (dropout 0.4)", "reference", args.reference_steps))
    print(
        "\n| model | s/step (best) | s/step (median) | stimuli/s | of which rendering s "
        "| GFLOP/s (% of peak) | peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|")
    results = {}
    for name, kind, steps in runs:
        processes = args.processes if kind in ("compiled", "profile") else 1
        result = in_processes(processes, kind, args.quick, batch, steps, args.threads)
        results[kind] = result
        best = result["seconds_per_step"]
        rate = flops * batch / best
        print(
            f"| {name} | {best:.3f} | {result['median_seconds_per_step']:.3f} | "
            f"{batch / best:.1f} | {result['render_seconds']:.3f} | {rate / 1e9:.1f} "
            f"({100 * rate / peak:.0f}%) | {result['max_rss_mib']:.0f} |",
            flush=True,
        )
    if "reference" in results:
        ratio = results["reference"]["seconds_per_step"] / results["compiled"]["seconds_per_step"]
        print(f"\ncompiled training throughput / reference: {ratio:.1f}x")


if __name__ == "__main__":
    main()
