"""Deterministic offscreen recording: a fixed-step clock drives training, the tour and the frames.

Frame i of n shows the tour at time i·(n/fps)/(n-1) (`frame_time`: the last frame at the recording's
duration, so a keyframe there is shown) and is written at i/fps. Before drawing it, training advances if
the tour says training is on, in lockstep, on this thread: no timing decides anything, so the same
command gives the same frames. Frame 0 shows the model as the recording starts; the steps are spread
evenly over the frames that train, and the default tour trains faster where it must to finish the
preset's ``steps`` while it trains (`steps_to_train`), so its sweep through the layers shows the trained
model. A video has time the live view lacks, so it captures after every frame that trained (smooth
motion: every 10 steps was a jump 6 times a second) while the probe is small enough
(`SMOOTH_CAPTURE_ROWS`); past that, once in a frame whose steps cross a multiple of the preset's
``capture_every``. Each frame is drawn into a 4× multisampled framebuffer (with the overlay unless
``ui=False``) and handed to a `FrameWriter`. Ctrl-C, or an error (a training step that fails), ends the
recording early and keeps what was rendered as a playable file beside the target, as
``NAME.interrupted.mp4``: the target name is for finished takes.
"""

from __future__ import annotations

import math
import signal
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from viz3d.app.interrupt import StopRequest
from viz3d.app.output import check_folder, check_output
from viz3d.app.preset_view import note_nothing_to_train, preset_view_state, with_layer_positions
from viz3d.app.progress import Progress
from viz3d.app.state import FIT_SECONDS, center_of, recentered
from viz3d.app.still import overlay_fits, picture_overlay
from viz3d.app.tour import cut_times, default_tour, frame_time, tour_at
from viz3d.app.video import FRAME_NAME, FrameWriter, files_not_frames, output_kind
from viz3d.errors import OutputPathError, Viz3dError, note, say
from viz3d.presets import Keyframe, Preset
from viz3d.render.platform import use_headless
from viz3d.train.session import TrainingSession, session_from_preset
from viz3d.train.status import TrainingStatus

DEFAULT_SECONDS = 10.0
SMOOTH_CAPTURE_ROWS = 100_000  # probes up to this many rows are captured after every frame (~5-20 ms each)


@dataclass(frozen=True)
class RecordRequest:
    out: str
    size: tuple[int, int] = (1920, 1080)
    fps: int = 60
    duration: float | None = None  # seconds; or
    frames: int | None = None  # an exact number of frames
    lossless: bool = False
    ui: bool = True
    steps: int = 0  # training steps before the first frame
    train_steps: int | None = None  # exactly this many while recording (None: the preset's, see steps_to_train)
    force: bool = False
    device: str = "cpu"

    def n_frames(self, tour_seconds: float = 0.0) -> int:
        """The frames to record: ``frames``, or ``duration`` at ``fps``; without either, as long as the
        preset's tour (``tour_seconds``, its last keyframe's time), or `DEFAULT_SECONDS` without one."""
        if self.frames is not None:
            return self.frames
        seconds = self.duration if self.duration is not None else (tour_seconds or DEFAULT_SECONDS)
        return max(1, round(seconds * self.fps))


@dataclass(frozen=True)
class RecordResult:
    path: Path | None  # None when interrupted before the first frame
    frames: int
    interrupted: bool
    signum: int = signal.SIGINT  # what interrupted it: Ctrl-C, or a kill (SIGTERM), or a closed terminal (SIGHUP)


def check_record_output(out: str, lossless: bool, force: bool) -> Path:
    """The target path, checked before any work: the right suffix, a writable folder, no overwrite."""
    kind = output_kind(out, lossless)
    if kind != "png":
        return check_output(out, force)
    folder = Path(out.rstrip("/"))
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{folder} is a file: a PNG sequence needs a folder name (ending in /)")
    if folder.is_dir() and (others := files_not_frames(folder)):
        listed = ", ".join(others)
        raise OutputPathError(f"{folder}/ holds files that are not frames ({listed}): choose a new or empty folder")
    if folder.is_dir() and any(FRAME_NAME.fullmatch(entry.name) for entry in folder.iterdir()) and not force:
        problem = f"{folder} holds an earlier recording"
        raise OutputPathError(f"{problem}: pass --force (force=True from Python) to replace it, or choose another one")
    check_folder(folder.resolve().parent, f"{folder}/")  # the frames are written beside it first, then moved in
    return folder


