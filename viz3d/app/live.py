"""The live loop: a window, the training thread, the overlay and the renderer, once per frame.

Per frame: poll input → take the newest projection from the mailbox (upload if new) → ImGui edits
the `ViewState` → state changes become training commands → draw the scene, then the overlay → swap.
Nothing here waits for training; a failed step shows in the overlay and the last picture stays.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from torch import nn

from viz3d.app.detail import DetailController, grid_step
from viz3d.app.fit import FollowFit
from viz3d.app.interrupt import Stopped, StopRequest
from viz3d.app.model_pictures import check_count, check_size
from viz3d.app.preset_view import preset_view_state, resolve_layer
from viz3d.app.screen_capture import ScreenCapture
from viz3d.app.state import ViewState
from viz3d.app.still import session_overlay
from viz3d.capture.probe import ArrayLike
from viz3d.capture.tracker import LayerSelector, Token
from viz3d.errors import Viz3dError
from viz3d.presets import Preset, ViewSpec, did_you_mean
from viz3d.project.projection import Projection
from viz3d.train.mailbox import Mailbox
from viz3d.train.session import TrainingSession, TrainStep, session_from_preset
from viz3d.train.thread import TrainingThread
from viz3d.train.user_session import user_session

if TYPE_CHECKING:
    from viz3d.render.imgui_layer import ImGuiLayer
    from viz3d.render.multisample import ResolvedScene
    from viz3d.render.renderer import FrameRenderer

LIVE = "viz3d.live()"  # how errors about its options name it
FRAME_RATE = 60  # the rate live training is paced to: steps_per_frame × this many steps per second
TITLE_NOTE_SECONDS = 4.0  # how long the window's title says where a screenshot went


def run_preset(
    preset: Preset,
    size: tuple[int, int] = (1280, 720),
    playing: bool = True,
    max_frames: int | None = None,
    device: str = "cpu",
) -> None:
    """Open a window and train ``preset`` live until the window is closed (or ``max_frames`` are shown)."""
    session = session_from_preset(preset, device=device)
    snapshot = session.tracker.snapshot()  # one probe forward: the [view]'s layer and neuron, before the window
    state = preset_view_state(preset, snapshot.layer_names, snapshot.widths, labels=snapshot.labels())
    view = preset.view
    if state.neuron is not None and view.neuron_layer != "":  # by name: the window's state has no labels
        view = replace(view, neuron_layer=state.neuron[0])
    run_session(
        session,
        view,
        title=preset.title,
        description=preset.description,
        look_for=preset.look_for,
        live_hint=preset.live_hint,
        size=size,
        playing=playing,
        capture_every=preset.training.capture_every,
        steps_per_second=preset.training.steps_per_frame * FRAME_RATE,
        max_frames=max_frames,
    )


def live(
    model: nn.Module,
    inputs: ArrayLike,
    labels: ArrayLike | None = None,
    train_step: TrainStep | None = None,
    layers: Sequence[LayerSelector] | None = None,
    stages: bool = False,
    capture_every: int = 10,
    arrow_points: ArrayLike | None = None,
    arrow_vectors: ArrayLike | None = None,
    size: tuple[int, int] = (1280, 720),
    title: str | None = None,
    max_frames: int | None = None,
    output_key: str | int | None = None,
    token: Token = "last",
) -> None:
    """Watch your own model in a window; ``train_step(step)`` runs one step and may return the loss.

    ``inputs`` is the probe: the points drawn (and, for 2D inputs, the grid laid over them); ``labels``
    colour them. ``output_key`` and ``token`` pick the tensor of an output, as in `viz3d.watch`.
    ``arrow_points``/``arrow_vectors`` add tangent arrows pushed forward through every layer.
    The overlay scores the model on those points as `viz3d.train.scoring` decides from its output and
    ``labels``: class logits, a single binary logit (or probability), or a regression's float targets,
    which colour the points by value; otherwise it says why there is no accuracy.
    A model or probe that cannot be watched raises `Viz3dError` here, before the window opens; an error
    in a later training step pauses training and shows in the window instead.
    """
    session = user_session(
        model,
        inputs,
        labels,
        train_step,
        layers,
        stages,
        capture_every,
        arrow_points,
        arrow_vectors,
        title,
        output_key=output_key,
        token=token,
    )
    run_session(
        session,
        ViewSpec() if session.shown_first is None else ViewSpec(layer=session.shown_first),
        title=session.title,
        size=size,
        capture_every=capture_every,
        playing=train_step is not None,
        max_frames=max_frames,
    )


def checked_live_options(options: dict[str, Any]) -> dict[str, Any]:
    """`viz3d.live`'s keyword options, checked: a typo gets the closest name, a bad size or frame count
    one line, rather than a TypeError from deep inside."""
    accepted = [name for name in inspect.signature(live).parameters if name not in ("model", "inputs", "labels")]
    for key in options:
        if key not in accepted:
            hint = did_you_mean(key, accepted)
            raise Viz3dError(f"{LIVE}: unknown option {key!r}{hint}: it takes {', '.join(accepted)}")
    checked = {**options, "size": check_size(LIVE, options.get("size", (1280, 720)))}
    if options.get("max_frames") is not None:
        checked["max_frames"] = check_count(LIVE, "max_frames", options["max_frames"], 1, "frames", 600)
    return checked


def run_session(
    session: TrainingSession,
    view: ViewSpec,
    title: str,
    description: str = "",
    look_for: str = "",
    live_hint: str = "",
    size: tuple[int, int] = (1280, 720),
    playing: bool = True,
    capture_every: int = 10,
    steps_per_second: float | None = None,
    max_frames: int | None = None,
) -> None:
    """The live loop: ``session`` trains in its thread while the window shows it, with ``view`` first."""
    from viz3d.render.context import open_window
    from viz3d.render.imgui_layer import ImGuiLayer
    from viz3d.render.multisample import ResolvedScene
    from viz3d.render.renderer import FrameRenderer
    from viz3d.render.visuals import RecordingMark
    from viz3d.ui.controls import handle_camera, handle_shortcuts

    context = open_window(*size, title=f"viz3d — {title}")
    trainer: TrainingThread | None = None
    imgui_layer: ImGuiLayer | None = None
    scene: ResolvedScene | None = None
    capture = ScreenCapture(stem=f"viz3d-{_slug(title)}")
    stop = StopRequest().install()  # Ctrl-C in the terminal closes the window between frames
    try:
        renderer = FrameRenderer()
        probe = session.probe
        renderer.set_probe(probe)
        imgui_layer = ImGuiLayer(context)
        overlay = session_overlay(session, title, description, look_for, live_hint)
        mark = RecordingMark()
        detail = DetailController()
        fit = FollowFit()
        scene = ResolvedScene()
        state = ViewState.from_spec(view)
        state.data_rows = probe.n_data  # the framing follows the data, and the grid near it
        state.playing = playing and session.trainable
        mailbox: Mailbox[Projection] = Mailbox()
        history: Mailbox[Projection] = Mailbox()
        if state.color_by == "neuron" and state.neuron and state.neuron[0]:
            session.neuron = state.neuron  # so the first capture is coloured by it; checked on the first picture
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
        state.train_speed = asked_speed = steps_per_second or math.inf
        titled = ""  # what the window's title says beyond the preset's: a recording under way, a screenshot saved
        title_note, note_until = "", 0.0
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
                    state.set_layer(resolve_layer(view.layer, incoming.layer_names, incoming.layer_labels))
                    state.pick_neuron(incoming.layer_names, incoming.widths)  # a bad neuron: one line now
                state.set_n_layers(len(incoming.layer_names))
                shown = incoming
            fb_size = context.framebuffer_size()
            imgui_layer.new_frame(dt)
            handle_shortcuts(state)
            handle_camera(state, context.window_size()[1])
            status = trainer.status()
            if status.error and not status.playing:
                state.playing = asked_playing = False  # training paused itself: the Play button must say so
            # S: this frame is the screenshot, taken after ImGui draws the arrows' labels (they are part of
            # the scene), without the panel and with the scene in the middle; on screen, a one-frame flash
            shot = state.screenshot_requested
            state.screenshot_requested = False
            aspect = fb_size[0] / max(fb_size[1], 1)
            view_before = _shot_view(state, shown, aspect) if shot else None
            overlay.draw(state, status, shown, panel=not shot)
            if state.playing != asked_playing:  # only a change the user made is a command (see set_playing)
                trainer.set_playing(state.playing)
                asked_playing = state.playing
            if state.train_speed != asked_speed:
                trainer.set_speed(state.train_speed)
                asked_speed = state.train_speed
            neuron = state.pick_neuron(shown.layer_names if shown is not None else [])
            trainer.request_view(state.axes, state.freeze_basis, state.history_step, neuron)
            if state.step_requested:
                trainer.step_once()
                state.step_requested = False
            state.advance(dt)
            if shot:
                _shot_view(state, shown, aspect)  # again: state.advance eased the framing back
            elif shown is not None:  # back off, smoothly, wherever the layer shown would run off the window
                fit.update(state, shown.positions, aspect, dt)
            detail.enabled = state.adaptive_detail
            state.lod_stride = detail.update(dt, session.probe.n_data, session.probe.grid_shape)
            state.lod_grid_step = grid_step(state.lod_stride, session.probe.grid_shape)
            state.detail_note = detail.describe(session.probe.n_data, state.lod_grid_step)
            if shot:  # a screenshot holds every point: the panel that would say otherwise is not in it
                state.lod_stride = state.lod_grid_step = 1
            pixel_scale = fb_size[0] / max(context.window_size()[0], 1)
            multisample = detail.multisample or shot  # a screenshot at full quality
            draw_scene = partial(scene.draw, renderer, state, fb_size, multisample, pixel_scale)
            draw_scene()
            _capture_scene(state, capture, fb_size, draw_scene)
            _draw_overlay(imgui_layer, state, capture, renderer, fb_size)
            if shot:
                step = shown.step if shown is not None else status.step  # the picture's, not the trainer's
                shows = f"layer{round(state.layer, 2):g}-step{step}"
                saved = capture.screenshot(renderer.read_pixels(fb_size), shows)
                state.status_line = f"screenshot saved to {saved}"
                camera = state.camera
                camera.frame_left, camera.frame_top, camera.distance = view_before
                title_note, note_until = f" — saved {saved}", now + TITLE_NOTE_SECONDS  # seen with the panel hidden
            if now >= note_until:
                title_note = ""
            recording_to = f" — ● REC to {capture.path} (R stops)" if capture.recording else ""
            if recording_to + title_note != titled:
                titled = recording_to + title_note
                context.set_title(f"viz3d — {title}{titled}")
            if capture.recording:
                if state.record_overlay and not shot:  # the screenshot's frame has no panel: not in this video
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
            if scene is not None:
                scene.release()
            context.close()
    if stop.requested:
        raise Stopped(stop.signum)  # after a clean shutdown: Ctrl-C as Ctrl-C (exit 130; a kill 143)


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
    state: ViewState, capture: ScreenCapture, size: tuple[int, int], draw_scene: Callable[[], None]
) -> None:
    """Start and stop R's recording as asked, before the overlay draws. A video without the panel is centred
    while it records (see `ViewState.frame_left_target`); its frames are read back between ImGui's
    background layer (the arrows' labels) and the panel, and a video with the panel after both (see the
    loop). ``draw_scene`` draws the frame's scene again, as the loop did."""
    if state.recording and not capture.recording:
        capture.start(size)
        state.status_line = ""  # the panel may be in the video: where it goes is in the window's title
        if not state.record_overlay and not state.framed:
            state.settle_frame()  # a video without the panel starts centred, not sliding over
            draw_scene()
    elif not state.recording and capture.recording:
        path, frames, dropped = capture.stop()
        lost = f", {dropped} dropped: the encoder could not keep up" if dropped else ""
        state.status_line = f"recording saved to {path} ({frames} frames{lost})"
    if capture.recording and capture.writer is not None and capture.writer.size != tuple(size):
        state.recording = False  # the window was resized: a video keeps one size
        path, frames, _ = capture.stop()
        state.status_line = f"window resized: recording stopped and saved to {path} ({frames} frames)"


