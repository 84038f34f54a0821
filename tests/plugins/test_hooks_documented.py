"""Every hook of ``retinasim/plugins/hookspecs.py`` is tested and has a documented example
(the meta-tests of datasette's ``tests/test_docs.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import ROOT

from retinasim.plugins import hookspecs

HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("retinasim_") and hasattr(value, f"{hookspecs.PROJECT_NAME}_spec")
)
GUIDE = (ROOT / "docs" / "plugins.md").read_text()
TESTS = [
    path
    for folder in (ROOT / "tests", *(ROOT / "plugins").glob("*/tests"))
    for path in folder.rglob("test_*.py")
    if path.name != Path(__file__).name
]


def test_the_hooks_are_found() -> None:
    assert {"retinasim_cell_types", "retinasim_stimuli"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    assert any(hook in path.read_text() for path in TESTS), f"no test mentions {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_documented_example(hook: str) -> None:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE, re.S)
    assert any(re.search(rf"@hookimpl\s*\ndef {hook}\(", block) for block in blocks), (
        f"docs/plugins.md has no example implementing {hook}"
    )
    assert f"`{hook}()`" in GUIDE, f"docs/plugins.md's table of hooks does not list {hook}"
