"""Phase progress in a log: timestamped start, periodic and final lines with count and rate."""

from __future__ import annotations

import io
import re

from retinasim.cli import progress as progress_module
from retinasim.cli.progress import PlainProgress


def test_a_task_logs_its_start_and_its_end_with_the_rate_once():
    stream = io.StringIO()
    report = PlainProgress(stream)
    for done in (0, 16, 32, 32):
        report("lesion scan", done, 32)
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d lesion scan: 0/32", lines[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d lesion scan: 32/32 in [\d.]+ s( \([\d.]+/s\))?", lines[1])
    assert len(lines) == 2  # nothing between start and end within LOG_EVERY_S; the end once


def test_a_long_task_logs_while_it_runs(monkeypatch):
    stream = io.StringIO()
    report = PlainProgress(stream)
    report("psychometric curve", 0, 100)
    monkeypatch.setattr(progress_module, "LOG_EVERY_S", 0.0)
    report("psychometric curve", 40, 100)
    assert re.search(r"psychometric curve: 40/100 \([\d.]+/s\)$", stream.getvalue())
