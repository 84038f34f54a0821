"""``KEY=VALUE`` command-line assignments (``--set``, ``--cluster-option``), parsed one way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ValueReader = Callable[[str, str], Any]
"""Reads an assignment's raw value; the second argument names it for messages
(``"--set learning_rate"``)."""


def _raw(raw: str, what: str) -> str:
    return raw


def parse_assignment(
    text: str,
    option: str,
    *,
    read: ValueReader = _raw,
    error: type[Exception] = ValueError,
    form: str = "KEY=VALUE",
    example: str = "",
    require_value: bool = False,
) -> tuple[str, Any]:
    """``"key=value"`` → ``(key, read(value, f"{option} {key}"))``, the key stripped.

    Parameters
    ----------
    text
        One assignment as given on the command line.
    option
        The option that took it (``--set``), for messages.
    read
        Reads the value (a YAML reader, say); by default the raw text is kept.
    error
        The exception raised for text that is not an assignment, with one line naming it:
        ``--set 'nonsense': expected KEY=VALUE, e.g. learning_rate=3e-3``.
    form, example
        How that line spells an assignment, and an example of one.
    require_value
        Refuse an empty value (``key=``) too.
    """
    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not key or (require_value and not raw.strip()):
        hint = f", e.g. {example}" if example else ""
        raise error(f"{option} {text!r}: expected {form}{hint}")
    return key, read(raw, f"{option} {key}")
