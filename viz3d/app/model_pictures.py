"""Pictures and videos of the user's own model, headless: `viz3d.picture` and `viz3d.video`.

They make of a model what `viz3d render` and `viz3d record` make of a preset, through the same code
(`render_session`, `record_session`): the model is wrapped in a session as `viz3d.live` wraps it, and
the keyword options become a preset's [view], [tour] and training steps, checked as a preset file is,
so a typo is one line naming the option, in Python's words (``tour[1]['layer']``, not a preset's
``[tour.keyframes 2] layer``). The functions' own options (size, fps, frames, ...) are checked here
first, as the CLI checks its flags, each error naming the keyword.
"""

from __future__ import annotations

import inspect
import numbers
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from viz3d.app.interrupt import Stopped
from viz3d.app.limits import DAY, FPS_MAX, SIDES
from viz3d.capture.model_rows import eager
from viz3d.capture.probe import ArrayLike
from viz3d.capture.tracker import LayerSelector, Token
from viz3d.errors import PresetError, Viz3dError
from viz3d.presets import SCHEMA_VERSION, Preset, ViewSpec, did_you_mean, parse_preset
from viz3d.train.session import TrainStep
from viz3d.train.user_session import UserSession, user_session

PICTURE, VIDEO = "viz3d.picture()", "viz3d.video()"
TOUR_EXAMPLE = "tour=[{'time': 0, 'layer': 0}, {'time': 5, 'layer': -1}]"


