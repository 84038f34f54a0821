"""The shared helpers of retinasim.util."""

from __future__ import annotations

from retinasim.util.text import did_you_mean


def test_did_you_mean_suggests_the_closest_choice_or_nothing() -> None:
    assert did_you_mean("bipolr", ["amacrine", "bipolar"]) == "; did you mean 'bipolar'?"
    assert did_you_mean("xyz", ["amacrine", "bipolar"]) == ""
    option = did_you_mean("radius", ["dot_radius"], cutoff=0.5, show=lambda n: f"--{n}")
    assert option == "; did you mean --dot_radius?"
