"""The live loop: a window, the training thread, the overlay and the renderer, once per frame.

Per frame: poll input → take the newest projection from the mailbox (upload if new) → ImGui edits
the `ViewState` → state changes become training commands → draw the scene, then the overlay → swap.
Nothing here waits for training; a failed step shows in the overlay and the last picture stays.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from viz3d.app.detail import DetailController
from viz3d.app.interrupt import StopRequest
from viz3d.app.screen_capture import ScreenCapture
from viz3d.app.state import ViewState, resolve_layer
from viz3d.capture.probe import make_probe
from viz3d.capture.tracker import LayerSelector, LayerTracker
from viz3d.colors import legend_names
from viz3d.presets import Preset, ProbeSpec, ViewSpec
from viz3d.project.projection import Projection
from viz3d.train.mailbox import Mailbox
from viz3d.train.session import StepStats, TrainingSession, TrainStep, evaluate_model, session_from_preset
from viz3d.train.thread import TrainingThread

if TYPE_CHECKING:
    from viz3d.render.imgui_layer import ImGuiLayer
    from viz3d.render.renderer import FrameRenderer

FRAME_RATE = 60  # the rate live training is paced to: steps_per_frame × this many steps per second
ACCURACY_SECONDS = 0.5  # a user's model: accuracy is measured at each capture and at least this often
ACCURACY_SHARE = 0.1  # ... but never for more than about this share of the training time


def run_preset(
    preset: Preset,
    size: tuple[int, int] = (1280, 720),
    playing: bool = True,
    max_frames: int | None = None,
    device: str = "cpu",
) -> None:
    """Open a window and train ``preset`` live until the window is closed (or ``max_frames`` are shown)."""
    session = session_from_preset(preset, device=device)
    run_session(
        session,
        preset.view,
        title=preset.title,
        description=preset.description,
        look_for=preset.look_for,
        size=size,
        playing=playing,
        capture_every=preset.training.capture_every,
        steps_per_second=preset.training.steps_per_frame * FRAME_RATE,
        max_frames=max_frames,
        no_accuracy="-" if session.n_classes else "n/a (regression)",
    )


def live(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    train_step: TrainStep | None = None,
    layers: Sequence[LayerSelector] | None = None,
    stages: bool = False,
    capture_every: int = 10,
    arrow_points: torch.Tensor | None = None,
    arrow_vectors: torch.Tensor | None = None,
    size: tuple[int, int] = (1280, 720),
    title: str | None = None,
    max_frames: int | None = None,
) -> None:
    """Watch your own model in a window; ``train_step(step)`` runs one step and may return the loss.

    ``inputs`` is the probe: the points drawn (and, for 2D inputs, the grid laid over them); ``labels``
    colour them. ``arrow_points``/``arrow_vectors`` add tangent arrows pushed forward through every layer.
    When the model's output on ``inputs`` is class logits (N, C) for ``labels``, the overlay shows the
    accuracy on those points (and can colour by prediction); otherwise it says why there is none.
    A model or probe that cannot be watched raises `Viz3dError` here, before the window opens; an error
    in a later training step pauses training and shows in the window instead.
    """
    session, no_accuracy = user_session(
        model, inputs, labels, train_step, layers, stages, capture_every, arrow_points, arrow_vectors, title
    )
    run_session(
        session,
        ViewSpec(),
        title=session.title,
        size=size,
        capture_every=capture_every,
        playing=train_step is not None,
        max_frames=max_frames,
        no_accuracy=no_accuracy,
    )


def user_session(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    train_step: TrainStep | None = None,
    layers: Sequence[LayerSelector] | None = None,
    stages: bool = False,
    capture_every: int = 10,
    arrow_points: torch.Tensor | None = None,
    arrow_vectors: torch.Tensor | None = None,
    title: str | None = None,
) -> tuple[TrainingSession, str]:
    """`live`'s session around the user's model, and what the overlay shows while there is no accuracy."""
    classes = labels if labels is not None else torch.zeros(len(inputs), dtype=torch.long)
    spec = ProbeSpec()
    probe = make_probe(
        inputs, classes, spec.grid_lines, spec.grid_samples, spec.grid_margin, arrow_points, arrow_vectors
    )
    tracker = LayerTracker(model, probe.inputs, layers=layers, stages=stages)
    # A model with nothing to watch, or inputs of the wrong shape: say so now, in the terminal, not in a
    # window. One forward of the user's own rows, so an error names the shape they passed.
    data = probe.inputs[: probe.n_data]
    LayerTracker(model, data, layers=layers, stages=stages).snapshot()
    n_classes, why_not = _class_logits(model, data, labels)
    targets = labels.to(data.device, torch.long) if n_classes and labels is not None else None

    def evaluate() -> StepStats:  # loss and accuracy on the drawn points, as `viz3d train` measures presets
        return evaluate_model(model, data, targets, regression=False)

    session = UserSession(
        model,
        probe,
        train_step or (lambda _step: None),
        title=title or type(model).__name__,
        tracker=tracker,
        n_classes=n_classes,
        evaluate=evaluate if targets is not None else None,
        capture_every=capture_every,
    )
    return session, why_not or "-"


class UserSession(TrainingSession):
    """A session around a user's ``train_step``, which reports the loss but rarely the accuracy.

    The presets take their accuracy from each step's own outputs; a user's step keeps its outputs to
    itself, so when it returns no accuracy, the accuracy shown is measured on the drawn points
    (``inputs``, ``labels``) in eval mode by the session's ``evaluate``, as `viz3d train` measures the
    presets: after every step that a capture follows, and between captures at least every
    `ACCURACY_SECONDS` (single steps while paused) but within `ACCURACY_SHARE` of the time.
    """

    def __init__(self, *args: Any, capture_every: int = 10, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.capture_every = max(1, capture_every)
        self._accuracy: float | None = None
        self._measured_at = -math.inf
        self._measure_seconds = 0.0

    def train_step(self) -> StepStats:
        stats = super().train_step()
        if stats.accuracy is not None or self.evaluate is None:
            return stats  # the step reported its own accuracy, or there is none to measure
        now = time.perf_counter()
        every = max(ACCURACY_SECONDS, self._measure_seconds / ACCURACY_SHARE)
        if self.step % self.capture_every == 0 or now - self._measured_at >= every:
            self._accuracy = self.evaluate().accuracy
            self._measured_at = time.perf_counter()
            self._measure_seconds = self._measured_at - now
        self.last_stats = replace(stats, accuracy=self._accuracy)
        return self.last_stats


def _class_logits(model: nn.Module, data: torch.Tensor, labels: torch.Tensor | None) -> tuple[int, str | None]:
    """(C, None) when the model's output on ``data`` is class logits (N, C) for ``labels``; else (0, why
    accuracy is not defined), short enough for the overlay's line."""
    if labels is None:
        return 0, "n/a (no labels)"
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        return 0, "n/a (labels are not class indices)"
    if labels.shape != (len(data),):
        return 0, f"n/a (labels {tuple(labels.shape)}, not one per input)"
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            output = model(data)
    finally:
        model.train(was_training)
    if not isinstance(output, torch.Tensor):
        return 0, f"n/a (the model returns a {type(output).__name__})"
    if output.ndim != 2 or output.shape[1] < 2:
        shape = ", ".join(["N", *map(str, output.shape[1:])])
        return 0, f"n/a (output ({shape}) is not class logits)"
    n_classes = output.shape[1]
    if len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) < n_classes:
        return 0, f"n/a (labels {int(labels.min())}..{int(labels.max())}, output has {n_classes} classes)"
    return n_classes, None


