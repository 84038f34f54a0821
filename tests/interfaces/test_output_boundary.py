"""Only the command line prints: library modules log, report progress and return results."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "retinasim"
PENDING = {"retinasim/authors/reference.py", "retinasim/report/authors_reference.py"}
"""Modules still to move their printing into the command line."""
HANDLERS = {"retinasim/training/distributed.py"}
"""Forwards the records of processes it spawns to the spawning process (not an output)."""


def library_modules() -> list[Path]:
    """Every module of the package outside ``retinasim/cli``."""
    return [p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts[:1]]


def calls(path: Path) -> set[str]:
    """The dotted names called in ``path`` (``print``, ``console.print``, ...)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            names.add(ast.unparse(node.func))
    return names


def test_library_modules_do_not_print() -> None:
    shown = {"print", "console.print", "sys.stderr.write", "sys.stdout.write", "warnings.warn"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(calls(path) & shown)
        for path in library_modules()
        if calls(path) & shown and str(path.relative_to(ROOT)) not in PENDING
    }
    assert not offenders, offenders


def test_library_modules_do_not_configure_logging() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in library_modules()
        if any(n.endswith(("basicConfig", "addHandler")) for n in calls(path))
        and str(path.relative_to(ROOT)) not in HANDLERS
    ]
    assert not offenders, offenders
