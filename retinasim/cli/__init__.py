"""The ``retinasim`` command line: each sub-command's module registers it on :data:`app`.

:func:`main`, the console entry point, shows the library's log records on stderr and turns
every :class:`RetinasimError` into one line on stderr and exit code 2 (no traceback). The
library only logs and reports progress; printing is this package's.
"""

from __future__ import annotations

import os
import signal
import sys

import typer

from retinasim.errors import RetinasimError
from retinasim.util.progress import MAX_HOURS_VARIABLE

app = typer.Typer(
    name="retinasim",
    help="Build, train and dissect biologically constrained models of retinal circuits.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    max_hours: float = typer.Option(
        168.0,
        min=0.001,
        max=1e6,
        envvar=MAX_HOURS_VARIABLE,
        help="Stop a task (training, evaluation, recording, an analysis) whose projected "
        "length, from its rate over its first seconds, exceeds this many hours.",
    ),
    memory_check: bool = typer.Option(
        True,
        envvar="RETINASIM_MEMORY_CHECK",
        help="Refuse requests whose memory estimate exceeds what this machine has left "
        "(--no-memory-check: run them anyway).",
    ),
) -> None:
    from retinasim.cli import progress
    from retinasim.util import resources

    progress.MAX_HOURS = max_hours
    resources.CHECK_MEMORY = memory_check


def _register_commands() -> None:
    from retinasim.cli import (
        atlas_commands,
        authors_commands,
        circuit_commands,
        compare_commands,
        receptive_field_commands,
        record_commands,
        run_commands,
        stimulus,
        train_commands,
    )

    circuit_commands.register(app)
    stimulus.register(app)
    train_commands.register(app)
    record_commands.register(app)
    receptive_field_commands.register(app)
    run_commands.register(app)
    compare_commands.register(app)
    authors_commands.register(app)
    atlas_commands.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 bad input, 1 crash).

    Process-wide settings are applied here, once: the allocator (:func:`tune_cpu_allocator`),
    matplotlib's headless backend unless ``MPLBACKEND`` names another, and logging.
    """
    from retinasim.cli.output import command_logging
    from retinasim.util.cpu import tune_cpu_allocator

    tune_cpu_allocator()
    os.environ.setdefault("MPLBACKEND", "Agg")
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with command_logging():
            return _run(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every ``with`` and ``finally`` removes its
    temporaries (training has its own handler: it checkpoints first); exit 143."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _run(argv: list[str] | None) -> int:
    """The command of ``argv``; its exit code."""
    try:
        app(args=argv, prog_name="retinasim")
    except SystemExit as done:  # typer's standalone mode ends every run this way
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except RetinasimError as error:
        print(f"error: {error}" if "\n" not in str(error) else str(error), file=sys.stderr)
        return int(getattr(error, "exit_code", 2))
    except Terminated:
        print("error: terminated (SIGTERM)", file=sys.stderr)
        return 143
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside training's own handling
        print("error: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
