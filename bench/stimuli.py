"""Moving-dots generation throughput against the authors'-style reference and memory bandwidth.

Run as ``python bench/stimuli.py [--batches N] [--batch-size B] [--threads T]``. Prints one table:

- **reference**: a straightforward generator written the way the authors' code works (Python
  loops over frames, dots and pixels; whole-pixel positions; 150 dots of radius 5 on a
  765 × 765 scene cropped to 255 × 255); only a couple of stimuli are timed;
- **retinasim**: :class:`retinasim.stimuli.MovingDots` at full resolution
  (255 × 255 × 51, float32), batches of ``B``, into freshly allocated memory (what a training
  loop gets) and into one reused buffer (``render_discs(..., out=)``, the rendering cost alone);
- **memory floor**: the same number of bytes written by a plain torch copy, into fresh memory
  (``clone``: allocation and page faults included) and into a preallocated tensor (``copy_``).

Columns: stimuli per second, milliseconds per stimulus, bytes written per second, speed-up over
the reference, and the ratio to the matching memory floor (1.0 = as fast as copying the bytes).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch

from retinasim.stimuli import MovingDots

HEIGHT = WIDTH = 255
FRAMES = 51
BYTES_PER_STIMULUS = FRAMES * HEIGHT * WIDTH * 4  # float32


def reference_stimulus(generator: np.random.Generator, alpha: float = 2.0) -> np.ndarray:
    """One stimulus the authors' way: loops over frames, dots and pixels, whole pixels."""
    scene, radius, dots = 3 * WIDTH, 5, 150
    s = generator.uniform(0.5, 1.5)
    slow_is_left = generator.random() < 0.5
    x = generator.uniform(0, scene, dots)
    y = generator.uniform(0, scene, dots)
    moves_right = generator.random(dots) < 0.5
    video = np.zeros((FRAMES, HEIGHT, WIDTH), dtype=np.float32)
    for frame in range(FRAMES):
        canvas = np.zeros((scene, scene), dtype=np.float32)
        for dot in range(dots):
            fast = moves_right[dot] == slow_is_left
            speed = alpha * s if fast else s
            centre_x = round(x[dot] + (speed if moves_right[dot] else -speed) * frame)
            centre_y = round(y[dot])
            for row in range(centre_y - radius, centre_y + radius + 1):
                for column in range(centre_x - radius, centre_x + radius + 1):
                    inside = (row - centre_y) ** 2 + (column - centre_x) ** 2 <= radius**2
                    if inside and 0 <= row < scene and 0 <= column < scene:
                        canvas[row, column] = 1.0
        video[frame] = canvas[WIDTH : 2 * WIDTH, HEIGHT : 2 * HEIGHT]
    return video


def seconds_per_call(work: Callable[[], object], repeats: int) -> float:
    """Best of ``repeats`` timings of ``work()`` after one warm-up call (seconds)."""
    work()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def measure(task: MovingDots, size: int, repeats: int, device: torch.device) -> list[tuple]:
    """Rows ``(name, seconds per stimulus, floor seconds per stimulus)`` on ``device``."""

    def synchronised(work: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            work()
            if device.type == "cuda":
                torch.cuda.synchronize()

        return run

    numel = size * BYTES_PER_STIMULUS // 4
    source = torch.rand(numel, device=device)
    target = torch.empty(numel, device=device)
    fresh_floor = seconds_per_call(synchronised(source.clone), repeats) / size
    reused_floor = seconds_per_call(synchronised(lambda: target.copy_(source)), repeats) / size

    batches = iter(range(10**9))  # new stimuli every call

    def fresh() -> object:
        return task.generate_range(next(batches) * size, size, seed=0, device=device)

    buffer = torch.empty(size, 1, FRAMES, HEIGHT, WIDTH, device=device)

    def reused() -> object:
        start = next(batches) * size
        return task.generate_range(start, size, seed=0, device=device, out=buffer)

    where = "" if device.type == "cpu" else f" ({device.type})"
    fresh_time = seconds_per_call(synchronised(fresh), repeats) / size
    reused_time = seconds_per_call(synchronised(reused), repeats) / size
    return [
        (f"retinasim, fresh memory{where}", fresh_time, fresh_floor),
        (f"retinasim, reused buffer{where}", reused_time, reused_floor),
        (f"copy, fresh memory (clone){where}", fresh_floor, fresh_floor),
        (f"copy, preallocated (copy_){where}", reused_floor, reused_floor),
    ]


def print_table(title: str, reference: float, rows: list[tuple]) -> None:
    print(title)
    header = f"{'method':38} {'stim/s':>9} {'ms/stim':>9} {'GB/s':>7} {'x ref':>7} {'x floor':>8}"
    print(header)
    print("-" * len(header))
    print(
        f"{'reference (Python loops, authors)':38} {1 / reference:9.2f} {reference * 1e3:9.1f} "
        f"{BYTES_PER_STIMULUS / reference / 1e9:7.3f} {1.0:7.0f} {'':>8}"
    )
    for name, seconds, floor in rows:
        print(
            f"{name:38} {1 / seconds:9.1f} {seconds * 1e3:9.2f} "
            f"{BYTES_PER_STIMULUS / seconds / 1e9:7.2f} {reference / seconds:7.0f} "
            f"{seconds / floor:8.2f}"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8, help="timed batches (best is kept)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--reference-stimuli", type=int, default=2)
    parser.add_argument("--threads", default="1,2", help="CPU thread counts to try, e.g. 1,2")
    options = parser.parse_args()
    task = MovingDots()

    start = time.perf_counter()
    generator = np.random.default_rng(0)
    for _ in range(options.reference_stimuli):
        reference_stimulus(generator)
    reference = (time.perf_counter() - start) / options.reference_stimuli

    size = options.batch_size
    print(
        f"moving dots, {HEIGHT}x{WIDTH}x{FRAMES} float32 ({BYTES_PER_STIMULUS / 1e6:.1f} MB per "
        f"stimulus), batch {size}, torch {torch.__version__}; best of {options.batches} batches\n"
    )
    for threads in (int(text) for text in options.threads.split(",")):
        torch.set_num_threads(threads)
        rows = measure(task, size, options.batches, torch.device("cpu"))
        print_table(f"CPU, {threads} thread(s)", reference, rows)
    if torch.cuda.is_available():
        rows = measure(task, size, options.batches, torch.device("cuda"))
        print_table(f"CUDA, {torch.cuda.get_device_name()}", reference, rows)
    print(
        "x ref: speed-up over the reference; x floor: time per stimulus / time to copy its "
        "bytes\n(fresh-memory rows against clone, reused-buffer rows against copy_)"
    )


if __name__ == "__main__":
    main()
