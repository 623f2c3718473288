"""Renders one frame of a preset offscreen (EGL, no display) after training it for some steps.

This is what `viz3d render` runs: it checks the output path first, trains synchronously, captures,
draws the scene (and the overlay unless ``ui=False``) into a framebuffer object and writes a PNG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from viz3d.app.output import check_output, write_atomically
from viz3d.app.preset_view import note_nothing_to_train, preset_view_state
from viz3d.app.state import ViewState
from viz3d.colors import legend_names
from viz3d.errors import note
from viz3d.presets import Preset
from viz3d.project.projection import Projection
from viz3d.render.platform import use_headless
from viz3d.train.session import TrainingSession, session_from_preset
from viz3d.train.status import TrainingStatus

if TYPE_CHECKING:
    from viz3d.ui.overlay import Overlay


@dataclass(frozen=True)
class StillRequest:
    out: Path
    size: tuple[int, int] = (1280, 720)
    steps: int | None = None  # None: the preset's training.steps
    layer: str | float | None = None  # a position (2, 2.5, -1), a layer name or label, "last"; None: the preset's
    ui: bool = True
    force: bool = False
    device: str = "cpu"


PANEL_MIN_SIZE = (640, 360)  # long side, short side: smaller pictures leave the panel out (it would cover the scene)


def overlay_fits(size: tuple[int, int], prose: bool = False) -> bool:
    """Whether a picture of ``size`` has room for the panel beside the scene; says so when it has not, and
    where the panel must leave out the ``prose`` (a description, what to look for) to keep its essentials."""
    from viz3d.render.picture_scale import picture_scale
    from viz3d.ui.overlay import COMPACT_BELOW

    long_side, short_side = PANEL_MIN_SIZE
    if max(size) >= long_side and min(size) >= short_side:  # portrait too: the panel then sits above the scene
        scale = picture_scale(size)
        if prose and size[1] / scale < COMPACT_BELOW:
            tall = math.ceil(COMPACT_BELOW * scale)
            left_out = "the description and what to look for"
            note(f"{size[0]}x{size[1]}: the panel leaves out {left_out} below {tall} pixels tall")
        return True
    smallest = f"{long_side}x{short_side} or {short_side}x{long_side}"
    note(f"{size[0]}x{size[1]} has no room for the panel: drawn without it ({smallest} or more has)")
    return False


def render_still(preset: Preset, request: StillRequest) -> Path:
    """Train, capture and render one PNG as ``request`` says; returns the written path."""
    check_output(request.out, request.force, suffixes=(".png",))  # before the work of building the session
    use_headless()
    return render_session(session_from_preset(preset, device=request.device), preset, request)


def render_session(session: TrainingSession, preset: Preset, request: StillRequest) -> Path:
    """Train ``session`` as ``request`` says and render one PNG of it, shown as ``preset`` says (its view,
    training steps and texts): the session's own preset, or the one `viz3d.picture` makes for a user's model."""
    out = check_output(request.out, request.force, suffixes=(".png",))
    use_headless()
    snapshot = session.tracker.snapshot()  # one probe forward: check the layer and neuron before training
    layer_names = snapshot.layer_names
    widths = snapshot.widths
    state = preset_view_state(preset, layer_names, widths, layer=request.layer, labels=snapshot.labels())
    state.playing = False
    state.data_rows = session.probe.n_data  # the framing follows the data, and the grid near it
    session.neuron = state.pick_neuron(layer_names, widths)  # as chosen above
    note_nothing_to_train(preset, session.trainable, request.steps)
    session.train(preset.training.steps if request.steps is None else request.steps)
    stats = session.final_stats()  # the model the picture shows, as `viz3d train` reports it
    projection = session.capture()
    status = TrainingStatus.scored(session.step, stats, trainable=session.trainable)

    panel = request.ui and overlay_fits(request.size, prose=bool(preset.description or preset.look_for))
    overlay = picture_overlay(preset, session)
    pixels = render_offscreen(session, projection, state, request.size, overlay, status, panel=panel)
    return write_atomically(out, lambda tmp: Image.fromarray(pixels).save(tmp, format="PNG"))


def picture_overlay(preset: Preset, session: TrainingSession) -> Overlay:
    """The panel of a picture or video: the preset's texts and legend, without the live window's controls."""
    return session_overlay(session, preset.title, preset.description, preset.look_for, interactive=False)


def session_overlay(
    session: TrainingSession,
    title: str,
    description: str = "",
    look_for: str = "",
    live_hint: str = "",
    interactive: bool = True,
) -> Overlay:
    """The panel for ``session``: these texts, its legend (classes, targets, labels) and why there is no
    accuracy where there is none; ``interactive`` adds the live window's controls (and ``live_hint``)."""
    from viz3d.ui.overlay import Overlay

    probe = session.probe
    return Overlay(
        title,
        description,
        look_for,
        session.accuracy_note,
        legend_names(probe.labels, session.class_names, session.n_classes),
        interactive=interactive,
        targets=probe.targets,
        labels=probe.labels,
        labelled=probe.labelled,
        live_hint=live_hint,
    )


def render_offscreen(
    session: TrainingSession,
    projection: Projection,
    state: ViewState,
    size: tuple[int, int],
    overlay: Overlay | None = None,
    status: TrainingStatus | None = None,
    panel: bool = True,
) -> np.ndarray:
    """Draw one frame into an offscreen framebuffer and read it back as (H, W, 3) uint8.

    ``overlay`` draws the tangent arrows' labels, which belong to the scene, and the panel if ``panel``.
    """
    from viz3d.app.offscreen import OffscreenScene

    status = status or TrainingStatus()
    state.show_overlay = overlay is not None and panel
    draw_overlay = None if overlay is None else (lambda: overlay.draw(state, status, projection))
    with OffscreenScene(session.probe, projection, size, overlay=overlay is not None) as scene:
        if draw_overlay is not None and state.show_overlay:  # the panel measures itself first: the scene is
            scene.layout(draw_overlay)  # framed beside it
        state.settle_frame()
        state.camera.center = state.ground_center = state.center_to_show(projection.positions)  # in the middle
        state.camera.distance = state.distance_to_show(projection.positions, size[0] / size[1])  # nothing cut off
        return scene.frame(state, draw_overlay)