def run_session(
    session: TrainingSession,
    view: ViewSpec,
    title: str,
    description: str = "",
    look_for: str = "",
    size: tuple[int, int] = (1280, 720),
    playing: bool = True,
    capture_every: int = 10,
    steps_per_second: float | None = None,
    max_frames: int | None = None,
    no_accuracy: str = "-",
) -> None:
    """The live loop; ``no_accuracy`` is what the overlay shows while there is no accuracy (why not)."""
    from viz3d.render.context import open_window
    from viz3d.render.imgui_layer import ImGuiLayer
    from viz3d.render.renderer import FrameRenderer
    from viz3d.render.visuals import RecordingMark
    from viz3d.ui.controls import handle_camera, handle_shortcuts
    from viz3d.ui.overlay import Overlay

    context = open_window(*size, title=f"viz3d — {title}")
    trainer: TrainingThread | None = None
    imgui_layer: ImGuiLayer | None = None
    capture = ScreenCapture(stem=f"viz3d-{_slug(title)}")
    stop = StopRequest().install()  # Ctrl-C in the terminal closes the window between frames
    try:
        renderer = FrameRenderer()
        renderer.set_probe(session.probe)
        imgui_layer = ImGuiLayer(context)
        legend = legend_names(session.probe.labels, session.class_names)
        overlay = Overlay(title, description, look_for, no_accuracy, class_names=legend)
        mark = RecordingMark()
        detail = DetailController()
        state = ViewState.from_spec(view)
        state.playing = playing and session.trainable
        mailbox: Mailbox[Projection] = Mailbox()
        history: Mailbox[Projection] = Mailbox()
        trainer = TrainingThread(
            session,
            mailbox,
            capture_every=capture_every,
            playing=playing,
            steps_per_second=steps_per_second,
            history_mailbox=history,
        )
        trainer.start()
        shown: Projection | None = None
        asked_playing = state.playing
        frames = 0
        last_time = time.perf_counter()
        while not context.should_close() and not stop.requested and (max_frames is None or frames < max_frames):
            frames += 1
            context.poll()
            now = time.perf_counter()
            dt, last_time = now - last_time, now
            incoming = _newest_for(state, mailbox, history, shown)
            if incoming is not None:
                renderer.set_projection(incoming)
                if shown is None:  # the first picture: open on the layer the preset names
                    state.set_n_layers(len(incoming.layer_names))
                    state.set_layer(resolve_layer(view.layer, incoming.layer_names))
                    state.pick_neuron(incoming.layer_names)  # a bad neuron_layer: one line now, not mid-frame
                state.set_n_layers(len(incoming.layer_names))
                shown = incoming
            fb_size = context.framebuffer_size()
            imgui_layer.new_frame(dt)
            handle_shortcuts(state)
            handle_camera(state, context.window_size()[1])
            status = trainer.status()
            if status.error and not status.playing:
                state.playing = asked_playing = False  # training paused itself: the Play button must say so
            overlay.draw(state, status, shown)
            if state.playing != asked_playing:  # only a change the user made is a command (see set_playing)
                trainer.set_playing(state.playing)
                asked_playing = state.playing
            neuron = state.pick_neuron(shown.layer_names if shown is not None else [])
            trainer.request_view(state.axes, state.freeze_basis, state.history_step, neuron)
            if state.step_requested:
                trainer.step_once()
                state.step_requested = False
            state.advance(dt)
            detail.enabled = state.adaptive_detail
            state.lod_stride = detail.update(dt, session.probe.n_data)
            state.detail_note = detail.describe(session.probe.n_data)
            pixel_scale = fb_size[0] / max(context.window_size()[0], 1)
            renderer.draw(state, fb_size, pixel_scale=pixel_scale)
            _capture_scene(state, capture, renderer, fb_size, pixel_scale)
            imgui_layer.render()
            if capture.recording:
                if state.record_overlay:
                    capture.add(renderer.read_pixels(fb_size))
                mark.draw(fb_size, pixel_scale)  # after the capture: on screen, not in the file
            context.swap()
    finally:
        try:
            if capture.recording:
                path, frames, dropped = capture.stop()
                print(f"viz3d: recording saved to {path} ({frames} frames, {dropped} dropped)")
        finally:
            stop.restore()
            if trainer is not None:
                trainer.stop()
            if imgui_layer is not None:
                imgui_layer.shutdown()
            context.close()
    if stop.requested:
        raise KeyboardInterrupt  # after a clean shutdown: the caller sees Ctrl-C as Ctrl-C (viz3d exits 130)