def steps_to_train(
    frames_that_train: int, per_frame: int, preset_remaining: int | None, exactly: int | None = None
) -> int:
    """How many steps the recording trains, spread evenly over the frames that train: ``exactly`` if
    given (`viz3d.video`'s ``steps``); on the default tour, what is left of the preset's training
    (``preset_remaining``), so its sweep through the layers shows the trained model; never fewer than
    ``per_frame`` a frame but where ``exactly`` says so."""
    if exactly is not None:
        return exactly
    return max(preset_remaining or 0, per_frame * frames_that_train)


def _note_tour_steps(preset: Preset, request: RecordRequest, total: int, frames: int, trainable: bool) -> None:
    """Where a preset file's keyframed tour trains another number of steps than its [training] steps (which
    render and train run), say so: a trial expected its steps = 1500 and got 1,400, unsaid. Not for a
    tour that never trains, nor for `viz3d.video`, whose steps are its own ``steps``."""
    steps = preset.training.steps
    told = preset.tour.keyframes and trainable and frames and request.train_steps is None  # a file's tour that trains
    if not told or steps in (0, total):  # 0: viz3d.video's preset, which has no [training] steps
        return
    per_frame = preset.training.steps_per_frame
    fix = "raise steps_per_frame, or keep training on for longer," if total < steps else "lower steps_per_frame,"
    note(
        f"the tour trains {total:,} steps ({per_frame} on each of the {frames} frames it trains, at "
        f"{request.fps:g} fps); [training] steps = {steps:,} is what render and train run: {fix} to train "
        f"{'more' if total < steps else 'fewer'}"
    )


def record(preset: Preset, request: RecordRequest) -> RecordResult:
    """Render the frames ``request`` asks for of ``preset`` and write them; see the module docstring."""
    check_record_output(request.out, request.lossless, request.force)  # before building the session
    use_headless()
    return record_session(session_from_preset(preset, device=request.device), preset, request)


