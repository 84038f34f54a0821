"""A saved light dissection is reused while its settings and the dissection's code are
unchanged, and redone when either changes (content hashes, no version to bump)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import retinasim.compare.dissect
from retinasim.compare import runs
from retinasim.compare.settings import RunSettings
from retinasim.util.fingerprint import source_hash


def test_a_changed_setting_or_code_redoes_the_dissection_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[tuple[int, float]] = []

    def light_dissection(folder: Path, *, n: int, threshold: float) -> dict:
        made.append((n, threshold))
        return {"baseline_accuracy": 1.0}

    monkeypatch.setattr(retinasim.compare.dissect, "light_dissection", light_dissection)
    settings = RunSettings(n_dissect=8)
    job = runs.RunJob(
        circuit_file="c.yaml", label="c", seed=0, out=str(tmp_path), settings=settings
    )
    folder = tmp_path / "run"
    folder.mkdir()
    for _ in range(2):
        saved = runs._dissection(job, folder, fresh=False)
    assert made == [(8, 0.95)]  # the second call reused the saved one
    assert saved["settings"] == {"n": 8, "threshold": 0.95, "code": runs.dissection_code()}
    other = replace(job, settings=RunSettings(n_dissect=8, threshold=0.9))
    runs._dissection(other, folder, fresh=False)
    runs._dissection(other, folder, fresh=False)
    assert made == [(8, 0.95), (8, 0.9)]
    runs._dissection(other, folder, fresh=True)  # a newly trained run
    monkeypatch.setattr(runs, "DISSECTION_CODE", ("retinasim.util.text",))  # other code
    runs._dissection(other, folder, fresh=False)
    assert made == [(8, 0.95), (8, 0.9), (8, 0.9), (8, 0.9)]


def test_the_source_hash_follows_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = tmp_path / "hashed_example"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "step.py").write_text("X = 1\n")
    before = source_hash("hashed_example")
    assert source_hash("hashed_example") == before and len(before) == 16
    (package / "step.py").write_text("X = 2\n")
    source_hash.cache_clear()
    assert source_hash("hashed_example") != before
    assert source_hash("hashed_example.step") != source_hash("hashed_example")
