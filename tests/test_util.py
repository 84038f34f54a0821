"""The shared helpers of retinasim.util."""

from __future__ import annotations

from pathlib import Path

import pytest

from retinasim.util.assignments import parse_assignment
from retinasim.util.files import atomic_path
from retinasim.util.text import did_you_mean


def test_did_you_mean_suggests_the_closest_choice_or_nothing() -> None:
    assert did_you_mean("bipolr", ["amacrine", "bipolar"]) == "; did you mean 'bipolar'?"
    assert did_you_mean("xyz", ["amacrine", "bipolar"]) == ""
    option = did_you_mean("radius", ["dot_radius"], cutoff=0.5, show=lambda n: f"--{n}")
    assert option == "; did you mean --dot_radius?"


def test_an_atomic_folder_replaces_the_old_one_and_a_failure_leaves_it(tmp_path: Path) -> None:
    target = tmp_path / "store.zarr"
    for text in ("old", "new"):
        with atomic_path(target, directory=True) as temporary:
            (temporary / "data").write_text(text)
    assert (target / "data").read_text() == "new"
    with pytest.raises(RuntimeError), atomic_path(target, directory=True) as temporary:
        (temporary / "data").write_text("half")
        raise RuntimeError("killed")
    assert (target / "data").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["store.zarr"]  # no temporaries left


def test_one_assignment_parser_names_the_bad_item() -> None:
    assert parse_assignment(" alpha =1.5", "--set") == ("alpha", "1.5")
    assert parse_assignment("n=3", "--set", read=lambda raw, what: int(raw)) == ("n", 3)
    with pytest.raises(KeyError, match=r"--set 'alpha': expected NAME=VALUE, e.g. alpha=1"):
        parse_assignment("alpha", "--set", error=KeyError, form="NAME=VALUE", example="alpha=1")
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        parse_assignment("cores=", "--cluster-option", require_value=True)