def record_session(session: TrainingSession, preset: Preset, request: RecordRequest) -> RecordResult:
    """Record ``session`` as ``request`` says, shown as ``preset`` says (its view, tour, training steps
    and texts): the session's own preset, or the one `viz3d.video` makes for a user's model."""
    check_record_output(request.out, request.lossless, request.force)
    use_headless()
    from viz3d.app.offscreen import OffscreenScene

    projection = session.capture()  # one probe forward: the layers, to check the [view] before any training
    preset = with_layer_positions(preset, projection.layer_names, projection.layer_labels)  # names, "last", labels
    n_layers = len(projection.layer_names)
    tour_seconds = preset.tour.keyframes[-1].time if preset.tour.keyframes else 0.0
    n_frames, fps = request.n_frames(tour_seconds), request.fps
    duration = n_frames / fps  # the last frame shows the tour at this time (see `frame_time`)
    if tour_seconds > duration + 0.5 / fps:
        note(
            f"the tour runs to {tour_seconds:g} s; recording its first {round(duration, 2):g} s (leave out the length, "
            f"or ask for {tour_seconds:g} s, for all of it)"
        )
    keyframes = preset.tour.keyframes or default_tour(duration, preset.view, n_layers, session.trainable).keyframes
    start = tour_at(keyframes, 0.0, preset.view, n_layers)
    names, labels = projection.layer_names, projection.layer_labels
    state = preset_view_state(preset, names, projection.widths, layer=start.layer, labels=labels)
    state.data_rows = session.probe.n_data  # the framing follows the data, and the grid near it
    neuron = state.pick_neuron(names, projection.widths)  # as chosen above
    note_nothing_to_train(preset, session.trainable, request.steps)
    if request.steps and session.trainable:
        session.neuron = neuron
        session.train(request.steps)
        projection = session.capture()
    elif neuron != session.neuron:
        session.neuron = neuron
        projection = session.reproject()
    # Frame 0 shows the model as the recording starts; training runs between frames, in even shares.
    times = [frame_time(i, n_frames, fps) for i in range(n_frames)]
    training = [tour_at(keyframes, t, preset.view, n_layers).training for t in times]
    if not preset.tour.keyframes and n_frames > 1 and not any(training[1:]):
        # 2 or 3 frames: the default tour stops training at half time, where frame 1 already is; the
        # preset's steps are trained before it, so the frames after frame 0 show the trained model.
        training[1] = True
    if n_frames == 1 and session.trainable and not request.steps and request.train_steps is None:
        note("one frame shows the model before it trains: `viz3d render` draws it trained")
    frames_that_train = sum(training[1:])
    if request.train_steps and session.trainable and not frames_that_train:
        why = (
            "the tour's keyframes keep training off after frame 0: set 'training': True in one"
            if preset.tour.keyframes
            else "one frame shows the model before it trains: pass frames=2 or more"
        )
        raise Viz3dError(f"steps={request.train_steps} cannot be trained, as no frame trains: {why}")
    remaining = None if preset.tour.keyframes else preset.training.steps - session.step
    total = steps_to_train(frames_that_train, preset.training.steps_per_frame, remaining, request.train_steps)
    _note_tour_steps(preset, request, total, frames_that_train, session.trainable)
    first_step, trained_frames = session.step, 0
    if session.steps_are_users:
        session.accuracy_by_clock = False  # measured after each frame's steps instead (below): once, the same each run
    if session.last_stats is None:  # frame 0's panel shows the model's scores before it trains, too
        session.last_stats = session.final_stats()
    smooth = len(session.probe.inputs) <= SMOOTH_CAPTURE_ROWS
    capture_every = 1 if smooth else preset.training.capture_every  # 1: after every frame that trained

    # after the neuron is known: the first frames show its colours. The overlay is drawn with or without
    # the panel: the arrows' labels belong to the scene.
    with OffscreenScene(session.probe, projection, request.size) as scene:
        prose = bool(preset.description or preset.look_for) and _panel_ever_shown(keyframes)
        panel = request.ui and overlay_fits(request.size, prose=prose)
        overlay = picture_overlay(preset, session)
        state.show_overlay = panel and start.overlay
        if state.show_overlay:
            first_status = _status(session, playing=start.training and session.trainable)
            scene.layout(lambda: overlay.draw(state, first_status, projection), 1 / fps)
        state.settle_frame()  # framed beside the panel from the first frame on
        progress = Progress(n_frames)
        aspect, fitted, cuts = request.size[0] / request.size[1], 0.0, cut_times(keyframes)
        middle, shown_before = state.camera.center, -1.0  # where the camera looks, and the layer it showed
        interrupted, failure, finished = False, None, False
        writer = FrameWriter(request.out, request.size, fps, request.lossless, request.force)
        with StopRequest() as stop:  # Ctrl-C ends the recording between frames
            try:
                for index in range(n_frames):
                    if stop.requested:
                        interrupted = True
                        break
                    point = tour_at(keyframes, times[index], preset.view, n_layers)
                    if index > 0 and training[index] and session.trainable:
                        before = session.step
                        trained_frames += 1
                        due = first_step + total * trained_frames // max(frames_that_train, 1)
                        for _ in range(due - session.step):
                            _train_step(session)
                        # The scores of the model this frame draws, as `viz3d render --steps N` shows them: a step
                        # reports the loss it computed before its own update (one step behind the picture), a
                        # user's step that of its batch in train mode. One forward pass over the data a frame.
                        if session.step != before:  # a frame may fall between steps (few steps, many frames)
                            session.last_stats = session.final_stats()
                        if session.step // capture_every != before // capture_every:  # one capture, after the steps
                            projection = session.capture()
                            scene.set_projection(projection)
                    state.set_layer(point.layer)
                    state.show_overlay = panel and point.overlay
                    state.advance(1 / fps)  # the framing slides with the panel when the tour shows or hides it
                    camera = state.camera
                    camera.azimuth, camera.elevation = point.azimuth, point.elevation
                    # Back off at once as far as it takes for what is drawn (mid-morph, between two layers) to stay
                    # in the picture, and come back, smoothly, when it is smaller: the subject keeps its size, and
                    # the tour's own distance is followed exactly whenever the layer fits there. The camera looks
                    # at the middle of what is drawn: it glides with a morph, and follows a layer that trains
                    # only once it has wandered off.
                    rows = state.drawn_rows(projection.positions)
                    ease = 1.0 - math.exp(-1.0 / (fps * FIT_SECONDS))
                    at_rest = state.layer == shown_before  # on the layer of the frame before: training, or holding
                    # the first frame, and the first after a cut, are framed at once: nothing to slide from
                    fresh = index == 0 or any(times[index - 1] < cut <= times[index] for cut in cuts)
                    middle = recentered(middle, rows) if not fresh and at_rest else center_of(rows)
                    shown_before = state.layer
                    camera.center = middle if fresh else camera.center + (middle - camera.center) * ease
                    state.ground_center = camera.center
                    fit = camera.distance_to_fit(rows, aspect)
                    eased = fitted + (fit - fitted) * ease
                    fitted = fit if fresh else max(fit, eased)
                    camera.distance = max(point.distance, fitted)
                    state.playing = point.training and session.trainable
                    status = _status(session, playing=state.playing)  # the panel, if shown, and the arrows' labels
                    writer.write(scene.frame(state, partial(overlay.draw, state, status, projection), 1 / fps))
                    progress.update(index + 1)
                else:
                    finished = True  # every frame: only a finished recording may replace a file (--force)
            except KeyboardInterrupt as err:  # a second Ctrl-C, or one from the code a frame ran
                if not stop.requested:  # else the first signal, which asked to stop, gives the exit status
                    stop.signum = getattr(err, "signum", stop.signum)
                interrupted = True
            except (FloatingPointError, Viz3dError) as err:
                failure = err
            finally:
                stop.finishing = True  # a Ctrl-C now would cut the file short: it waits instead
                path = writer.close(complete=finished)  # first: the file matters more than the progress line
                progress.finish()
                if not finished and not interrupted and failure is None:  # an error of another kind, on its way up
                    note(f"recording stopped at frame {writer.frames} by the error below; {_kept(writer, path)}")
    if writer.note:
        note(writer.note)
    kept = _kept(writer, path)
    if interrupted:
        say(f"viz3d: interrupted: {kept}")
    if failure is not None:
        raise Viz3dError(f"recording stopped at frame {writer.frames} ({failure}); {kept}") from failure
    return RecordResult(path=path, frames=writer.frames, interrupted=interrupted, signum=stop.signum)


