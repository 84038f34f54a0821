"""``KEY=VALUE`` command-line assignments (``--set``, ``--cluster-option``), parsed one way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _raw(raw: str, what: str) -> str:
    return raw


def parse_assignment(
    text: str,
    option: str,
    *,
    read: Callable[[str, str], Any] = _raw,
    error: type[Exception] = ValueError,
    form: str = "KEY=VALUE",
    example: str = "",
    require_value: bool = False,
) -> tuple[str, Any]:
    """``"key=value"`` → ``(key, read(value, f"{option} {key}"))``, the key stripped.

    ``read(raw, name)`` reads the value (by default the raw text is kept; ``name`` is
    ``"--set learning_rate"``, for messages). Text that is no assignment of
    ``form`` (or, with ``require_value``, has an empty value) raises ``error`` with one line naming
    ``option``: ``--set 'nonsense': expected KEY=VALUE, e.g. learning_rate=3e-3`` (``example``)."""
    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not key or (require_value and not raw.strip()):
        hint = f", e.g. {example}" if example else ""
        raise error(f"{option} {text!r}: expected {form}{hint}")
    return key, read(raw, f"{option} {key}")
