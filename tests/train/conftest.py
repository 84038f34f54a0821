"""Every training test runs on one torch thread (``trainhelpers`` is on the pythonpath)."""

from __future__ import annotations

from helpers import one_thread  # noqa: F401  (autouse fixture)
