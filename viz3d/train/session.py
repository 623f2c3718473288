"""A training session: a model, its train step and its probe, able to step, capture and look back.

`TrainingSession` knows nothing about threads or GL. `session_from_preset` builds one from a preset
(dataset, model, optimizer); `viz3d.live` builds one around a user's own ``train_step``.
Each capture also stores the weights in the history, so any stored step can be shown again: its
projection is recomputed from those weights on a shadow copy of the model and cached.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from viz3d.capture.probe import ProbeSet, make_probe
from viz3d.capture.snapshot import Snapshot
from viz3d.capture.tracker import LayerTracker
from viz3d.presets import Preset
from viz3d.project.arrows import arrow_rows, with_arrows
from viz3d.project.projection import Projection
from viz3d.project.projector import Projector
from viz3d.project.pushforward import trace_tangents
from viz3d.train.datasets import make_dataset
from viz3d.train.history import DEFAULT_BUDGET_BYTES, WeightHistory
from viz3d.train.models import make_model

CACHED_PROJECTIONS = 32


@dataclass(frozen=True)
class StepStats:
    """What one training step reports; accuracy is ``None`` when the task has none."""

    loss: float
    accuracy: float | None = None


TrainStep = Callable[[int], "StepStats | float | None"]


class TrainingSession:
    def __init__(
        self,
        model: nn.Module,
        probe: ProbeSet,
        train_step: TrainStep,
        title: str = "",
        tracker: LayerTracker | None = None,
        history_budget: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        self.model = model
        self.probe = probe
        self.tracker = tracker or LayerTracker(model, probe.inputs)
        self.projector = Projector(fit_rows=slice(0, probe.n_data))
        self.history = WeightHistory(history_budget)
        self._train_step = train_step
        self.title = title
        self.step = 0
        self.last_stats: StepStats | None = None
        self.last_snapshot: Snapshot | None = None
        self._cache: OrderedDict[tuple, Projection] = OrderedDict()
        self._shadow: LayerTracker | None = None

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
        """Probe the live model, project it (aligned to the last picture) and store its weights."""
        self.last_snapshot = self.tracker.snapshot(self.step)
        self.history.record(self.step, self.model)
        return self._finish(self.tracker, self.last_snapshot, remember=True)

    def reproject(self) -> Projection | None:
        """The last capture again, with the projector's current axes or frozen basis."""
        if self.last_snapshot is None:
            return None
        return self._finish(self.tracker, self.last_snapshot, remember=True)

    def capture_at(self, step: int) -> Projection:
        """The picture at a stored ``step``, recomputed from its weights (cached)."""
        key = (step, tuple(sorted(self.projector.axes.items())), self.projector.frozen_step)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        shadow = self._shadow_tracker()
        shadow.model.load_state_dict(self.history.weights(step))
        projection = self._finish(shadow, shadow.snapshot(step), remember=False)
        self._cache[key] = projection
        if len(self._cache) > CACHED_PROJECTIONS:
            self._cache.popitem(last=False)
        return projection

    def _finish(self, tracker: LayerTracker, snapshot: Snapshot, remember: bool) -> Projection:
        projection = self.projector.project(snapshot, remember=remember)
        if self.probe.n_arrows:
            values, tangents = trace_tangents(tracker, self.probe.arrow_points, self.probe.arrow_vectors)
            projection = with_arrows(projection, arrow_rows(projection, values, tangents))
        return projection

    def _shadow_tracker(self) -> LayerTracker:
        if self._shadow is None:
            tracker = copy.copy(self.tracker)
            tracker.model = copy.deepcopy(self.model)
            tracker.candidates = tracker._candidates()
            self._shadow = tracker
        return self._shadow


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
    tracker = LayerTracker(model, probe.inputs, stages=preset.view.stages)
    return TrainingSession(model, probe, train_step, title=preset.title, tracker=tracker)
