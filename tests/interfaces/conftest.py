"""Every test here runs on one torch thread."""

from helpers import one_thread  # noqa: F401  (autouse fixture)
