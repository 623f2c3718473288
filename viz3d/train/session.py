"""A training session: a model, its train step and its probe, able to step and to capture.

`TrainingSession` knows nothing about threads or GL. `session_from_preset` builds one from a preset
(dataset, model, optimizer); `viz3d.live` builds one around a user's own ``train_step``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from viz3d.capture.probe import ProbeSet, make_probe
from viz3d.capture.tracker import LayerTracker
from viz3d.presets import Preset
from viz3d.project.projection import Projection, project
from viz3d.train.datasets import make_dataset
from viz3d.train.models import make_model


@dataclass(frozen=True)
class StepStats:
    """What one training step reports; accuracy is ``None`` when the task has none."""

    loss: float
    accuracy: float | None = None


TrainStep = Callable[[int], "StepStats | float | None"]


class TrainingSession:
    def __init__(self, model: nn.Module, probe: ProbeSet, train_step: TrainStep, title: str = "") -> None:
        self.model = model
        self.probe = probe
        self.tracker = LayerTracker(model, probe.inputs)
        self._train_step = train_step
        self.title = title
        self.step = 0
        self.last_stats: StepStats | None = None

    def train_step(self) -> StepStats:
        """Run one training step; raises `FloatingPointError` when the loss is not finite."""
        result = self._train_step(self.step)
        if isinstance(result, StepStats):
            stats = result
        else:  # a bare loss, or None from a train_step that reports nothing
            stats = StepStats(float("nan") if result is None else float(result))
        if result is not None and not math.isfinite(stats.loss):
            raise FloatingPointError(
                f"loss became {stats.loss} at step {self.step}: lower the learning rate or check the data"
            )
        self.step += 1
        self.last_stats = stats
        return stats

    def train(self, steps: int) -> StepStats | None:
        for _ in range(steps):
            self.train_step()
        return self.last_stats

    def capture(self) -> Projection:
        """Probe forward, then project every layer; rejects NaN/Inf activations with a clear error."""
        snapshot = self.tracker.snapshot(self.step)
        for name, acts in snapshot.activations.items():
            if not torch.isfinite(acts).all():
                raise FloatingPointError(f"layer {name} has NaN or Inf activations at step {self.step}")
        return project(snapshot, fit_rows=slice(0, self.probe.n_data))


def session_from_preset(preset: Preset, device: str | torch.device = "cpu") -> TrainingSession:
    """Build the preset's dataset, model and optimizer into a full-batch training session."""
    dataset = make_dataset(preset.dataset)
    model = make_model(preset.model, dataset.x.shape[1], dataset.n_classes).to(device)
    x, y = dataset.x.to(device), dataset.y.to(device)
    opt_spec = preset.optimizer
    if opt_spec.kind == "adam":
        optimizer: torch.optim.Optimizer = torch.optim.AdamW(
            model.parameters(), lr=opt_spec.lr, weight_decay=opt_spec.weight_decay
        )
    else:
        optimizer = torch.optim.SGD(
            model.parameters(), lr=opt_spec.lr, momentum=0.9, weight_decay=opt_spec.weight_decay
        )

    def train_step(_step: int) -> StepStats:
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        if not torch.isfinite(loss):
            return StepStats(loss=float(loss.detach()))  # caught by TrainingSession before any update
        loss.backward()
        optimizer.step()
        accuracy = (logits.argmax(dim=1) == y).float().mean()
        return StepStats(loss=float(loss.detach()), accuracy=float(accuracy))

    probe = make_probe(x, y, preset.probe.grid_lines, preset.probe.grid_samples, preset.probe.grid_margin)
    return TrainingSession(model, probe, train_step, title=preset.title)