def _kept(writer: FrameWriter, path: Path | None) -> str:
    """What an unfinished recording left, and where."""
    frames = "the 1 frame" if writer.frames == 1 else f"the {writer.frames} frames"
    kept = f"kept {frames} rendered so far in {path}" if path else "nothing was written"
    if path is not None and path != writer.target and writer.target.exists():
        kept += f"; {writer.target} is as it was (an unfinished recording replaces nothing)"
    return kept


def _panel_ever_shown(keyframes: tuple[Keyframe, ...]) -> bool:
    """Whether a tour shows the panel at some time: it is on until a keyframe turns it off (at time 0, before
    the first frame), and on again wherever one turns it on."""
    starts_off = any(k.overlay is False and k.time <= 0 for k in keyframes)
    return not starts_off or any(k.overlay is True for k in keyframes)


def _train_step(session: TrainingSession) -> None:
    """One training step. An exception from a user's own ``train_step`` ends the recording as a NaN loss
    does (the frames so far kept, one line saying so, the exception as the cause); one from viz3d's own
    training (a preset's) is left to the CLI's handling of unexpected errors, with its traceback."""
    if not session.steps_are_users:
        session.train_step()
        return
    try:
        session.train_step()
    except (FloatingPointError, Viz3dError):
        raise
    except Exception as err:
        first_line = (str(err).strip().splitlines() or [""])[0]
        said = f": {first_line}" if first_line else ""
        raise Viz3dError(f"your train_step raised {type(err).__name__} at step {session.step}{said}") from err


def _status(session: TrainingSession, playing: bool) -> TrainingStatus:
    """What the panel shows of the session: its step and its last scores."""
    return TrainingStatus.scored(session.step, session.last_stats, playing, session.trainable)