def render_model(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None = None,
    out: str | Path = "viz3d.png",
    *,
    layers: Sequence[LayerSelector] | None = None,
    output_key: str | int | None = None,
    token: Token = "last",
    arrow_points: ArrayLike | None = None,
    arrow_vectors: ArrayLike | None = None,
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

    _check_options(PICTURE, view, render_model)
    _check_labels(PICTURE, labels)
    _check_switches(PICTURE, panel=panel, force=force)
    size = check_size(PICTURE, size)
    with _in_python_words(PICTURE):
        preset = _user_preset(PICTURE, title or type(eager(model)).__name__, description, view)
        picks = {"layers": layers, "output_key": output_key, "token": token}
        session = _session(model, inputs, labels, None, picks, arrow_points, arrow_vectors, preset)
        preset = _shown_first(session, preset, view)
        request = StillRequest(out=Path(out), size=size, steps=0, ui=panel, force=force)
        return render_session(session, preset, request)


def record_model(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None = None,
    out: str | Path = "viz3d.mp4",
    *,
    train_step: TrainStep | None = None,
    steps: int | None = None,
    duration: float | None = None,
    frames: int | None = None,
    fps: int = 60,
    size: tuple[int, int] = (1920, 1080),
    lossless: bool = False,
    tour: Sequence[Mapping[str, Any]] = (),
    layers: Sequence[LayerSelector] | None = None,
    output_key: str | int | None = None,
    token: Token = "last",
    arrow_points: ArrayLike | None = None,
    arrow_vectors: ArrayLike | None = None,
    title: str | None = None,
    description: str = "",
    panel: bool = True,
    force: bool = False,
    **view: Any,
) -> Path:
    """Record a video of the model (10 s, or as long as ``tour``, by default): training it with ``train_step``
    while the camera orbits, then sweeping through its layers, as `viz3d record` does for a preset; returns
    the path.

    The default tour runs exactly ``steps`` training steps in its first half, spread evenly over its
    frames (without ``steps``, one a frame; ``steps=0`` trains nothing: the model as it is); ``tour``
    takes keyframes as a preset's [[tour.keyframes]] (time, layer, azimuth, ..., training, overlay), and
    the steps are spread over the frames where a keyframe says training is on. Frame 0 shows the model as
    it is when called. ``out`` ending in .mp4 (H.264), .mkv (``lossless``, FFV1) or / (a folder of PNGs; an
    existing folder may be a Path).
    Ctrl-C keeps what was recorded, then raises KeyboardInterrupt.
    """
    from viz3d.app.recorder import RecordRequest, record_session

    _check_options(VIDEO, view, record_model)
    _check_labels(VIDEO, labels)
    _check_switches(VIDEO, panel=panel, force=force, lossless=lossless)
    size = check_size(VIDEO, size)
    fps, frames, duration = _check_length(fps, frames, duration)
    if steps is not None:
        steps = check_count(VIDEO, "steps", steps, 0, "training steps", 500)
    if steps == 0:  # nothing trains: the tour for a model with nothing to train (hold, sweep, hold)
        train_step = None
    if steps and train_step is None:
        raise Viz3dError(
            f"{VIDEO}: steps={steps} needs a train_step to run: pass train_step=fn, where fn(step) trains "
            "one step, or leave steps out"
        )
    _check_tour(tour)
    request = RecordRequest(
        out=_video_out(out),
        size=size,
        fps=fps,
        duration=duration,
        frames=frames,
        lossless=lossless,
        ui=panel,
        force=force,
        train_steps=steps,  # exactly these, spread over the frames that train (None: one a frame)
    )
    with _in_python_words(VIDEO):
        preset = _user_preset(VIDEO, title or type(eager(model)).__name__, description, view, tour, steps or 0)
        picks = {"layers": layers, "output_key": output_key, "token": token}
        session = _session(model, inputs, labels, train_step, picks, arrow_points, arrow_vectors, preset)
        preset = _shown_first(session, preset, view)
        result = record_session(session, preset, request)
    if result.interrupted:  # Ctrl-C or a kill: what was recorded is kept (the recorder said where), the script stops
        raise Stopped(result.signum)
    if result.path is None:
        raise Viz3dError(f"{VIDEO}: no frame was recorded, so nothing was written")
    return result.path


@contextmanager
def _in_python_words(caller: str) -> Iterator[None]:
    """Errors about the options, which are checked as a preset's [view] and [tour] are, named as the
    caller passed them: ``color_by: ...`` for ``[view] color_by: ...``, and ``tour[1]['layer']: ...``
    for ``[tour.keyframes 2] layer: ...`` (keyframes counted from 0, as Python counts the list)."""
    try:
        yield
    except PresetError as err:
        message = str(err)
        if not message.startswith(f"{caller}: ["):
            raise
        raise PresetError(_python_words(caller, message)) from None


def _python_words(caller: str, message: str) -> str:
    """``message`` with its preset words (the part naming the section and key, before the problem) in
    the caller's words; the rest, which may quote the caller's own values, as it was."""
    rest = message.removeprefix(f"{caller}: ")
    match = re.match(
        r"\[view\] |\[tour(?:\.keyframes|\] keyframe) (?P<number>\d+)\]? ?(?:(?P<key>\w+):)?|\[tour\](?: keyframes)?",
        rest,
    )
    if match is None:
        return message
    if match["number"] is None:
        said = "" if match[0] == "[view] " else "tour"
    else:
        index = f"tour[{int(match['number']) - 1}]"
        said = f"{index}[{match['key']!r}]:" if match["key"] else f"{index}: "
    return f"{caller}: {said}{rest[match.end() :]}"


TRAINING_OPTIONS = ("steps", "train_step")  # viz3d.video's: it trains between frames


def _check_options(caller: str, view: Mapping[str, Any], function: Callable[..., Any]) -> None:
    """Every key of ``view`` must be a [view] key: a typo in one of ``function``'s own keywords
    (``forse``) is named as an unknown option, with the keyword it is closest to."""
    view_keys = [spec.name for spec in fields(ViewSpec)]
    own = [
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind is parameter.KEYWORD_ONLY
    ]
    for key in view:
        if key in TRAINING_OPTIONS and key not in own:  # picture(steps=...): not a typo of 'stages'
            raise Viz3dError(
                f"{caller}: {key}= is for viz3d.video, which trains as it records; {caller} draws the model as it "
                "is: train it first, then call it"
            )
        if key not in view_keys:
            hint = did_you_mean(key, [*own, "labels", "out", *view_keys])
            raise Viz3dError(
                f"{caller}: unknown option {key!r}{hint}: it takes {', '.join(own)}, "
                f"and a preset's [view] keys ({', '.join(view_keys)})"
            )


def _check_labels(caller: str, labels: object) -> None:
    """The output file passed third, where ``labels`` goes, is named as such (rather than as labels that
    are not an array)."""
    if isinstance(labels, (str, Path)):
        raise Viz3dError(
            f"{caller}: labels: {str(labels)!r} looks like the output file: pass it as out={str(labels)!r} "
            "(the third argument is labels)"
        )


def _check_switches(caller: str, **switches: object) -> None:
    """True or False only: force="no" is truthy, and overwrote a file."""
    for name, value in switches.items():
        if not isinstance(value, bool):
            raise Viz3dError(f"{caller}: {name}={value!r}: pass True or False")


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_size(caller: str, size: object) -> tuple[int, int]:
    """``size`` as a (width, height) tuple of ints, each side within `SIDES`; else an error naming ``caller``."""
    low, high = SIDES
    if isinstance(size, Sequence) and not isinstance(size, str) and len(size) == 2 and all(map(_is_int, size)):
        width, height = int(size[0]), int(size[1])
        if low <= width <= high and low <= height <= high:
            return width, height
    raise Viz3dError(
        f"{caller}: size={size!r}: pass (width, height), each a whole number of pixels from {low} to {high}, "
        "e.g. size=(1280, 720)"
    )


def check_count(caller: str, name: str, value: object, least: int, what: str, example: int) -> int:
    """``value`` as an int of at least ``least`` (0 or 1); else an error naming ``caller`` and the keyword."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        bound = "0 or more" if least == 0 else "above zero"
        raise Viz3dError(f"{caller}: {name}={value!r}: pass a whole number of {what}, {bound}, e.g. {name}={example}")
    return int(value)


def _check_length(fps: object, frames: object, duration: object) -> tuple[int, int | None, float | None]:
    """``fps``, and ``frames`` or ``duration`` (or neither: the default length), checked as `viz3d record`
    checks its flags."""
    fps = check_count(VIDEO, "fps", fps, 1, "frames a second", 30)
    if fps > FPS_MAX:
        raise Viz3dError(f"{VIDEO}: fps={fps}: pass at most {FPS_MAX} frames a second, e.g. fps=60")
    if frames is not None:
        frames = check_count(VIDEO, "frames", frames, 1, "frames", 600)
    if duration is not None:
        if not isinstance(duration, numbers.Real) or isinstance(duration, bool) or not 0 < duration < DAY:
            raise Viz3dError(
                f"{VIDEO}: duration={duration!r}: pass seconds above zero and under a day, e.g. duration=10"
            )
        duration = float(duration)
    if frames is not None and duration is not None:
        raise Viz3dError(f"{VIDEO}: frames={frames} and duration={duration:g}: pass one of them, not both")
    return fps, frames, duration


def _check_tour(tour: object) -> None:
    """``tour`` must be a list of keyframe dicts (their keys are checked as a preset's are)."""
    if isinstance(tour, (str, bytes, Mapping)) or not isinstance(tour, Sequence):
        raise Viz3dError(
            f"{VIDEO}: tour: expected a list of keyframe dicts, got {type(tour).__name__}: pass e.g. {TOUR_EXAMPLE}"
        )
    for index, keyframe in enumerate(tour):
        if not isinstance(keyframe, Mapping):
            kind = type(keyframe).__name__
            raise Viz3dError(f"{VIDEO}: tour[{index}]: expected a keyframe dict, got {kind}: pass e.g. {TOUR_EXAMPLE}")


def _video_out(out: str | Path) -> str:
    """``out`` as the recorder takes it: an existing folder ends in / (``str(Path("frames/"))`` drops it),
    so that it is written as a folder of PNGs."""
    text = str(out)
    if Path(text).is_dir() and not text.endswith(("/", os.sep)):
        return text + "/"
    return text


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
        "view": {key: _as_toml(value) for key, value in view.items()},
        "tour": {"keyframes": [_as_toml(keyframe) for keyframe in tour]},
    }
    return parse_preset(raw, Path(caller))


def _as_toml(value: Any) -> Any:
    """An option as a preset file would hold it: axes=(1, 2, 3), range(1, 4), a numpy array or a tensor
    as a list, a numpy or torch number as a Python one (a keyframe's too)."""
    if isinstance(value, Mapping):
        return {key: _as_toml(item) for key, item in value.items()}
    if isinstance(value, (tuple, range)):
        return [_as_toml(item) for item in value]
    if isinstance(value, (np.ndarray, np.generic, torch.Tensor)):
        return value.tolist()
    return value


def _session(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None,
    train_step: TrainStep | None,
    picks: Mapping[str, Any],
    arrow_points: ArrayLike | None,
    arrow_vectors: ArrayLike | None,
    preset: Preset,
) -> UserSession:
    """The session around the model; ``picks``: what to watch (``layers``, ``output_key``, ``token``)."""
    session = user_session(
        model,
        inputs,
        labels,
        train_step,
        stages=preset.view.stages,
        arrow_points=arrow_points,
        arrow_vectors=arrow_vectors,
        title=preset.title,
        **picks,
    )
    session.projector.shared_scale = preset.view.shared_scale
    session.projector.default_axes = preset.view.axes
    return session


def _shown_first(session: UserSession, preset: Preset, view: Mapping[str, Any]) -> Preset:
    """The preset with the layer shown first where the options name none (`UserSession.shown_first`)."""
    layer = None if "layer" in view else session.shown_first
    return preset if layer is None else replace(preset, view=replace(preset.view, layer=layer))
