"""What a training step reports (`StepStats`), and the classifier figures presets and users' models share."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class StepStats:
    """What one training step reports; accuracy is ``None`` when the task has none."""

    loss: float
    accuracy: float | None = None


def argmax_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """The fraction of rows whose largest logit is at their target class. A row with a NaN logit predicts
    nothing, so it counts as wrong: argmax would pick the NaN's class, and a model whose outputs are all
    NaN showed the share of class 0 as its accuracy."""
    right = logits.argmax(dim=1) == targets
    return float((right & ~torch.isnan(logits).any(dim=1)).float().mean())


def threshold_accuracy(scores: torch.Tensor, targets: torch.Tensor, threshold: float) -> float:
    """The fraction of (N,) ``scores`` on the side of ``threshold`` their 0/1 target says; NaN counts as wrong."""
    right = (scores > threshold) == targets.bool()
    return float((right & ~torch.isnan(scores)).float().mean())


def classifier_stats(logits: torch.Tensor, targets: torch.Tensor) -> StepStats:
    """Cross-entropy and argmax accuracy of (N, C) ``logits`` against (N,) class indices."""
    loss = float(nn.functional.cross_entropy(logits, targets))
    return StepStats(loss=loss, accuracy=argmax_accuracy(logits, targets))
