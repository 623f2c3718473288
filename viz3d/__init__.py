"""viz3d: watch what a neural network does to space while it trains, live in 3D.

The public API (importing it loads no GL; only `live` opens a window)::

    tracker = viz3d.watch(model, inputs)            # forward hooks on the model's stages
    snap = tracker.snapshot(step=0)                 # Snapshot: layer_names, activations
    proj = viz3d.project(snap, axes=(0, 1, 2))      # Projection: positions (L, N, 3), explained variance
    tangents = viz3d.pushforward(model, points, vectors)   # {layer name: (N, D)} Jacobian-vector products
    viz3d.live(model, inputs, labels, train_step=fn)       # the live window; fn(step) trains one step
                                                           # and returns its loss, or viz3d.StepStats
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from viz3d.capture.probe import check_inputs
from viz3d.capture.snapshot import Snapshot
from viz3d.capture.tracker import LayerSelector, LayerTracker, Token
from viz3d.errors import Viz3dError
from viz3d.project.projection import LayerMap, Projection, project
from viz3d.project.pushforward import pushforward
from viz3d.train.session import StepStats

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
    "watch",
]
__version__ = "0.1.0"


def watch(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    layers: Sequence[LayerSelector] | None = None,
    output_key: str | int | None = None,
    token: Token = "last",
    stages: bool = False,
) -> LayerTracker:
    """Watch ``model`` on the probe batch ``inputs``; ``layers`` picks modules by name, glob or type.

    Inputs without a batch dimension or with NaN/Inf rows, and labels that are not one per row, raise
    `Viz3dError` here, as `live` does.
    """
    check_inputs(inputs, labels)
    return LayerTracker(model, inputs, labels, layers, output_key=output_key, token=token, stages=stages)


def live(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    train_step: Any = None,
    **options: Any,
) -> None:
    """Open the live window on your own model; ``train_step(step)`` runs one step (and may return the loss).

    With ``labels`` and class logits (N, C) out of the model, the overlay shows the accuracy on ``inputs``;
    otherwise it says why there is none. A model that cannot be watched raises `Viz3dError` before the
    window opens.
    """
    from viz3d.app.live import live as run_live

    run_live(model, inputs, labels, train_step=train_step, **options)
