"""Every test of the authors' models runs on one torch thread."""

from __future__ import annotations

from helpers import one_thread  # noqa: F401  (autouse fixture)
