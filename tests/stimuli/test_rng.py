"""Counter-based random numbers: pure functions of (seed, index, stream, counter)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from retinasim.stimuli import rng


def test_hash32_is_a_bijection_on_a_sample_and_matches_known_values():
    values = torch.arange(0, 2**20, dtype=torch.int64)
    hashed = rng.hash32(values)
    assert hashed.unique().numel() == values.numel()
    assert int(hashed.min()) >= 0 and int(hashed.max()) < 2**32
    large = torch.tensor([2**32 - 1, 2**31, 123456789], dtype=torch.int64)
    assert rng.hash32(large).tolist() == [_reference_lowbias32(int(v)) for v in large]


def _reference_lowbias32(x: int) -> int:
    """Chris Wellons' lowbias32 in plain Python integers."""
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


def test_keys_depend_on_seed_and_index_only():
    indices = torch.tensor([0, 1, 2, 5, 2**40])
    keys = rng.stimulus_keys(7, indices)
    assert keys.unique().numel() == 5
    assert torch.equal(rng.stimulus_keys(7, indices.flip(0)), keys.flip(0))
    assert not torch.equal(rng.stimulus_keys(8, indices), keys)
    assert not torch.equal(rng.stimulus_keys(7 + 2**32, indices), keys)  # high seed bits count


def test_uniform_draws_are_uniform_and_uncorrelated():
    keys = rng.stimulus_keys(1, torch.arange(2000))
    draws = rng.uniform(keys, stream=4, shape=(50,))
    assert draws.shape == (2000, 50)
    assert float(draws.min()) > 0 and float(draws.max()) < 1
    counts = np.histogram(draws.numpy().ravel(), bins=20, range=(0, 1))[0]
    expected = draws.numel() / 20
    chi_square = ((counts - expected) ** 2 / expected).sum()
    assert chi_square < 45  # 19 degrees of freedom, p ~ 1e-3
    flat = draws.numpy()
    limit = 4 / math.sqrt(flat.size)
    assert abs(np.corrcoef(flat[:, :-1].ravel(), flat[:, 1:].ravel())[0, 1]) < limit  # counters
    assert abs(np.corrcoef(flat[:-1].ravel(), flat[1:].ravel())[0, 1]) < limit  # indices
    other = rng.uniform(keys, stream=5, shape=(50,)).numpy()
    assert abs(np.corrcoef(flat.ravel(), other.ravel())[0, 1]) < limit  # streams


def test_a_longer_draw_extends_a_shorter_one():
    keys = rng.stimulus_keys(3, torch.arange(4))
    assert torch.equal(rng.uniform(keys, 2, (10,))[:, :4], rng.uniform(keys, 2, (4,)))


def test_poisson_and_normal_draws_have_the_right_moments():
    keys = rng.stimulus_keys(5, torch.arange(20000))
    counts = rng.poisson(keys, 3, rate=52.0).double()
    assert float(counts.mean()) == pytest.approx(52.0, abs=4 * math.sqrt(52 / 20000))
    assert float(counts.var()) == pytest.approx(52.0, rel=0.05)
    normal = rng.normal(keys[:2000], 8, 9, (10,))
    assert float(normal.mean()) == pytest.approx(0.0, abs=0.04)
    assert float(normal.std()) == pytest.approx(1.0, abs=0.03)
