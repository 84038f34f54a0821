"""The authors' model structure, written from the description in their README, independent
of retinasim's compiled circuit: one module per cell type, ``Conv3d`` everywhere, every
convolution with a bias, 30 frames of left zero padding before each temporal convolution,
``-relu`` for amacrine cells, two decoders read on every frame.

Module and parameter names are theirs, so their ``state_dict`` loads with ``strict=True``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

PAD = (0, 0, 0, 0, 30, 0)  # 30 frames of zeros before the first (causal)


class Bipolar(nn.Module):
    def __init__(self):
        super().__init__()
        self.bipolar_space = nn.Conv3d(1, 1, (1, 10, 10), stride=(1, 5, 5))
        self.bipolar_temporal = nn.Conv3d(1, 1, (31, 1, 1))

    def forward(self, video):
        return F.relu(self.bipolar_temporal(F.pad(self.bipolar_space(video), PAD)))


class Amacrine(nn.Module):
    def __init__(self, n_bipolar: int):
        super().__init__()
        self.amacrine_space = nn.Conv3d(n_bipolar, 1, (1, 5, 5), stride=(1, 4, 4))
        self.amacrine_temporal = nn.Conv3d(1, 1, (31, 1, 1))

    def forward(self, bipolar):
        return -F.relu(self.amacrine_temporal(F.pad(self.amacrine_space(bipolar), PAD)))


class Ganglion(nn.Module):
    def __init__(self, n_bipolar: int, n_amacrine: int):
        super().__init__()
        self.ganglion_bipolar_space = nn.Conv3d(n_bipolar, 1, (1, 5, 5), stride=(1, 4, 4))
        self.ganglion_amacrine_space = nn.Conv3d(n_amacrine, 1, (1, 3, 3), padding=(0, 1, 1))
        self.ganglion_temporal = nn.Conv3d(1, 1, (31, 1, 1))

    def forward(self, bipolar, amacrine):
        drive = self.ganglion_bipolar_space(bipolar) + self.ganglion_amacrine_space(amacrine)
        return F.relu(self.ganglion_temporal(F.pad(drive, PAD)))


class Decision(nn.Module):
    def __init__(self, n_ganglion: int):
        super().__init__()
        self.decision_space = nn.Conv3d(n_ganglion, 1, (1, 12, 12))

    def forward(self, ganglion):
        return self.decision_space(ganglion)


class TheirRetina(nn.Module):
    """``forward(video (batch, 1, T, 255, 255))`` → logits ``(batch, T, 2)`` (left, right)."""

    def __init__(self, n_bipolar: int, n_amacrine: int, n_ganglion: int):
        super().__init__()
        self.n = (n_bipolar, n_amacrine, n_ganglion)
        for i in range(n_bipolar):
            setattr(self, f"bipolar{i}", Bipolar())
        for i in range(n_amacrine):
            setattr(self, f"amacrine{i}", Amacrine(n_bipolar))
        for i in range(n_ganglion):
            setattr(self, f"ganglion{i}", Ganglion(n_bipolar, n_amacrine))
        self.decisionLeft = Decision(n_ganglion)
        self.decisionRight = Decision(n_ganglion)

    def forward(self, video):
        n_bipolar, n_amacrine, n_ganglion = self.n
        bipolar = torch.cat([getattr(self, f"bipolar{i}")(video) for i in range(n_bipolar)], 1)
        amacrine = torch.cat([getattr(self, f"amacrine{i}")(bipolar) for i in range(n_amacrine)], 1)
        ganglion = torch.cat(
            [getattr(self, f"ganglion{i}")(bipolar, amacrine) for i in range(n_ganglion)], 1
        )
        logits = torch.cat([self.decisionLeft(ganglion), self.decisionRight(ganglion)], 1)
        return logits[:, :, :, 0, 0].transpose(1, 2)
