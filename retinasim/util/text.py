"""Small text helpers for messages."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable


def did_you_mean(
    word: str,
    choices: Iterable[str],
    *,
    cutoff: float = 0.6,
    show: Callable[[str], str] = repr,
) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to ``word``, or ``""`` if none is
    close (``cutoff``: :func:`difflib.get_close_matches`'); ``show`` writes the suggestion."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f"; did you mean {show(close[0])}?" if close else ""


def listed(names: list[str], limit: int = 3) -> str:
    """The first ``limit`` names, comma-separated, then ``and N more`` for the rest."""
    extra = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + extra
