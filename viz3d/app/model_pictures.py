"""Pictures and videos of the user's own model, headless: `viz3d.picture` and `viz3d.video`.

They make of a model what `viz3d render` and `viz3d record` make of a preset, through the same code
(`render_session`, `record_session`): the model is wrapped in a session as `viz3d.live` wraps it, and
the keyword options become a preset's [view], [tour] and training steps, checked as a preset file is,
so a typo is one line naming the option.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from viz3d.capture.tracker import LayerSelector
from viz3d.presets import SCHEMA_VERSION, Preset, parse_preset
from viz3d.train.session import TrainingSession, TrainStep
from viz3d.train.user_session import user_session


def render_model(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    out: str | Path = "viz3d.png",
    *,
    layers: Sequence[LayerSelector] | None = None,
    arrow_points: torch.Tensor | None = None,
    arrow_vectors: torch.Tensor | None = None,
    title: str | None = None,
    description: str = "",
    size: tuple[int, int] = (1280, 720),
    panel: bool = True,
    force: bool = False,
    **view: Any,
) -> Path:
    """Render the model as it is now to a PNG; returns the path written. ``view`` takes a preset's
    [view] keys (layer, azimuth, elevation, distance, color_by, neuron_layer, point_size, stages, ...)."""
    from viz3d.app.still import StillRequest, render_session

    preset = _user_preset("viz3d.picture()", title or type(model).__name__, description, view)
    session = _session(model, inputs, labels, None, layers, arrow_points, arrow_vectors, preset)
    return render_session(session, preset, StillRequest(out=Path(out), size=size, steps=0, ui=panel, force=force))


def record_model(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    out: str | Path = "viz3d.mp4",
    *,
    train_step: TrainStep | None = None,
    steps: int = 0,
    duration: float | None = None,
    frames: int | None = None,
    fps: int = 60,
    size: tuple[int, int] = (1920, 1080),
    lossless: bool = False,
    tour: Sequence[Mapping[str, Any]] = (),
    layers: Sequence[LayerSelector] | None = None,
    arrow_points: torch.Tensor | None = None,
    arrow_vectors: torch.Tensor | None = None,
    title: str | None = None,
    description: str = "",
    panel: bool = True,
    force: bool = False,
    **view: Any,
) -> Path:
    """Record a video of the model (default 10 s): training it with ``train_step`` while the camera
    orbits, then sweeping through its layers, as `viz3d record` does for a preset; returns the path.

    The default tour runs ``steps`` training steps in its first half (at least one a frame); ``tour``
    takes keyframes as a preset's [[tour.keyframes]] (time, layer, azimuth, ..., training, overlay),
    and then ``train_step`` runs once a frame while a keyframe says training is on. ``out`` ending in
    .mp4 (H.264), .mkv (``lossless``, FFV1) or / (a folder of PNGs). Ctrl-C keeps what was recorded.
    """
    from viz3d.app.recorder import RecordRequest, record_session

    preset = _user_preset("viz3d.video()", title or type(model).__name__, description, view, tour, steps)
    session = _session(model, inputs, labels, train_step, layers, arrow_points, arrow_vectors, preset)
    request = RecordRequest(
        out=str(out), size=size, fps=fps, duration=duration, frames=frames, lossless=lossless, ui=panel, force=force
    )
    result = record_session(session, preset, request)
    if result.interrupted or result.path is None:  # Ctrl-C: what was recorded is kept, and the script stops
        raise KeyboardInterrupt
    return result.path


def _user_preset(
    caller: str,
    title: str,
    description: str,
    view: Mapping[str, Any],
    tour: Sequence[Mapping[str, Any]] = (),
    steps: int = 0,
) -> Preset:
    """The keyword options as a preset, validated as a preset file is; errors name ``caller``."""
    raw: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "title": title,
        "description": description,
        "training": {"steps": steps},
        "view": dict(view),
        "tour": {"keyframes": [dict(keyframe) for keyframe in tour]},
    }
    return parse_preset(raw, Path(caller))


def _session(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None,
    train_step: TrainStep | None,
    layers: Sequence[LayerSelector] | None,
    arrow_points: torch.Tensor | None,
    arrow_vectors: torch.Tensor | None,
    preset: Preset,
) -> TrainingSession:
    session, _ = user_session(
        model,
        inputs,
        labels,
        train_step,
        layers,
        preset.view.stages,
        arrow_points=arrow_points,
        arrow_vectors=arrow_vectors,
        title=preset.title,
    )
    session.projector.shared_scale = preset.view.shared_scale
    return session
