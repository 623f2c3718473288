"""A training session: a model, its train step and its probe, able to step, capture and look back.

`TrainingSession` knows nothing about threads or GL. `session_from_preset` builds one from a preset
(dataset, model, optimizer); `viz3d.live` builds one around a user's own ``train_step``.
Each capture also stores the weights in the history, so any stored step can be shown again: its
projection is recomputed from those weights on a shadow copy of the model and cached.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn

from viz3d.capture.probe import ProbeSet, make_probe
from viz3d.capture.snapshot import Snapshot
from viz3d.capture.tracker import LayerTracker, evaluating
from viz3d.colors import value_range
from viz3d.errors import Viz3dError
from viz3d.presets import REAL_DATASETS, Preset
from viz3d.project.arrows import arrow_rows, arrow_text, with_arrows
from viz3d.project.projection import Projection
from viz3d.project.projector import Projector
from viz3d.project.pushforward import trace_tangents
from viz3d.train.datasets import make_dataset
from viz3d.train.history import DEFAULT_BUDGET_BYTES, WeightHistory
from viz3d.train.models import make_model
from viz3d.train.shared_forward import SharedForward
from viz3d.train.step_stats import StepStats, argmax_accuracy, classifier_stats

CACHED_PROJECTIONS = 32


TrainStep = Callable[[int], "StepStats | float | None"]


class TrainingSession:
    steps_are_users = False  # whether train_step runs the user's own code (`UserSession`), not a preset's

    def __init__(
        self,
        model: nn.Module,
        probe: ProbeSet,
        train_step: TrainStep | None,
        title: str = "",
        tracker: LayerTracker | None = None,
        history_budget: int = DEFAULT_BUDGET_BYTES,
        n_classes: int = 0,
        evaluate: Callable[[], StepStats] | None = None,
        shared_forward: SharedForward | None = None,
    ) -> None:
        self.model = model
        self.probe = probe
        self.tracker = tracker or LayerTracker(model, probe.inputs)
        self.projector = Projector(fit_rows=slice(0, probe.n_data))
        self.history = WeightHistory(history_budget)
        self._train_step = train_step
        self.title = title
        self.n_classes = n_classes  # > 0: the last layer's outputs are class logits
        # the last layer's (N, D) output as (N, n_classes) probabilities, where it is not D logits (a single
        # binary logit, see `scoring`); None: a softmax over n_classes logits
        self.class_probabilities: Callable[[torch.Tensor], torch.Tensor | None] | None = None
        self.predicts_values = False  # the last layer is a regression's output: one predicted value a row
        self.evaluate = evaluate  # loss and accuracy on the whole dataset, in eval mode
        self.shared_forward = shared_forward  # captures hand their probe forward to the next step
        self.neuron: tuple[str, int] | None = None  # colour points by this (layer, unit)'s activation
        self.class_names: tuple[str, ...] = ()  # the data's name for each class, where it has them
        self.accuracy_note = "-"  # what the panel shows while there is no accuracy: "-", or why there is none
        self.step = 0
        self.last_stats: StepStats | None = None
        self.last_snapshot: Snapshot | None = None
        self._cache: OrderedDict[tuple, Projection] = OrderedDict()
        self._shadow: LayerTracker | None = None

    @property
    def trainable(self) -> bool:
        """False for a fixed map: there is nothing to train, only to look at."""
        return self._train_step is not None

    def train_step(self) -> StepStats:
        """Run one training step; raises `FloatingPointError` when the loss is not finite."""
        if self._train_step is None:
            raise RuntimeError("this session shows a fixed map: there is nothing to train")
        result = self._train_step(self.step)
        if isinstance(result, StepStats):
            stats = result
        else:  # a bare loss, or None from a train_step that reports nothing
            if isinstance(result, torch.Tensor):  # a loss returned with its graph: no float() warning
                result = result.detach()
            stats = StepStats(float("nan") if result is None else _loss_value(result, self.step))
        if result is not None and not math.isfinite(stats.loss):
            raise FloatingPointError(
                f"loss became {stats.loss} at step {self.step}: lower the learning rate or check the data"
            )
        self.step += 1
        self.last_stats = stats
        return stats

    def train(self, steps: int) -> StepStats | None:
        for _ in range(steps if self.trainable else 0):
            self.train_step()
        return self.last_stats

    def final_stats(self) -> StepStats | None:
        """Loss and accuracy of the model as it is now: on the whole dataset when the preset can evaluate
        it, else the last step's (which a training step measures before its own update)."""
        return self.evaluate() if self.evaluate is not None else self.last_stats

    def capture(self) -> Projection:
        """Probe the live model, project it (aligned to the last picture) and store its weights."""
        if self.shared_forward is not None:
            self.last_snapshot, outputs = self.tracker.snapshot_and_outputs(self.step)
            self.shared_forward.offer(outputs)
        else:
            self.last_snapshot = self.tracker.snapshot(self.step)
        self.history.record(self.step, self.model)
        projection = self._finish(self.tracker, self.last_snapshot, remember=True)
        if self.shared_forward is not None and (projection.bad_layers or projection.missing_layers):
            # NaN or Inf in some probe row: even a grid row's would reach the weights' gradients (0 x Inf)
            self.shared_forward.drop()
        return projection

    def reproject(self) -> Projection | None:
        """The last capture again, with the projector's current axes, frozen basis or neuron."""
        if self.last_snapshot is None:
            return None
        return self._finish(self.tracker, self.last_snapshot, remember=True)

    def capture_at(self, step: int) -> Projection:
        """The picture at a stored ``step``, recomputed from its weights (cached)."""
        axes = (self.projector.default_axes, tuple(sorted(self.projector.axes.items())))
        key = (step, axes, self.projector.frozen_step, self.neuron)
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
        projection = dataclasses.replace(projection, **self._extras(snapshot))
        if self.probe.n_arrows:
            values, tangents = trace_tangents(tracker, self.probe.arrow_points, self.probe.arrow_vectors)
            rows = arrow_rows(projection, values, tangents)
            projection = with_arrows(projection, rows, arrow_text(projection, tangents))
        return projection

    def _extras(self, snapshot: Snapshot) -> dict:
        """Predictions (classes, or a regression's values), decision-region probabilities and the chosen
        neuron, for colouring."""
        extras: dict = {}
        n_data = self.probe.n_data
        logits = snapshot.activations[snapshot.layer_names[-1]]
        # predicted only where every data point has its logits: NaN off the data (grid rows where the model is
        # undefined) leaves them, and those region cells untinted (`region_colors`)
        if self.n_classes and bool(torch.isfinite(logits[:n_data]).all()):
            # n_classes logits need no softmax for their argmax; a single binary logit (see `scoring`) does
            scores = self._class_probs(logits[:n_data]) if self.class_probabilities else logits[:n_data]
            if scores is not None and scores.shape[1] == self.n_classes:
                extras["predictions"] = scores.argmax(dim=1).cpu().numpy()
                if self.probe.n_regions:
                    extras["region_probs"] = self._class_probs(logits[self.probe.region_rows]).float().cpu().numpy()
        if self.predicts_values and logits.shape[1] == 1:
            extras["predicted_values"] = logits[:n_data, 0].float().cpu().numpy()
        if self.neuron is not None and self.neuron[0] in snapshot.activations:
            layer, unit = self.neuron
            acts = snapshot.activations[layer]
            values = acts[:n_data, min(unit, acts.shape[1] - 1)].float().cpu().numpy()
            extras["neuron_values"], extras["neuron_range"] = values, value_range(values)
        return extras

    def _class_probs(self, rows: torch.Tensor) -> torch.Tensor | None:
        """(R, n_classes) class probabilities of these rows of the last layer; None when it has no classes."""
        if self.class_probabilities is not None:
            return self.class_probabilities(rows)
        return torch.softmax(rows, dim=1) if rows.shape[1] == self.n_classes else None

    def _shadow_tracker(self) -> LayerTracker:
        if self._shadow is None:
            tracker = copy.copy(self.tracker)
            tracker.model = copy.deepcopy(self.model)
            tracker.candidates = tracker._candidates()
            self._shadow = tracker
        return self._shadow


