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
    """The fraction of rows whose largest logit is at their target class."""
    return float((logits.argmax(dim=1) == targets).float().mean())


def classifier_stats(logits: torch.Tensor, targets: torch.Tensor) -> StepStats:
    """Cross-entropy and argmax accuracy of (N, C) ``logits`` against (N,) class indices."""
    loss = float(nn.functional.cross_entropy(logits, targets))
    return StepStats(loss=loss, accuracy=argmax_accuracy(logits, targets))
