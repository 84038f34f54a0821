"""Command-line options derived from a settings model: declared once, validated once."""

from __future__ import annotations

import json

import pytest
import typer
from pydantic import Field
from typer.testing import CliRunner

from retinasim.cli.settings import merged, settings_options
from retinasim.dissect.config import AnalysisConfig
from retinasim.util.settings import Settings, SettingsError


class Sizes(Settings):
    count: int = Field(3, ge=1, description="How many things.")
    rate: float = Field(0.5, gt=0, le=1, description="A fraction.")


def _app(keep_unset: bool) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @settings_options(Sizes, keep_unset=keep_unset)
    def show(name: str, *, settings) -> None:
        chosen = settings if keep_unset else settings.to_dict()
        typer.echo(json.dumps({"name": name, **chosen}))

    @app.command()
    def other() -> None:  # a second command keeps typer from folding the app into one
        pass

    return app


def test_every_field_becomes_an_option_with_its_default_and_help() -> None:
    runner = CliRunner()
    done = runner.invoke(_app(False), ["show", "x"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"name": "x", "count": 3, "rate": 0.5}
    done = runner.invoke(_app(False), ["show", "x", "--count", "7", "--rate", "0.25"])
    assert json.loads(done.output) == {"name": "x", "count": 7, "rate": 0.25}
    helped = runner.invoke(_app(False), ["show", "--help"]).output
    assert "How many things." in helped and "A fraction." in helped


def test_a_value_out_of_bounds_names_the_option() -> None:
    with pytest.raises(SettingsError, match=r"^--rate: .*less than or equal to 1 \(got 2\.0\)$"):
        _app(False)(["show", "x", "--rate", "2"], standalone_mode=False)


def test_keep_unset_hands_over_only_the_options_given() -> None:
    done = CliRunner().invoke(_app(True), ["show", "x", "--count", "9"])
    assert json.loads(done.output) == {"name": "x", "count": 9}


def test_saved_settings_fill_what_was_not_given_and_unknown_saved_keys_are_dropped() -> None:
    saved = {"n_stimuli": 24, "alpha_step": 0.25, "from_a_newer_version": 1}
    config = merged(AnalysisConfig, saved, {"alpha_step": 1.0})
    assert config.n_stimuli == 24 and config.alpha_step == 1.0
    assert config.deepvis_iterations == AnalysisConfig().deepvis_iterations


def test_the_analysis_settings_refuse_bad_values_in_one_line_each() -> None:
    from retinasim.dissect import DissectionError

    with pytest.raises(DissectionError, match="n_stimuli: Input should be greater than or"):
        AnalysisConfig(n_stimuli=0)
    with pytest.raises(DissectionError, match="need alpha_step <= alpha_max"):
        AnalysisConfig(alpha_step=5, alpha_max=4)
    with pytest.raises(DissectionError, match="unknown_size: Extra inputs are not permitted"):
        AnalysisConfig(unknown_size=3)
    assert AnalysisConfig(alpha_step=1).alphas == [0.0, 1.0, 2.0, 3.0, 4.0]
