"""Counter-based random numbers: every draw is a pure function of (seed, index, stream, counter).

A data set is its parameters, not files: stimulus ``index`` of a set with ``seed`` must have the
same bits on every run, on every machine, alone or inside any batch, in any order, which
stateful generators cannot promise once draws are vectorised. So every random number is a
hash: :func:`stimulus_keys` hashes ``(seed, index)`` into one 32-bit key per stimulus, then a
*stream* (what is drawn: the slow speed, the dots' x, ...) and a *counter* (which one: the dot
slot, the noise pixel) are hashed with that key; adding a stream leaves every other draw as it
was. The hash is Chris Wellons' ``lowbias32`` applied twice with different keys, written with
16-bit partial products on ``int64`` tensors, so CPU and CUDA give identical integers.
"""

from __future__ import annotations

import math

import torch

_MASK32 = 0xFFFFFFFF
_MAX_COUNTER = 2**32

#: Names of the streams used by the generators of this package (one integer each, never reused).
STREAMS = {
    "slow_direction": 1,
    "s": 2,
    "n_dots": 3,
    "dot_x": 4,
    "dot_y": 5,
    "dot_direction": 6,
    "grating_phase": 7,
    "noise": 8,
    "noise_gaussian_angle": 9,
}


def _multiply32(values: torch.Tensor, constant: int) -> torch.Tensor:
    """``values * constant mod 2**32`` for 32-bit ``values`` held in int64, without overflow."""
    low, high = constant & 0xFFFF, constant >> 16
    return (values * low + (((values * high) & 0xFFFF) << 16)) & _MASK32


def hash32(values: torch.Tensor) -> torch.Tensor:
    """Mix 32-bit integers (int64 tensor with values in ``[0, 2**32)``) with ``lowbias32``.

    A bijection of ``[0, 2**32)``; same shape and device as ``values``.
    """
    values = values ^ (values >> 16)
    values = _multiply32(values, 0x7FEB352D)
    values = values ^ (values >> 15)
    values = _multiply32(values, 0x846CA68B)
    return values ^ (values >> 16)


def _hash_int(value: int) -> int:
    """:func:`hash32` of one Python integer in ``[0, 2**32)``."""
    return int(hash32(torch.tensor([value], dtype=torch.int64))[0])


def stimulus_keys(seed: int, indices: torch.Tensor) -> torch.Tensor:
    """One 32-bit key per stimulus, a pure function of ``(seed, index)``: int64 keys in
    ``[0, 2**32)``, shape ``(batch,)``, on the device of ``indices`` (int64 ``(batch,)``,
    each ``0 <= index < 2**62``; ``0 <= seed < 2**63``)."""
    seed_key = _hash_int((seed & _MASK32) ^ 0x9E3779B9)
    seed_key = _hash_int(seed_key ^ ((seed >> 32) & _MASK32))
    keys = hash32(indices.to(torch.int64).bitwise_and(_MASK32) ^ seed_key)
    return hash32(keys ^ (indices.to(torch.int64) >> 32) ^ 0x85EBCA6B)


def _raw(keys: torch.Tensor, stream: int, count: int) -> torch.Tensor:
    """``count`` 32-bit hashes per key: int64, shape ``(batch, count)``."""
    if count > _MAX_COUNTER:
        raise ValueError(f"at most 2**32 draws per stream and stimulus, asked for {count}")
    stream_key = hash32(keys ^ _hash_int(stream * 0x27D4EB2F & _MASK32))
    second_key = hash32(stream_key ^ 0x68E31DA4)
    counters = torch.arange(count, dtype=torch.int64, device=keys.device)
    first = hash32((counters[None, :] + stream_key[:, None]) & _MASK32)
    return hash32(first ^ second_key[:, None])


def uniform(keys: torch.Tensor, stream: int, shape: tuple[int, ...] = ()) -> torch.Tensor:
    """Uniform draws in the open interval (0, 1), float64 ``(batch, *shape)``, 32 bits of
    resolution, for per-stimulus ``keys`` (:func:`stimulus_keys`) and a ``stream`` (see
    :data:`STREAMS`). Element ``k`` of a stimulus's draws (in C order) uses counter ``k``, so
    a longer draw extends a shorter one.
    """
    count = math.prod(shape)
    raw = _raw(keys, stream, count).to(torch.float64)
    return ((raw + 0.5) * 2.0**-32).reshape(keys.shape[0], *shape)


def normal(
    keys: torch.Tensor, stream: int, angle_stream: int, shape: tuple[int, ...]
) -> torch.Tensor:
    """Standard normal draws (Box–Muller of two uniform streams), float64, ``(batch, *shape)``."""
    radius = torch.sqrt(-2.0 * torch.log(uniform(keys, stream, shape)))
    return radius * torch.cos(2.0 * math.pi * uniform(keys, angle_stream, shape))


def poisson(keys: torch.Tensor, stream: int, rate: float) -> torch.Tensor:
    """One Poisson(``rate``) draw per stimulus by inverting the CDF, int64 ``(batch,)``.

    The CDF is tabulated up to ``rate + 12 sqrt(rate) + 20``; the chance of a larger draw is far
    below ``2**-32``, the resolution of the uniform draw.
    """
    top = int(rate + 12.0 * math.sqrt(rate) + 20.0)
    counts = torch.arange(top + 1, dtype=torch.float64)
    log_pmf = counts * math.log(rate) - rate - torch.lgamma(counts + 1.0)
    cdf = torch.cumsum(torch.exp(log_pmf), 0).to(keys.device)
    draws = uniform(keys, stream)
    return torch.searchsorted(cdf, draws).clamp_(max=top)
