"""viz3d: watch what a neural network does to space while it trains, live in 3D.

The public API (importing it loads no GL; only `live` opens a window; `picture` and `video` draw
headless, through EGL)::

    tracker = viz3d.watch(model, inputs)            # forward hooks on the model's stages
    snap = tracker.snapshot(step=0)                 # Snapshot: layer_names, activations
    proj = viz3d.project(snap, axes=(0, 1, 2))      # Projection: positions (L, N, 3), explained variance
    tangents = viz3d.pushforward(model, points, vectors)   # {layer name: (N, D)} Jacobian-vector products
    viz3d.live(model, inputs, labels, train_step=fn)       # the live window; fn(step) trains one step
                                                           # and returns its loss, or viz3d.StepStats
    viz3d.picture(model, inputs, labels, "net.png")        # a PNG of the model as it is now
    viz3d.video(model, inputs, labels, "net.mp4", train_step=fn, steps=500)  # train, then sweep the layers
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from viz3d.capture.model_rows import as_watched
from viz3d.capture.probe import ArrayLike, checked_inputs
from viz3d.capture.snapshot import Snapshot
from viz3d.capture.tracker import LayerSelector, LayerTracker, Token
from viz3d.errors import Viz3dError
from viz3d.project.projection import LayerMap, Projection, project
from viz3d.project.pushforward import pushforward
from viz3d.train.step_stats import StepStats

__all__ = [
    "LayerMap",
    "LayerTracker",
    "Projection",
    "Snapshot",
    "StepStats",
    "Viz3dError",
    "live",
    "project",
    "pushforward",
    "picture",
    "video",
    "watch",
]
__version__ = "0.1.0"


def watch(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None = None,
    layers: Sequence[LayerSelector] | None = None,
    output_key: str | int | None = None,
    token: Token = "last",
    stages: bool = False,
) -> LayerTracker:
    """Watch ``model`` on the probe batch ``inputs``; ``layers`` picks modules by name, glob or type.

    ``inputs`` and ``labels`` may be tensors or numpy arrays; inputs go to the device of the model's
    weights, arrays of floats in the weights' dtype and tensors in their own. Inputs without a batch
    dimension or with NaN/Inf rows, and labels that are not one per row, raise `Viz3dError` here, as
    `live` does.
    """
    from_array = not isinstance(inputs, torch.Tensor)
    inputs, labels = checked_inputs(inputs, labels)
    inputs = as_watched(model, inputs, from_array)
    return LayerTracker(model, inputs, labels, layers, output_key=output_key, token=token, stages=stages)


def live(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None = None,
    train_step: Any = None,
    **options: Any,
) -> None:
    """Open the live window on your own model; ``train_step(step)`` runs one step (and may return the loss).

    The overlay scores the model on ``inputs`` against ``labels``: class logits (N, C) with class indices,
    one output per row with 0/1 labels (a binary logit, or a probability out of a sigmoid), or one output
    per row with float targets (a regression, whose points are coloured by value); otherwise it says why
    there is no accuracy. A model that cannot be watched raises `Viz3dError` before the window opens.
    """
    from viz3d.app.live import checked_live_options
    from viz3d.app.live import live as run_live

    run_live(model, inputs, labels, train_step=train_step, **checked_live_options(options))


def picture(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None = None,
    out: str | Path = "viz3d.png",
    **options: Any,
) -> Path:
    """Render your model as it is now to a PNG, headless, as `viz3d render` renders a preset.

    Options: ``size``, ``panel`` (False leaves the panel out), ``force`` (overwrite ``out``),
    ``title``, ``description``, ``layers``, ``arrow_points``/``arrow_vectors``, and a preset's [view]
    keys: ``layer`` (negative counts from the end), ``azimuth``, ``elevation``, ``distance``,
    ``color_by``, ``neuron_layer``, ``neuron_index``, ``point_size``, ``stages``, ... Returns the path.
    An option it does not take, or one out of range, raises `Viz3dError` naming it before any work.
    """
    from viz3d.app.model_pictures import render_model

    return render_model(model, inputs, labels, out, **options)


def video(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None = None,
    out: str | Path = "viz3d.mp4",
    **options: Any,
) -> Path:
    """Record a video of your model, headless, as `viz3d record` records a preset; returns the path.

    With ``train_step``, the default tour trains exactly ``steps`` steps in its first half (without
    ``steps``, one a frame) while orbiting, then sweeps from the input to the output layer. Options as
    `picture`'s, plus ``duration`` (seconds; by default 10, or as long as ``tour``) or ``frames``, ``fps``,
    ``lossless`` (.mkv), and ``tour`` (a list of keyframe dicts, as a preset's [[tour.keyframes]]).
    ``out`` is an .mp4, an .mkv, or a folder of PNGs: a str ending in / or an existing folder. Ctrl-C
    keeps what was recorded, then raises KeyboardInterrupt.
    """
    from viz3d.app.model_pictures import record_model

    return record_model(model, inputs, labels, out, **options)
