"""The HTML report of a run folder: :func:`build_report` (``report.html``, self-contained)."""

from retinasim.report.html import build_report

__all__ = ["build_report"]
