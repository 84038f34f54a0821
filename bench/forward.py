"""Speed of one training step of the compiled murray2021 circuit against the reference model.

A step is what training does per batch: forward, cross-entropy on the decision frame,
backward, Adam, constraint projection. Both models get the same weights, and the run first
checks that they compute the same function (eval mode, float64). Arithmetic is counted
analytically from the circuit, and compared with this machine's float32 matrix-multiply peak
measured in the same run (``torch.mm`` of 4096² matrices, best of several).

Usage::

    python bench/forward.py                  # batch 15, 255 x 255 x 51: the paper's setting
    python bench/forward.py --quick          # smoke test at reduced size
    python bench/forward.py --ablation       # also time the compiled model with each
                                             # optimisation switched off in turn
    python bench/forward.py --profile        # torch.profiler table of one compiled step
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import ReferenceCircuit

from retinasim.circuit import Circuit, CircuitOptions, CircuitPlan
from retinasim.circuit.plan import INPUT
from retinasim.compile import compile_circuit
from retinasim.spec import CircuitSpec, load_circuit
from retinasim.util.cpu import tune_cpu_allocator

CIRCUIT = Path(__file__).resolve().parents[1] / "circuits" / "murray2021.yaml"
LIT_FRACTION = 0.02  # the dot stimulus lights about 2% of the pixels


# -- arithmetic ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Flops:
    """Floating-point operations of one step for one stimulus (multiply-add = 2)."""

    forward: float
    required: float
    """forward + every weight gradient + every input gradient except the stimulus's."""

    @property
    def convention(self) -> float:
        """forward + backward counted as 3 × forward, the usual convention."""
        return 3 * self.forward


def count_flops(plan: CircuitPlan, temporal_kernels: dict[str, int]) -> Flops:
    """Analytic FLOPs of the circuit's convolutions, temporal filters and readout.

    Only taps that touch real frames count (a causal filter of K taps does ``min(t+1, K)``
    multiply-adds at frame ``t``); bias, ReLU and dropout are not counted.
    """
    frames = plan.frames
    forward = weight_grads = input_grads = 0.0
    for c in plan.connections:
        y, x = plan.size(c.target)
        macs = frames * plan.channels(c.target) * plan.channels(c.source) * y * x
        macs *= c.kernel[0] * c.kernel[1]
        forward += macs
        weight_grads += macs
        input_grads += macs if c.source != INPUT else 0.0
    for layer in plan.layers:
        taps = sum(min(t + 1, temporal_kernels[layer.name]) for t in range(frames))
        macs = layer.n_types * layer.size[0] * layer.size[1] * taps
        forward, weight_grads, input_grads = forward + macs, weight_grads + macs, input_grads + macs
    read = plan.layer(plan.readout_layer)
    macs = frames * len(plan.classes) * read.n_types * read.size[0] * read.size[1]
    forward, weight_grads, input_grads = forward + macs, weight_grads + macs, input_grads + macs
    return Flops(forward=2 * forward, required=2 * (forward + weight_grads + input_grads))


