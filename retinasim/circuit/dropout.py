"""Dropout with cheap, exact random masks on the CPU.

PyTorch's CPU dropout draws one double-precision uniform number per element from a serial
Mersenne Twister and then makes a float mask in separate passes; in a training step of the
murray2021 circuit that was a quarter of the time. Here each keep/drop decision costs one
random *byte* in the common case:

* draw 64-bit words from PyTorch's own generator (so ``torch.manual_seed`` reproduces the
  masks) and read them as bytes ``u`` uniform on ``0..255``;
* with ``keep = 1 - p`` and ``keep * 256 = whole + frac``: keep when ``u < whole``, drop when
  ``u > whole``; on a tie ``u == whole`` (probability 1/256) keep with probability ``frac``,
  decided by a fresh 32-bit word.

So ``P(keep) = (whole + frac) / 256 = 1 - p`` up to the 32-bit resolution of the tie-break
(error below 2**-40, finer than the float32 uniforms that ``torch.rand`` compares): exact in
distribution, with 8 random bits per element instead of 64. Kept elements are scaled by
``1 / (1 - p)`` as in :func:`torch.nn.functional.dropout`. Other devices use PyTorch's dropout,
whose generators are fast there.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

_TIE_WORD_BITS = 32


def _random_bytes(count: int, device: torch.device) -> torch.Tensor:
    """``count`` independent uniform bytes ``(count,)`` uint8 from PyTorch's default generator."""
    words = torch.empty((count + 7) // 8, dtype=torch.int64, device=device)
    words.random_(-(2**63), None)  # the full 64-bit range: every bit uniform
    return words.view(torch.uint8)[:count]


def _bernoulli_from_words(count: int, probability: float, device: torch.device) -> torch.Tensor:
    """``(count,)`` bool, each True with ``probability`` to 32-bit resolution."""
    words = _random_bytes(4 * count, device).view(torch.int32)
    threshold = round(probability * 2**_TIE_WORD_BITS) - 2 ** (_TIE_WORD_BITS - 1)
    if threshold >= 2 ** (_TIE_WORD_BITS - 1):
        return torch.ones(count, dtype=torch.bool, device=device)
    return words < threshold


def bernoulli_mask(count: int, keep: float, device: torch.device | str = "cpu") -> torch.Tensor:
    """Independent Bernoulli(``keep``) decisions, one random byte each in the common case.

    Parameters
    ----------
    count
        Number of decisions.
    keep
        Probability of ``True``, in ``[0, 1]``.
    device
        Where to draw them.

    Returns
    -------
    torch.Tensor
        ``(count,)`` bool.
    """
    device = torch.device(device)
    level = keep * 256
    whole = math.floor(level)
    if whole >= 256:
        return torch.ones(count, dtype=torch.bool, device=device)
    frac = level - whole
    draws = _random_bytes(count, device)
    kept = draws < whole
    if frac > 0:
        ties = (draws == whole).nonzero().squeeze(1)
        if ties.numel():
            kept[ties] = _bernoulli_from_words(ties.numel(), frac, device)
    return kept


def dropout_scale(reference: torch.Tensor, p: float) -> torch.Tensor:
    """A dropout mask with the shape and memory layout of ``reference``.

    Returns
    -------
    torch.Tensor
        Same shape, strides (when ``reference`` is dense), dtype and device as
        ``reference``: ``1 / (1 - p)`` with probability ``1 - p``, else 0.
    """
    mask = torch.empty_like(reference)
    flat = mask.as_strided((mask.numel(),), (1,))
    flat.copy_(bernoulli_mask(mask.numel(), 1.0 - p, mask.device))
    return mask.mul_(1.0 / (1.0 - p))


def dropout(activity: torch.Tensor, p: float, *, training: bool, fast: bool = True) -> torch.Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest.

    Parameters
    ----------
    activity
        Any shape; the result has the same shape (and memory layout on the fast path).
    p
        Drop probability in ``[0, 1)``.
    training
        Identity when False.
    fast
        Use the byte-level masks of this module on the CPU (else PyTorch's dropout).
    """
    if not training or p == 0.0:
        return activity
    if not fast or activity.device.type != "cpu":
        return F.dropout(activity, p, training=True)
    return activity * dropout_scale(activity, p)
