"""Where a command's messages go: the library logs, the command line shows the records on
stderr (:func:`command_logging`): through rich on a terminal (above the progress bars, which
share :func:`stderr_console`), otherwise as plain timestamped lines::

    12:04:31 resuming runs/a from step 200
    12:04:35 warning: no ganglion cell was active in steps 201-210: ...

(the format the logs of batch jobs have always had; ``bench/main_job.py`` parses it).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

PACKAGE = "retinasim"
"""The logger every library module's logger descends from."""
_CONSOLE: list[Console] = []


class PlainFormatter(logging.Formatter):
    """``HH:MM:SS text``; a warning or error says so: ``HH:MM:SS warning: text``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(message)s", "%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The line of ``record`` (its message already merged with its arguments)."""
        level = f"{record.levelname.lower()}: " if record.levelno >= logging.WARNING else ""
        return f"{record.asctime} {level}{record.message}"


class StderrHandler(logging.StreamHandler):
    """A stream handler writing to whatever ``sys.stderr`` is when a record comes."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        """The current ``sys.stderr``."""
        return sys.stderr


def stderr_console() -> Console:
    """The rich console on stderr that log messages and progress bars share."""
    if not _CONSOLE:
        from rich.console import Console

        _CONSOLE.append(Console(stderr=True))
    return _CONSOLE[0]


@contextlib.contextmanager
def command_logging() -> Iterator[logging.Handler]:
    """Show the library's log records (INFO and above) on stderr while the block runs; the
    previous logging setup is restored after it (a command run inside another program)."""
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(
            console=stderr_console(), show_path=False, markup=False, log_time_format="[%X]"
        )
    else:
        handler = StderrHandler()
        handler.setFormatter(PlainFormatter())
    root, package = logging.getLogger(), logging.getLogger(PACKAGE)
    level = package.level
    root.addHandler(handler)
    package.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        package.setLevel(level)