def _newest_for(
    state: ViewState, live: Mailbox[Projection], history: Mailbox[Projection], shown: Projection | None
) -> Projection | None:
    """The projection to upload this frame, if a new one is due: live, or the stored step asked for."""
    if state.history_step is None:
        fresh = live.take()
        if fresh is None and shown is not None and shown is history.latest():
            return live.latest()  # back to live after scrubbing: show the newest live picture at once
        return fresh
    fresh = history.take()
    return fresh if fresh is not None and fresh.step == state.history_step else None


def _capture_scene(
    state: ViewState, capture: ScreenCapture, renderer: FrameRenderer, size: tuple[int, int], pixel_scale: float = 1.0
) -> None:
    """Serve S and R with the scene just drawn (before the overlay): screenshots and panel-less video.

    Neither shows the panel, so neither keeps the room left for it: a screenshot is drawn once more
    with the scene in the middle, and while recording without the panel the view is centred anyway
    (see `ViewState.frame_left_target`)."""
    if state.screenshot_requested:
        state.screenshot_requested = False
        shot = capture.screenshot(_scene_centred(state, renderer, size, pixel_scale))
        state.status_line = f"screenshot saved to {shot}"
    if state.recording and not capture.recording:
        state.status_line = f"recording to {capture.start(size)}"
        if not state.record_overlay and state.camera.frame_left != state.frame_left_target:
            state.settle_frame()  # a video without the panel starts centred, not sliding over
            renderer.draw(state, size, pixel_scale=pixel_scale)
    elif not state.recording and capture.recording:
        path, frames, dropped = capture.stop()
        lost = f", {dropped} dropped: the encoder could not keep up" if dropped else ""
        state.status_line = f"recording saved to {path} ({frames} frames{lost})"
    if capture.recording and capture.writer is not None and capture.writer.size != tuple(size):
        state.recording = False  # the window was resized: a video keeps one size
        path, frames, _ = capture.stop()
        state.status_line = f"window resized: recording stopped and saved to {path} ({frames} frames)"
    if capture.recording and not state.record_overlay:
        capture.add(renderer.read_pixels(size))


def _scene_centred(state: ViewState, renderer: FrameRenderer, size: tuple[int, int], pixel_scale: float) -> np.ndarray:
    """The scene as drawn, or drawn again without the room left for the panel; the screen is left as it was."""
    framed = state.camera.frame_left
    if framed == 0.0:
        return renderer.read_pixels(size)
    state.camera.frame_left = 0.0
    try:
        renderer.draw(state, size, pixel_scale=pixel_scale)
        return renderer.read_pixels(size)
    finally:
        state.camera.frame_left = framed
        renderer.draw(state, size, pixel_scale=pixel_scale)  # the window's frame again, under the panel


def _slug(title: str) -> str:
    """A file-name stem from a title: "Two spirals, width-2" -> "two-spirals-width-2"."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words)[:40].strip("-") or "view"