SMALL_STEP_FLOPS = 5e6  # below this many multiply-adds per step, extra CPU threads only add overhead
DEFAULT_THREADS = torch.get_num_threads()


def session_from_preset(preset: Preset, device: str | torch.device = "cpu") -> TrainingSession:
    """Build the preset's dataset, model, optimizer and probe into a training session.

    Tiny presets (a 2x2 matrix, the width-2 nets) train on one CPU thread: torch's thread pool costs
    more than such steps do, and many times more when the renderer is busy on the other cores.
    """
    dataset = make_dataset(preset.dataset)
    n_out = dataset.y.shape[1] if dataset.is_regression else dataset.n_classes
    check_fit(preset, features=dataset.x.shape[1], n_out=n_out)
    model = make_model(preset.model, dataset.x.shape[1], n_out).to(device)
    step_flops = sum(p.numel() for p in model.parameters()) * len(dataset.x)
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1 if step_flops < SMALL_STEP_FLOPS else DEFAULT_THREADS)
    x, y = dataset.x.to(device), dataset.y.to(device)
    parameters = [p for p in model.parameters() if p.requires_grad]
    shown = preset.probe.points or len(x)
    full_batch = not preset.training.batch_size or preset.training.batch_size >= len(x)
    drawn = make_dataset(dataclasses.replace(preset.dataset, points=shown)) if shown > len(x) else dataset
    drawn_x = x if drawn is dataset else drawn.x.to(device)  # x is on the device already: no second copy
    arrows = preset.probe.arrow_points
    # A regression onto one value colours its points by their targets, as viz3d.picture does (a matrix's
    # several outputs have no one value to colour by: one colour, as for classes all 0).
    one_value = dataset.is_regression and dataset.y.shape[1] == 1
    # Fewer points than the dataset: spread evenly over it, as a generated sample lists one class and then the
    # next (its first rows had drawn spirals and disks as one class)
    rows = slice(None, shown) if shown >= len(x) else torch.linspace(0, len(x) - 1, shown).round().long()
    probe = make_probe(
        drawn_x[rows.to(device) if isinstance(rows, torch.Tensor) else rows],
        (drawn.y if one_value else drawn.classes)[rows].to(device),
        preset.probe.grid_lines,
        preset.probe.grid_samples,
        preset.probe.grid_margin,
        arrow_points=torch.tensor(arrows, dtype=torch.float32) if arrows else None,
        arrow_vectors=torch.tensor(preset.probe.arrow_vectors, dtype=torch.float32) if arrows else None,
        regions=preset.probe.regions,
    )
    # Share the capture's forward with the next step only where it is the training batch, and where the
    # backward through the other probe rows (grid, regions) costs less than the forward it saves.
    shares = bool(parameters) and full_batch and shown == len(x) and 2 * probe.n_data >= len(probe.inputs)
    shared = SharedForward(parameters, len(x)) if shares else None
    train_step = _preset_train_step(preset, model, parameters, x, y, shared) if parameters else None
    tracker = LayerTracker(model, probe.inputs, stages=preset.view.stages)
    session = TrainingSession(
        model,
        probe,
        train_step,
        title=preset.title,
        tracker=tracker,
        n_classes=0 if dataset.is_regression else dataset.n_classes,
        evaluate=(lambda: evaluate_model(model, x, y, regression=dataset.is_regression)) if train_step else None,
        shared_forward=shared,
    )
    session.projector.shared_scale = preset.view.shared_scale
    session.projector.default_axes = preset.view.axes
    session.class_names = () if dataset.is_regression else dataset.class_names
    session.accuracy_note = "n/a (regression)" if dataset.is_regression else "-"
    session.predicts_values = one_value  # colour_by = "prediction": the predicted values, on the targets' scale
    if preset.dataset.kind in REAL_DATASETS:
        # Axes are fitted on the real samples, not on the points --points made between them, so drawing
        # more shows the same picture, denser. (A generated sample is all new and lists its classes in
        # turn: its first rows would be one class, so there every drawn row counts.)
        session.projector.fit_rows = slice(0, min(shown, len(x)))
    return session


