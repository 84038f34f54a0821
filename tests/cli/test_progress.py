"""Progress in a log: timestamped start, noted, periodic and final lines with count and rate;
on a terminal: rich bars with the note. Logging: plain ``HH:MM:SS text`` lines in a log."""

from __future__ import annotations

import io
import logging
import re

from rich.console import Console

from retinasim.cli import main
from retinasim.cli import progress as progress_module
from retinasim.cli.output import PlainFormatter, command_logging
from retinasim.cli.progress import BarProgress, PlainProgress

PHASE_LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<task>.+?): (?P<done>\d+)/\d+ in (?P<s>[\d.]+) s")
"""``bench/main_job.py``'s pattern of a finished phase."""


def lines(caplog) -> list[str]:
    """The progress lines logged, formatted as the command line writes them in a log."""
    formatter = PlainFormatter()
    return [formatter.format(r) for r in caplog.records if r.name == progress_module.__name__]


def test_a_task_logs_its_start_and_its_end_with_the_rate_once(caplog):
    caplog.set_level(logging.INFO, logger="retinasim")
    report = PlainProgress()
    for done in (0, 16, 32, 32):
        report("lesion scan", done, 32)
    logged = lines(caplog)
    assert re.fullmatch(r"\d\d:\d\d:\d\d lesion scan: 0/32", logged[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d lesion scan: 32/32 in [\d.]+ s( \([\d.]+/s\))?", logged[1])
    assert PHASE_LINE.match(logged[1])["task"] == "lesion scan"
    assert len(logged) == 2  # nothing between start and end within LOG_EVERY_S; the end once


def test_a_long_task_logs_while_it_runs(monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="retinasim")
    report = PlainProgress()
    report("psychometric curve", 0, 100)
    monkeypatch.setattr(progress_module, "LOG_EVERY_S", 0.0)
    report("psychometric curve", 40, 100)
    assert re.search(r"psychometric curve: 40/100 \([\d.]+/s\)$", lines(caplog)[-1])


def test_every_noted_call_is_a_line_with_its_note(caplog):
    caplog.set_level(logging.INFO, logger="retinasim")
    report = PlainProgress()
    report("training", 0, 100)
    report("training", 10, 100, "loss 0.5000  acc 0.750")
    report("training", 20, 100, "loss 0.4000  acc 0.800")
    logged = lines(caplog)
    assert logged[0].endswith("training: 0/100")
    assert re.search(r"training: 10/100( \([\d.]+/s\))?  loss 0.5000  acc 0.750$", logged[1])
    assert logged[2].endswith("loss 0.4000  acc 0.800") and len(logged) == 3


def test_rich_bars_show_the_note():
    stream = io.StringIO()
    with BarProgress(Console(file=stream, force_terminal=True, width=200)) as bars:
        bars("training", 0, 100)
        bars("training", 10, 100, "loss 0.5000  acc 0.750  val 0.800  30.0 stim/s")
    assert "loss 0.5000  acc 0.750  val 0.800  30.0 stim/s" in stream.getvalue()


def test_a_log_has_plain_timestamped_lines_and_warnings_say_so(capsys):
    with command_logging():
        logging.getLogger("retinasim.training.loop").info("resuming %s from step %d", "a", 3)
        logging.getLogger("retinasim.training.loop").warning("no ganglion cell was active")
        logging.getLogger("retinasim.training.loop").debug("not shown")
    logging.getLogger("retinasim.training.loop").info("after the command: not shown")
    err = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d resuming a from step 3", err[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d warning: no ganglion cell was active", err[1])
    assert len(err) == 2


def test_main_leaves_logging_as_it_found_it():
    handlers = list(logging.getLogger().handlers)
    level = logging.getLogger("retinasim").level
    main(["--help"])
    assert logging.getLogger().handlers == handlers
    assert logging.getLogger("retinasim").level == level
