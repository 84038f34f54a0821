"""Every file in ``tests/spec/invalid`` fails with exactly the issues its header announces.

Each file starts with ``# expect: LINE:COL path: message`` lines (or ``# expect: message`` for
problems without a position); the loader must report those issues and no others.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from retinasim.errors import SpecError
from retinasim.plugins import manager
from retinasim.spec import load_circuit

INVALID = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))


def expected_issues(file: Path) -> list[str]:
    lines = file.read_text().splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def rendered(error: SpecError, file: Path) -> list[str]:
    prefix = f"{file}:"
    out = []
    for issue in error.issues:
        text = str(issue).removeprefix(prefix)
        out.append(text.replace(": ", " ", 1) if issue.line is not None else text.lstrip(": "))
    return out


def test_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 25


@pytest.mark.parametrize("file", INVALID, ids=lambda f: f.stem)
def test_invalid_spec_reports_exact_issues(file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Built-in cell types only: messages list the registered ones, whatever else is installed.
    monkeypatch.setattr(manager.metadata, "entry_points", lambda **_: [])
    expected = expected_issues(file)
    assert expected, f"{file.name} announces no expected issue"
    with pytest.raises(SpecError) as caught:
        load_circuit(file)
    assert rendered(caught.value, file) == expected
    assert all(issue.file == str(file) for issue in caught.value.issues)
