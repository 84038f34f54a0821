"""Which stimuli each step and process draws, and the learning-rate schedule."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from trainhelpers import tiny_spec

from retinasim.training.data import train_indices
from retinasim.training.errors import TrainingError
from retinasim.training.schedule import dropout_probability, learning_rate


def test_ranks_split_the_global_batch_into_disjoint_contiguous_shares() -> None:
    training = tiny_spec(batch_size=8).training
    whole = train_indices(training, 3)
    shares = [train_indices(training, 3, rank, 4) for rank in range(4)]
    assert torch.equal(torch.cat(shares), whole)
    assert torch.equal(whole, torch.arange(24, 32))


def test_a_batch_that_does_not_split_is_refused() -> None:
    with pytest.raises(TrainingError, match="does not split evenly over 3 processes"):
        train_indices(tiny_spec(batch_size=8).training, 0, 0, 3)


def test_fixed_training_set_is_a_permutation_per_epoch_and_a_pure_function() -> None:
    training = tiny_spec(steps=None, epochs=2, train_size=12, batch_size=4).training
    epoch0 = torch.cat([train_indices(training, step) for step in range(3)])
    epoch1 = torch.cat([train_indices(training, step) for step in range(3, 6)])
    assert sorted(epoch0.tolist()) == list(range(12)) == sorted(epoch1.tolist())
    assert not torch.equal(epoch0, epoch1)
    assert torch.equal(train_indices(training, 4), train_indices(training, 4))


def test_schedule_warms_up_then_decays_to_the_final_fraction() -> None:
    training = tiny_spec(
        steps=100, learning_rate=1.0, warmup_steps=9, schedule="cosine", final_lr_fraction=0.1
    ).training
    rates = [learning_rate(training, step) for step in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert rates[99] == pytest.approx(0.1)
    assert all(a >= b for a, b in itertools.pairwise(rates[9:]))
    assert math.isclose(learning_rate(tiny_spec(schedule="constant").training, 1000), 0.003)


def test_dropout_is_off_until_its_start_then_ramps_linearly_to_its_value() -> None:
    training = tiny_spec(dropout_start=10, dropout_ramp_steps=3).training
    probabilities = [dropout_probability(training, step, 0.4) for step in range(16)]
    assert probabilities[:10] == [0.0] * 10
    assert probabilities[10:14] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert probabilities[14:] == [0.4, 0.4]
    assert dropout_probability(tiny_spec().training, 0, 0.4) == 0.4  # no warm-up: at once


def test_dropout_cools_down_to_nearly_zero_over_the_last_steps() -> None:
    training = tiny_spec(steps=20, dropout_start=2, dropout_ramp_steps=1, dropout_cooldown_steps=4)
    probabilities = [dropout_probability(training.training, step, 0.5) for step in range(20)]
    assert probabilities[:2] == [0.0, 0.0] and probabilities[3:16] == [0.5] * 13
    assert probabilities[16:] == pytest.approx([0.4, 0.3, 0.2, 0.1])
