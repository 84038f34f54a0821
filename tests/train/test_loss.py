"""The training loss: the decision frame alone, or averaged over the frames before it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from trainhelpers import tiny_spec

from retinasim.training.inference import training_loss


def test_one_loss_frame_is_the_decision_frame_cross_entropy() -> None:
    logits, labels = torch.randn(4, 8, 2), torch.tensor([0, 1, 1, 0])
    loss, decision = training_loss(logits, labels, tiny_spec())
    assert torch.equal(decision, logits[:, -1])
    assert torch.allclose(loss, F.cross_entropy(logits[:, -1], labels))


def test_several_loss_frames_average_the_frames_ending_at_the_decision() -> None:
    logits, labels = torch.randn(4, 8, 2), torch.tensor([0, 1, 1, 0])
    loss, decision = training_loss(logits, labels, tiny_spec(loss_frames=3))
    frames = [F.cross_entropy(logits[:, t], labels) for t in (5, 6, 7)]
    assert torch.allclose(loss, torch.stack(frames).mean())
    assert torch.equal(decision, logits[:, -1])