def matmul_peak(size: int = 4096, repeats: int = 8) -> float:
    """Best float32 ``torch.mm`` rate of this machine, FLOP/s (measured at the start and again
    at the end of a run; the higher counts, so another job's burst cannot flatter the ratio)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * size**3 / best


# -- steps -----------------------------------------------------------------------------------


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def make_step(model: torch.nn.Module, project: Callable[[], None], video, labels, frame: int):
    """One training step of ``model`` on a fixed batch."""
    optimizer = torch.optim.Adam(model.parameters())

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(video)[:, frame], labels)
        loss.backward()
        optimizer.step()
        project()

    return step


def time_steps(step: Callable[[], None], repeats: int) -> list[float]:
    """Seconds per step, after one warm-up step."""
    step()
    return [_timed(step) for _ in range(repeats)]


def stimulus(spec: CircuitSpec, batch: int, generator: torch.Generator):
    """A sparse random video ``(batch, 1, frames, y, x)`` and random labels."""
    size = (batch, spec.input.channels, spec.input.frames, *spec.input.size)
    video = (torch.rand(size, generator=generator) < LIT_FRACTION).float()
    labels = torch.randint(len(spec.readout.classes), (batch,), generator=generator)
    return video, labels


# -- checks ----------------------------------------------------------------------------------


def compare(circuit: Circuit, batch: int, generator: torch.Generator) -> float:
    """Largest |difference| / max |value| between compiled and reference (eval, float64)."""
    compiled = compile_circuit(circuit.spec, seed=0, dtype=torch.float64).eval()
    compiled.load_state_dict(circuit.state_dict())
    reference = ReferenceCircuit.from_circuit(compiled).eval()
    video, _ = stimulus(circuit.spec, batch, generator)
    video = video.double()
    with torch.no_grad():
        ours = compiled.run(video)
        logits, activity = reference.run(video)
    pairs = [(ours.logits, logits)] + [(ours.activity[k], activity[k]) for k in activity]
    return max(((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item() for a, b in pairs)


# -- report ----------------------------------------------------------------------------------


def _row(name: str, times: list[float], flops: Flops, batch: int, peak: float) -> str:
    best = min(times)
    rate = flops.required * batch / best
    conv_rate = flops.convention * batch / best
    return (
        f"| {name} | {best:.3f} | {statistics.median(times):.3f} | {rate / 1e9:.1f} "
        f"({100 * rate / peak:.0f}%) | {conv_rate / 1e9:.1f} ({100 * conv_rate / peak:.0f}%) |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=5, help="timed compiled steps")
    parser.add_argument("--reference-repeats", type=int, default=2, help="timed reference steps")
    parser.add_argument("--quick", action="store_true", help="105 x 105 x 21, batch 2")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference")
    parser.add_argument("--no-check", action="store_true", help="skip the equality check")
    parser.add_argument("--no-tune-allocator", action="store_true")
    parser.add_argument("--ablation", action="store_true", help="time each option switched off")
    parser.add_argument("--profile", action="store_true", help="profile one compiled step")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    tuned = False if args.no_tune_allocator else tune_cpu_allocator()
    spec = load_circuit(CIRCUIT)
    batch = args.batch
    if args.quick:
        spec = spec.model_copy(
            update={"input": spec.input.model_copy(update={"size": (105, 105), "frames": 21})}
        )
        batch = min(batch, 2)
        args.repeats, args.reference_repeats = min(args.repeats, 2), 1
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)

    peak = matmul_peak()
    circuit = compile_circuit(spec, seed=0)
    kernels = {name: circuit.cells[name].kernel for name in circuit.layer_names}
    flops = count_flops(circuit.plan, kernels)
    print(f"# load average before: {os.getloadavg()[0]:.2f} (other jobs slow every figure)")
    print(
        f"# {spec.name}: batch {batch}, {spec.input.size[0]}x{spec.input.size[1]}x"
        f"{spec.input.frames}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
        f"allocator tuned: {tuned}"
    )
    print(
        f"# arithmetic per stimulus and step: {flops.required / 1e9:.3f} GFLOP required "
        f"(forward {flops.forward / 1e9:.3f}), {flops.convention / 1e9:.3f} GFLOP by the 3x "
        f"convention; fp32 matmul peak at the start {peak / 1e9:.1f} GFLOP/s"
    )
    if not args.no_check:
        error = compare(circuit, 2, generator)
        print(f"# compiled vs reference, float64 eval, 2 stimuli: max relative error {error:.1e}")
        if error > 1e-9:
            raise SystemExit("compiled and reference models disagree")

    video, labels = stimulus(spec, batch, generator)
    frame = circuit.readout_frame
    rows = []
    compiled_times = time_steps(
        make_step(circuit, circuit.project_constraints, video, labels, frame), args.repeats
    )
    rows.append(("compiled", compiled_times))
    if args.ablation:
        for option in dataclasses.fields(CircuitOptions):
            circuit.options = dataclasses.replace(CircuitOptions(), **{option.name: False})
            step = make_step(circuit, circuit.project_constraints, video, labels, frame)
            rows.append((f"compiled, {option.name}=False", time_steps(step, args.repeats)))
        circuit.options = CircuitOptions()
    if not args.no_reference:
        reference = ReferenceCircuit.from_circuit(circuit)
        step = make_step(reference, reference.project_constraints, video, labels, frame)
        rows.append(("reference", time_steps(step, args.reference_repeats)))

    peak = max(peak, matmul_peak())
    print(f"# fp32 matmul peak, best of start and end of the run: {peak / 1e9:.1f} GFLOP/s")
    print()
    print(
        "| model | s/step (best) | s/step (median) | GFLOP/s required (% of peak) "
        "| GFLOP/s 3x convention (% of peak) |"
    )
    print("|---|---|---|---|---|")
    for name, times in rows:
        print(_row(name, times, flops, batch, peak))
    if not args.no_reference:
        ratio = min(rows[-1][1]) / min(compiled_times)
        print(f"\nreference / compiled: {ratio:.1f}x faster")
    print(f"# load average after: {os.getloadavg()[0]:.2f}")

    if args.profile:
        from torch.profiler import profile

        step = make_step(circuit, circuit.project_constraints, video, labels, frame)
        step()
        with profile() as profiler:
            step()
        print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))


if __name__ == "__main__":
    main()
