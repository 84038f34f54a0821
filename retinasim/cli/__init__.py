"""The ``retinasim`` command line.

Each sub-command lives in its own module of this package and is registered on :data:`app`
here. :func:`main` is the console entry point: it turns every :class:`RetinasimError` into one
clear line on stderr and exit code 2, so users never see a traceback for their own mistakes.
"""

from __future__ import annotations

import sys

import typer

from retinasim.errors import RetinasimError

app = typer.Typer(
    name="retinasim",
    help="Build, train and dissect biologically constrained models of retinal circuits.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    from retinasim.cli import circuit_commands

    circuit_commands.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 user error, 1 crash)."""
    try:
        app(args=argv, standalone_mode=False)
    except RetinasimError as error:
        print(f"error: {error}" if "\n" not in str(error) else str(error), file=sys.stderr)
        return 2
    except typer.Exit as done:
        return done.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("aborted", file=sys.stderr)
        return 130
    except Exception as error:  # click usage errors and the like
        import click

        if isinstance(error, click.ClickException):
            error.show()
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
