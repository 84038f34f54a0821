"""Shared fixtures: fresh plugins for every test and a throwaway plugin distribution."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import GOOD_PLUGIN, write_distribution

from retinasim import plugins


@pytest.fixture(autouse=True)
def fresh_plugins() -> Iterator[None]:
    """Every test starts and ends with freshly loaded plugins."""
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on ``sys.path`` holding a real installed plugin distribution."""
    site = tmp_path / "site"
    site.mkdir()
    write_distribution(
        site, "retinasim_rectifier", "1.2.3", {"rectifier": "retinasim_rectifier"}, GOOD_PLUGIN
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("retinasim_")]:
        del sys.modules[name]