def check_fit(preset: Preset, features: int, n_out: int) -> None:
    """Refuse, in one line, a preset whose model, data and probe cannot work together."""
    where = f"{preset.path}:"
    model, probe = preset.model, preset.probe
    if model.kind == "linear" and model.weight:
        rows, columns = len(model.weight), len(model.weight[0])
        if columns != features:
            raise Viz3dError(f"{where} [model] weight: rows of {columns} numbers, but the data has {features} features")
        if model.trainable and rows != n_out:
            raise Viz3dError(f"{where} [model] weight: {rows} rows, but the data needs {n_out} outputs")
    if model.kind == "quadratic-map" and features != 2:
        raise Viz3dError(f"{where} [model] kind quadratic-map takes 2 inputs, but the data has {features} features")
    for point in (*probe.arrow_points, *probe.arrow_vectors):
        if len(point) != features:
            raise Viz3dError(
                f"{where} [probe] arrow_points/arrow_vectors: {len(point)} numbers each, "
                f"but the data has {features} features"
            )
    matrix = preset.dataset.matrix
    if preset.dataset.kind == "map-samples" and matrix and any(len(row) != 2 for row in matrix):
        raise Viz3dError(f"{where} [dataset] matrix: map-samples points are 2D, so each row needs 2 numbers")


