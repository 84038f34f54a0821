"""Progress of a training run: a live rich bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol


class Reporter(Protocol):
    """What the training loop tells the outside world."""

    def start(self, total: int, done: int) -> None: ...
    def update(self, step: int, metrics: dict[str, Any]) -> None: ...
    def message(self, text: str) -> None: ...
    def close(self) -> None: ...


def _summary(metrics: dict[str, Any]) -> str:
    parts = [f"loss {metrics['loss']:.4f}", f"acc {metrics['train_accuracy']:.3f}"]
    if metrics.get("validation_accuracy") is not None:
        parts.append(f"val {metrics['validation_accuracy']:.3f}")
    parts.append(f"{metrics['stimuli_per_s']:.1f} stim/s")
    parts.append(f"lr {metrics['learning_rate']:.2e}")
    if metrics.get("dropout"):
        parts.append(f"dropout {metrics['dropout']:.2f}")
    return "  ".join(parts)


class PlainReporter:
    """One line per logged step on ``stream`` (for logs, pipes and batch jobs)."""

    def __init__(self, stream: Any = None):
        self.stream = stream or sys.stderr
        self.total = 0

    def start(self, total: int, done: int) -> None:
        self.total = total
        self.message(f"training: steps {done}/{total}")

    def update(self, step: int, metrics: dict[str, Any]) -> None:
        self.message(f"step {step}/{self.total}  {_summary(metrics)}")

    def message(self, text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {text}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichReporter:
    """A live progress bar with loss, accuracy and speed."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[summary]}"),
            console=console or Console(stderr=True),
        )
        self.task: Any = None

    def start(self, total: int, done: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("train", total=total, completed=done, summary="")

    def update(self, step: int, metrics: dict[str, Any]) -> None:
        self.progress.update(self.task, completed=step, summary=_summary(metrics))

    def message(self, text: str) -> None:
        self.progress.console.print(text)

    def close(self) -> None:
        self.progress.stop()


class SilentReporter:
    """Reports nothing (library use, non-zero ranks)."""

    def start(self, total: int, done: int) -> None:
        pass

    def update(self, step: int, metrics: dict[str, Any]) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def default_reporter() -> Reporter:
    """Rich bar when stderr is a terminal, plain lines otherwise."""
    return RichReporter() if sys.stderr.isatty() else PlainReporter()


def _condition(alpha: float | None) -> str:
    return "as trained" if alpha is None else f"alpha = {alpha:g}"


@contextlib.contextmanager
def evaluation_progress(total: int, stream: Any = None) -> Iterator[Callable[..., None]]:
    """A ``progress(alpha, done, total=n)`` callback: a rich bar on a terminal, else one line
    per finished ``alpha`` (None: a task tested as trained) on ``stream`` (stderr)."""
    stream = stream or sys.stderr
    if not stream.isatty():
        clock = {"start": time.perf_counter()}  # when the current alpha started

        def plain(alpha: float | None, done: int, total: int) -> None:
            if done == total:
                seconds = max(time.perf_counter() - clock["start"], 1e-9)
                print(
                    f"{time.strftime('%H:%M:%S')} evaluated {_condition(alpha)} on {total} "
                    f"stimuli in {seconds:.1f} s ({total / seconds:.1f}/s)",
                    file=stream,
                    flush=True,
                )
                clock["start"] = time.perf_counter()

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream)) as bar:
        task = bar.add_task("evaluating", total=total)
        finished: dict[float | None, int] = {}

        def live(alpha: float | None, done: int, total: int) -> None:
            finished[alpha] = done
            description = f"evaluating {_condition(alpha)}"
            bar.update(task, completed=sum(finished.values()), description=description)

        yield live
