"""Byte-level dropout masks: exact keep probability, PyTorch's seeding, layout kept."""

from __future__ import annotations

import math

import pytest
import torch

from retinasim.circuit.dropout import dropout, dropout_scale, fill_bernoulli_


def bernoulli_mask(count: int, keep: float) -> torch.Tensor:
    return fill_bernoulli_(torch.empty(count, dtype=torch.bool), keep)


@pytest.mark.parametrize("keep", [0.6, 0.5, 0.9, 0.999, 0.003, 1 / 3])
def test_keep_frequency_matches_the_probability(keep: float) -> None:
    torch.manual_seed(0)
    count = 4_000_000
    frequency = bernoulli_mask(count, keep).double().mean().item()
    sd = math.sqrt(keep * (1 - keep) / count)
    assert abs(frequency - keep) < 5 * sd


def test_ties_are_resolved_not_rounded() -> None:
    """0.6 * 256 = 153.6: rounding to 153/256 = 0.5977 would be ~10 standard deviations off."""
    torch.manual_seed(1)
    count = 4_000_000
    frequency = bernoulli_mask(count, 0.6).double().mean().item()
    assert abs(frequency - 0.6) < 5 * math.sqrt(0.24 / count)
    assert abs(frequency - 153 / 256) > 5 * math.sqrt(0.24 / count)


def test_extreme_probabilities() -> None:
    assert bernoulli_mask(1000, 1.0).all()
    assert not bernoulli_mask(1000, 0.0).any()


def test_masks_follow_torch_manual_seed() -> None:
    torch.manual_seed(7)
    first = bernoulli_mask(10_000, 0.6)
    torch.manual_seed(7)
    assert torch.equal(first, bernoulli_mask(10_000, 0.6))


def test_scale_mask_values_and_layout() -> None:
    reference = torch.empty(2, 5, 3, 4, 4).transpose(1, 2)  # stored frames-major
    mask = dropout_scale(reference, 0.4)
    assert mask.stride() == reference.stride()
    assert (mask.eq(0) | mask.isclose(torch.tensor(1 / 0.6))).all()


def test_dropout_is_unbiased_and_identity_when_not_training() -> None:
    torch.manual_seed(2)
    x = torch.full((1_000_000,), 2.0)
    assert dropout(x, 0.4, training=False) is x
    assert dropout(x, 0.0, training=True) is x
    dropped = dropout(x, 0.4, training=True)
    assert abs(dropped.mean().item() - 2.0) < 0.01
    assert abs(dropped.eq(0).double().mean().item() - 0.4) < 0.005


def test_pytorch_path_when_asked_for() -> None:
    torch.manual_seed(3)
    x = torch.ones(100_000, dtype=torch.float64)
    dropped = dropout(x, 0.25, training=True, fast=False)
    assert dropped.dtype == torch.float64
    assert abs(dropped.eq(0).double().mean().item() - 0.25) < 0.01


def test_tie_search_finds_exactly_the_equal_bytes() -> None:
    from retinasim.circuit.dropout import _tie_positions

    torch.manual_seed(4)
    words = torch.empty(50_000, dtype=torch.int64).random_(-(2**63), None)
    count = 8 * 50_000 - 5
    for value in (0, 1, 127, 128, 153, 255):
        expected = (words.view(torch.uint8)[:count] == value).nonzero().squeeze(1)
        assert torch.equal(_tie_positions(words, value, count).sort().values, expected)


def test_large_draws_do_not_depend_on_the_thread_count() -> None:
    from retinasim.circuit.dropout import random_words

    threads = torch.get_num_threads()
    try:
        draws = []
        for count in (1, 2):
            torch.set_num_threads(count)
            torch.manual_seed(9)
            draws.append(random_words(300_000))
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(draws[0], draws[1])
    bits = (draws[0][:50_000, None] >> torch.arange(64)) & 1
    assert (bits.double().mean(0) - 0.5).abs().max() < 0.015