def _loss_value(result: object, step: int) -> float:
    """The loss a train_step returned, as a float; a `Viz3dError` naming what it returned where that is not one
    number (it had read "your train_step raised ValueError", though the step raised nothing)."""
    try:
        return float(result)  # type: ignore[arg-type]
    except (TypeError, ValueError, RuntimeError) as err:  # RuntimeError: a tensor of more than one value
        shown = repr(result) if len(repr(result)) <= 40 else f"a {type(result).__name__}"
        raise Viz3dError(
            f"your train_step returned {shown} at step {step}: return the loss as a number or a one-value tensor "
            f"(loss.item()), viz3d.StepStats(loss, accuracy), or None ({err})"
        ) from None


def evaluate_model(model: nn.Module, x: torch.Tensor, y: torch.Tensor, regression: bool) -> StepStats:
    """Loss (and accuracy, for classes) of ``model`` on ``x``, in eval mode; its training mode is kept."""
    with evaluating(model), torch.inference_mode():
        outputs = model(x)
        if regression:
            return StepStats(loss=float(nn.functional.mse_loss(outputs, y)))
        return classifier_stats(outputs, y)


def _preset_train_step(
    preset: Preset,
    model: nn.Module,
    parameters: list[nn.Parameter],
    x: torch.Tensor,
    y: torch.Tensor,
    shared: SharedForward | None = None,
) -> TrainStep:
    """Full-batch (or minibatch) steps of the preset's optimizer on its loss; a full-batch step takes its
    forward from the capture just before it when there was one (``shared``)."""
    spec = preset.optimizer
    if spec.kind == "adam":
        optimizer: torch.optim.Optimizer = torch.optim.AdamW(parameters, lr=spec.lr, weight_decay=spec.weight_decay)
    else:
        optimizer = torch.optim.SGD(parameters, lr=spec.lr, momentum=0.9, weight_decay=spec.weight_decay)
    regression = preset.training.loss == "mse"
    batch = preset.training.batch_size
    generator = torch.Generator(device=x.device).manual_seed(preset.dataset.seed)

    def train_step(_step: int) -> StepStats:
        if batch and batch < len(x):
            rows = torch.randint(0, len(x), (batch,), generator=generator, device=x.device)
            inputs, targets = x[rows], y[rows]
        else:
            inputs, targets = x, y
        optimizer.zero_grad(set_to_none=True)
        outputs = shared.take() if shared is not None else None
        if outputs is None:
            outputs = model(inputs)
        loss = nn.functional.mse_loss(outputs, targets) if regression else nn.functional.cross_entropy(outputs, targets)
        if not torch.isfinite(loss):
            return StepStats(loss=float(loss.detach()))  # caught by TrainingSession before any update
        loss.backward()
        optimizer.step()
        if regression:
            return StepStats(loss=float(loss.detach()))
        return StepStats(loss=float(loss.detach()), accuracy=argmax_accuracy(outputs.detach(), targets))

    return train_step
