from helpers import one_thread  # noqa: F401  (one_thread: autouse fixture)
