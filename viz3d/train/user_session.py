"""A training session around a user's own model and ``train_step``, for `viz3d.live`.

It takes the inputs and labels as tensors (numpy arrays are converted) and checks up front that they
can be watched (`checked_inputs`) and that the model can (one forward of the user's rows, so errors
name the shape they passed), decides how the output is scored against the labels (`scoring`: classes,
one binary logit, a regression, or why not), and measures accuracy on the drawn points when the
user's step reports only its loss.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import torch
from torch import nn

from viz3d.capture.model_rows import as_model_takes, check_weights_have_values, eager, weights_dtype
from viz3d.capture.probe import MIN_ROWS, ArrayLike, as_tensor, checked_inputs, make_probe
from viz3d.capture.snapshot import WX
from viz3d.capture.tracker import LayerSelector, LayerTracker, Token
from viz3d.errors import Viz3dError, note
from viz3d.presets import ProbeSpec
from viz3d.train.scoring import model_output, scoring_for
from viz3d.train.session import TrainingSession, TrainStep
from viz3d.train.step_stats import StepStats

NO_STAGES = (
    "stages=True split no layer: a Linear splits into W·x, +b and its activation only where an activation "
    "module (nn.Tanh, nn.ReLU, ...) runs right after it, on its output; torch.tanh in forward is not a module"
)
REGIONS = 48  # cells across the lattice of decision regions of a 2-D classifier, as the 2-D presets have
ACCURACY_SECONDS = 0.5  # accuracy is measured at each capture and at least this often ...
ACCURACY_SHARE = 0.1  # ... but never for more than about this share of the training time


def user_session(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None = None,
    train_step: TrainStep | None = None,
    layers: Sequence[LayerSelector] | None = None,
    stages: bool = False,
    capture_every: int = 10,
    arrow_points: ArrayLike | None = None,
    arrow_vectors: ArrayLike | None = None,
    title: str | None = None,
    output_key: str | int | None = None,
    token: Token = "last",
) -> UserSession:
    """`live`'s session around the user's model (its ``accuracy_note`` says why where there is no accuracy).

    ``output_key`` and ``token`` pick the tensor of each layer's output, and of the model's, as in `watch`."""
    inputs, labels = checked_inputs(inputs, labels, min_rows=MIN_ROWS)
    model = eager(model)  # scored and captured uncompiled; the train_step keeps the user's compiled model
    check_weights_have_values(model)
    inputs = as_model_takes(model, inputs)
    if labels is not None:  # one value a row (a regression's (N, 1) targets too), and a copy: a train_step
        labels = labels.reshape(len(labels)).clone()  # that shuffles the user's labels changes nothing here
    if arrow_points is not None:
        arrow_points = as_tensor("arrow_points", arrow_points)
    if arrow_vectors is not None:
        arrow_vectors = as_tensor("arrow_vectors", arrow_vectors)
    if train_step is not None and not callable(train_step):
        raise Viz3dError(
            f"train_step: a {type(train_step).__name__}, not a function: pass fn, where fn(step) trains one step"
        )
    picks = {"layers": layers, "stages": stages, "output_key": output_key, "token": token}
    # A model with nothing to watch, or inputs of the wrong shape: say so now, in the terminal, not in a
    # window. One forward of the user's own rows, so an error names the shape they passed.
    rows = inputs.detach()
    snapshot = LayerTracker(model, rows, **picks).snapshot()
    scoring = scoring_for(model, rows, labels, snapshot.activations[snapshot.layer_names[-1]], output_key, token)
    plane = rows.is_floating_point() and rows.ndim == 2 and rows.shape[1] == 2
    spec = ProbeSpec()
    probe = make_probe(
        rows,
        labels if labels is not None else torch.zeros(len(rows), dtype=torch.long),
        spec.grid_lines,
        spec.grid_samples,
        spec.grid_margin,
        arrow_points,
        arrow_vectors,
        regions=REGIONS if plane and scoring.kind and scoring.n_classes else 0,  # a classifier of the plane
        dtype=weights_dtype(model) or torch.float32,  # float inputs as the weights are: a .double() model works
    )
    tracker = LayerTracker(model, probe.inputs, **picks)
    data = probe.inputs[: probe.n_data]
    if labels is None:
        probe = replace(probe, labelled=False)  # all class 0: nothing is correct or wrong
    if scoring.class_labels and probe.targets is not None:  # float class ids or 0/1: colour by class
        probe = replace(probe, labels=labels.detach().cpu().long().numpy(), targets=None)

    def evaluate() -> StepStats:  # loss and accuracy on the drawn points, as `viz3d train` measures presets
        return scoring.stats(model_output(model, data, output_key, token))

    session = UserSession(
        model,
        probe,
        train_step,  # None: a model to look at, not to train
        title=title or type(model).__name__,
        tracker=tracker,
        n_classes=scoring.n_classes,
        evaluate=evaluate if scoring.kind else None,
        capture_every=capture_every,
    )
    if scoring.kind == "binary":  # one logit: the class probabilities are its sigmoid (else a softmax)
        session.class_probabilities = scoring.class_probabilities
    session.predicts_values = scoring.kind == "regression" and scoring.last_is_output
    session.shown_first = _shown_first(snapshot.widths)
    session.stages_note = "" if not stages or WX in snapshot.layer_kinds else NO_STAGES
    if session.stages_note:
        note(session.stages_note)
    session.accuracy_note = scoring.why_not or "-"
    if train_step is None and session.evaluate is not None:  # shown as it is: its scores, once
        session.last_stats = session.evaluate()
    return session


def _shown_first(widths: list[int]) -> float | None:
    """Where a user's model is shown first when no layer is asked for: the last watched layer, unless it
    is one unit wide (a regression's output, a single logit: a line, with the plane's warping out of
    sight); then the last layer after the input that is wider. None when the last layer will do."""
    wider = [position for position, width in enumerate(widths) if width > 1 and position > 0]
    return float(wider[-1]) if widths and widths[-1] == 1 and wider else None


class UserSession(TrainingSession):
    """A session around a user's ``train_step``, which reports the loss but rarely the accuracy.

    The presets take their accuracy from each step's own outputs; a user's step keeps its outputs to
    itself, so when it returns no accuracy, the accuracy shown is measured on the drawn points
    (``inputs``, ``labels``) in eval mode by the session's ``evaluate``, as `viz3d train` measures the
    presets: after every step that a capture follows, and between captures at least every
    `ACCURACY_SECONDS` (single steps while paused) but within `ACCURACY_SHARE` of the time.
    """

    steps_are_users = True

    def __init__(self, *args: Any, capture_every: int = 10, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.capture_every = max(1, capture_every)
        self.shown_first: float | None = None  # the layer to show first when none is asked for (or the last)
        self.stages_note = ""  # why stages=True split nothing, for the terminal
        self._accuracy: float | None = None
        self.reports_accuracy = False  # whether the last step returned its own StepStats with an accuracy
        self.accuracy_by_clock = True  # False in a recording, which measures after every frame instead
        self._measured_at = -math.inf
        self._measure_seconds = 0.0

    def train_step(self) -> StepStats:
        stats = super().train_step()
        self.reports_accuracy = stats.accuracy is not None
        if stats.accuracy is not None or self.evaluate is None or not self.n_classes or not self.accuracy_by_clock:
            return stats  # the step reported its own accuracy, there is none to measure, or a recording measures it
        now = time.perf_counter()
        every = max(ACCURACY_SECONDS, self._measure_seconds / ACCURACY_SHARE)
        if self.step % self.capture_every == 0 or now - self._measured_at >= every:
            self._accuracy = self.evaluate().accuracy
            self._measured_at = time.perf_counter()
            self._measure_seconds = self._measured_at - now
        self.last_stats = replace(stats, accuracy=self._accuracy)
        return self.last_stats

    def final_stats(self) -> StepStats | None:
        """The scores after training: the step's own, where it reports its accuracy (as the README promises
        a `StepStats` is shown), else measured on the drawn points as they are now."""
        return self.last_stats if self.reports_accuracy else super().final_stats()