def _draw_overlay(
    imgui_layer: ImGuiLayer, state: ViewState, capture: ScreenCapture, renderer: FrameRenderer, size: tuple[int, int]
) -> None:
    """Draw ImGui's frame over the scene. A recording without the panel takes its frame in between: the
    scene with the arrows' labels (ImGui's background layer), before the panel is drawn over it."""
    if capture.recording and not state.record_overlay:
        imgui_layer.render(between=lambda: capture.add(renderer.read_pixels(size)))
    else:
        imgui_layer.render()


def _shot_view(state: ViewState, shown: Projection | None, aspect: float) -> tuple[float, float, float]:
    """The view of a screenshot: the scene in the middle of the window (no room left for the panel), backed
    off as far as the layer shown needs there (framed below the panel, it was drawn for the part of the
    window left to it, and filled the whole one larger, off its edges). Returns the framing and distance
    it had, to put back after."""
    camera = state.camera
    before = camera.frame_left, camera.frame_top, camera.distance
    camera.frame_left = camera.frame_top = 0.0
    if shown is not None:  # no nearer than now: a distance the user zoomed to is kept where it fits
        camera.distance = state.distance_to_show(shown.positions, aspect)
    return before


def _slug(title: str, longest: int = 40) -> str:
    """A file-name stem from a title: "Two spirals, width-2" -> "two-spirals-width-2", cut after the last
    whole word that fits in ``longest`` characters (or within the first word, if that is longer)."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    stem = ""
    for word in words:
        if len(stem) + len(word) + (1 if stem else 0) > longest:
            break
        stem = f"{stem}-{word}" if stem else word
    return stem or (words[0][:longest] if words else "view")
