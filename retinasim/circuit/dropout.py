"""Dropout with cheap, exact random masks on the CPU.

PyTorch's CPU dropout draws a double-precision uniform per element from a serial Mersenne
Twister (a quarter of a murray2021 training step). Here a keep/drop decision costs one random
*byte* ``u`` (from 64-bit words of PyTorch's own generator, so ``torch.manual_seed``
reproduces the masks) in the common case: with ``(1 - p) * 256 = whole + frac``, keep when
``u < whole``, drop when ``u > whole``, and on a tie (probability 1/256) keep with probability
``frac``, decided by a fresh 32-bit word. So ``P(keep) = 1 - p`` to 32-bit resolution (finer
than ``torch.rand``'s float32), with 8 random bits per element instead of 64. Kept elements
are scaled by ``1 / (1 - p)``. Other devices use PyTorch's dropout."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn.functional as F

_TIE_WORD_BITS = 32
_SPLIT_WORDS = 1 << 18
"""From this many 64-bit words on, draw two halves from two generators on two threads (the
Mersenne Twister is serial: 4.9 → 2.6 ms for the bipolar map's mask)."""


def random_words(count: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(count,)`` int64 words with all 64 bits uniform, from PyTorch's default generator.

    Large CPU draws are split in halves: the first from the default generator, the second from a
    generator seeded by it, filled on a helper thread; the split does not depend on the thread
    count, so ``torch.manual_seed`` reproduces the words."""
    words = torch.empty(count, dtype=torch.int64, device=device)
    if words.device.type != "cpu" or count < _SPLIT_WORDS:
        return words.random_(-(2**63), None)
    half = count // 2
    side = torch.Generator().manual_seed(int(torch.randint(2**62, ()).item()))

    def fill_second_half() -> None:
        words[half:].random_(-(2**63), None, generator=side)

    if torch.get_num_threads() > 1:
        with ThreadPoolExecutor(1) as helper:
            second = helper.submit(fill_second_half)
            words[:half].random_(-(2**63), None)
            second.result()
    else:
        words[:half].random_(-(2**63), None)
        fill_second_half()
    return words


def _bernoulli_from_words(count: int, probability: float, device: torch.device) -> torch.Tensor:
    """``(count,)`` bool, each True with ``probability`` to 32-bit resolution."""
    words = random_words((count + 1) // 2, device).view(torch.int32)[:count]
    threshold = round(probability * 2**_TIE_WORD_BITS) - 2 ** (_TIE_WORD_BITS - 1)
    if threshold >= 2 ** (_TIE_WORD_BITS - 1):
        return torch.ones(count, dtype=torch.bool, device=device)
    return words < threshold


def _repeat_byte(value: int) -> int:
    """The signed int64 whose 8 bytes all equal ``value``."""
    return int.from_bytes(bytes([value]) * 8, "little", signed=True)


_ONES = _repeat_byte(0x01)
_HIGHS = _repeat_byte(0x80)


def _tie_positions(words: torch.Tensor, value: int, count: int) -> torch.Tensor:
    """Indices ``< count`` of the bytes of ``words`` (int64) equal to ``value``.

    ``v = w ^ pattern`` has a zero byte exactly where ``w`` has ``value``, and ``(v - 0x0101..) &
    ~v & 0x8080..`` is non-zero exactly when ``v`` has a zero byte: only those few words are split
    into bytes."""
    v = words ^ _repeat_byte(value)
    flagged = ((v - _ONES) & ~v & _HIGHS).nonzero().squeeze(1)
    if flagged.numel() == 0:
        return flagged
    in_word = words.view(torch.uint8).view(-1, 8)[flagged] == value
    positions = (flagged[:, None] * 8 + torch.arange(8, device=words.device))[in_word]
    return positions[positions < count]


def fill_bernoulli_(out: torch.Tensor, keep: float) -> torch.Tensor:
    """Fill ``out`` (1-D, contiguous; bool, or floating for a 0/1 mask) with independent
    Bernoulli(``keep``) draws in place, one random byte per element in the common case (see
    the module docstring); returns ``out``."""
    count, device = out.numel(), out.device
    level = keep * 256
    whole = math.floor(level)
    if whole >= 256:
        return out.fill_(1)
    words = random_words((count + 7) // 8, device)
    torch.lt(words.view(torch.uint8)[:count], whole, out=out)
    frac = level - whole
    if frac > 0:
        ties = _tie_positions(words, whole, count)
        if ties.numel():
            out[ties] = _bernoulli_from_words(ties.numel(), frac, device).to(out.dtype)
    return out


def dropout_scale(reference: torch.Tensor, p: float) -> torch.Tensor:
    """A dropout mask of ``reference``'s shape, strides (when dense), dtype and device:
    ``1 / (1 - p)`` with probability ``1 - p``, else 0."""
    mask = torch.empty_like(reference)
    flat = mask.as_strided((mask.numel(),), (1,))
    fill_bernoulli_(flat, 1.0 - p)
    return mask.mul_(1.0 / (1.0 - p))


def dropout(activity: torch.Tensor, p: float, *, training: bool, fast: bool = True) -> torch.Tensor:
    """Inverted dropout of ``activity`` (any shape; its memory layout kept on the fast
    path): zero each element with probability ``p`` in ``[0, 1)`` and scale the rest; the
    identity unless ``training``. ``fast``: this module's masks on the CPU (else PyTorch's)."""
    if not training or p == 0.0:
        return activity
    if not fast or activity.device.type != "cpu":
        return F.dropout(activity, p, training=True)
    return activity * dropout_scale(activity, p)
