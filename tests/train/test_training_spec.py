"""The training section: strict validation with placed errors, and command-line overrides."""

from __future__ import annotations

import pytest
from helpers import TINY_CIRCUIT
from trainhelpers import TINY_TRAINED, tiny_spec

from retinasim.errors import SpecError
from retinasim.spec import load_circuit
from retinasim.spec.training import TrainingSpec
from retinasim.training.errors import TrainingError
from retinasim.training.overrides import apply_overrides, parse_assignment


def issues(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_circuit("c.yaml", text=text)
    return [str(issue) for issue in caught.value.issues]


def test_a_circuit_without_training_section_gets_the_defaults() -> None:
    assert load_circuit("c.yaml", text=TINY_CIRCUIT).training == TrainingSpec()


def test_unknown_training_key_is_placed_with_a_suggestion() -> None:
    text = TINY_CIRCUIT + "training:\n  learning_rat: 0.1\n"
    (line,) = issues(text)
    assert line.startswith("c.yaml:11:3: training.learning_rat: unknown key 'learning_rat'; ")
    assert "did you mean 'learning_rate'?" in line


def test_stimulus_params_are_validated_at_their_position() -> None:
    text = TINY_CIRCUIT + "training:\n  stimulus: {alpha: -1, dot_radus: 2}\n"
    found = issues(text)
    assert found[0] == (
        "c.yaml:11:21: training.stimulus.alpha: Input should be greater than or equal to 0 (got -1)"
    )
    assert found[1].startswith("c.yaml:11:36: training.stimulus.dot_radus: unknown moving-dots ")
    assert "did you mean 'dot_radius'?" in found[1]


def test_stimulus_size_comes_from_the_input_section() -> None:
    (line,) = issues(TINY_CIRCUIT + "training:\n  stimulus: {frames: 3}\n")
    assert "training.stimulus: stimulus frames is set by the circuit's input.frames" in line


def test_steps_and_epochs_exclude_each_other_and_seeds_must_differ() -> None:
    (both,) = issues(TINY_CIRCUIT + "training:\n  steps: 5\n  epochs: 2\n  train_size: 8\n")
    assert both == "c.yaml:11:3: training: give steps or epochs, not both"
    (size,) = issues(TINY_CIRCUIT + "training:\n  epochs: 2\n")
    assert "epochs needs train_size" in size
    (seeds,) = issues(TINY_CIRCUIT + "training:\n  stimulus_seeds: {train: 1, test: 1}\n")
    assert "training.stimulus_seeds: train, validation and test seeds must differ" in seeds


def test_epochs_count_steps_over_the_fixed_set() -> None:
    spec = tiny_spec(steps=None, epochs=3, train_size=40, batch_size=16)
    assert spec.training.total_steps() == 8  # ceil(3 * 40 / 16)


def test_overrides_apply_and_revalidate() -> None:
    spec = load_circuit("c.yaml", text=TINY_TRAINED)
    changed = apply_overrides(
        spec,
        dict(
            [
                parse_assignment("learning_rate=1e-2"),
                parse_assignment("stimulus.alpha=3"),
                parse_assignment("dropout=0.25"),
            ]
        )
        | {"epochs": 2, "train_size": 64, "training.dropout": None},
    )
    assert changed.training.learning_rate == 0.01
    assert changed.training.stimulus["alpha"] == 3
    assert changed.dropout == 0.25
    assert changed.training.steps is None and changed.training.epochs == 2
    assert changed.training.batch_size == spec.training.batch_size
    assert changed.training.dropout is None


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("learning_rate=-1", "training.learning_rate: Input should be greater than 0"),
        ("learnin_rate=1", "training.learnin_rate: unknown setting"),
        ("stimulus.alpha=x", "training.stimulus.alpha: Input should be a valid number"),
        ("nonsense", "expected KEY=VALUE"),
    ],
)
def test_bad_overrides_name_the_setting(assignment: str, expected: str) -> None:
    spec = load_circuit("c.yaml", text=TINY_TRAINED)
    with pytest.raises(TrainingError, match=expected.replace(".", r"\.")):
        apply_overrides(spec, dict([parse_assignment(assignment)]))
