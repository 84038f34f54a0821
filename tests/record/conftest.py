"""Every test here runs on one torch thread (``groundtruth`` is on the pythonpath)."""

from helpers import one_thread  # noqa: F401  (autouse fixture)
