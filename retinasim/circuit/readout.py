"""The linear decoder: one output per class from a layer's whole map, at every frame."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class Readout(nn.Module):
    """``logits[b, t, k] = bias[k] + sum_{c,y,x} weight[k, c, y, x] * activity[b, c, t, y, x]``
    for ``n_classes`` decisions from a layer of ``n_types`` on a ``size`` ``(y, x)`` map."""

    def __init__(self, n_classes: int, n_types: int, size: tuple[int, int]):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_classes, n_types, *size))
        self.bias = nn.Parameter(torch.empty(n_classes))
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """PyTorch's ``Linear`` default: U(±1/√(n_types·y·x)), drawn on the CPU."""
        bound = 1.0 / math.sqrt(math.prod(self.weight.shape[1:]))
        with torch.no_grad():
            for parameter in (self.weight, self.bias):
                values = torch.empty(parameter.shape).uniform_(-bound, bound, generator=generator)
                parameter.copy_(values)

    def forward(self, activity: torch.Tensor) -> torch.Tensor:
        """Activity ``(batch, n_types, time, y, x)`` → logits ``(batch, time, n_classes)``.

        Free of copies when the activity is stored frames-major (as the circuit stores it).
        """
        batch, _, time = activity.shape[:3]
        frames = activity.transpose(1, 2).reshape(batch, time, -1)
        return F.linear(frames, self.weight.flatten(1), self.bias)
