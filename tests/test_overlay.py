"""The ImGui overlay draws into the frame, and its keys and mouse edit the ViewState."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import non_background_mask, probe_of, projection_of, render

from viz3d.app.state import ViewState
from viz3d.train.status import TrainingStatus

SIZE = (640, 360)


@pytest.fixture
def imgui_layer(gl):
    from viz3d.render.imgui_layer import ImGuiLayer

    layer = ImGuiLayer(gl)
    yield layer
    layer.shutdown()


def draw_frame(imgui_layer, state, status=None, projection=None, overlay=None, size=SIZE):
    """Scene plus overlay into an FBO after the layout frames, as render does; returns the pixels."""

    from viz3d.render.renderer import FrameRenderer, Offscreen
    from viz3d.ui.overlay import Overlay

    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0]))
    renderer.set_projection(projection_of(np.zeros((2, 1, 3))))
    overlay = overlay or Overlay("Test title", "What to look at.")
    projection = projection or projection_of(np.zeros((2, 1, 3)))
    status = status or TrainingStatus(step=12, loss=0.5, accuracy=0.75)
    imgui_layer.layout_frame(lambda: overlay.draw(state, status, projection), size)
    state.settle_frame()  # the scene framed beside the panel, the panel fully drawn
    with Offscreen(size).fbo:
        renderer.draw(state, size)
        imgui_layer.new_frame(1 / 60, size)
        overlay.draw(state, status, projection)
        imgui_layer.render()
        return renderer.read_pixels(size)


def test_overlay_panel_is_drawn_top_left(imgui_layer):
    state = ViewState(n_layers=2, show_axes=False)
    image = draw_frame(imgui_layer, state)
    panel = non_background_mask(image[20:200, 20:300])
    right_side = non_background_mask(image[20:200, 460:620])
    assert panel.mean() > 0.5, "the panel's background should cover its corner"
    assert right_side.mean() < 0.02
    # Text is drawn: many bright pixels inside the panel (12-pixel text at this height, see below).
    assert (image[20:200, 20:300].max(axis=-1) > 200).sum() > 200


def test_a_pictures_panel_has_no_title_bar_and_no_live_hint(imgui_layer, monkeypatch):
    """Pictures and videos are for an audience: the live window's "press Left/Right" (a preset's
    live_hint) and ImGui's "viz3d" title bar with its collapse arrow meant nothing there."""
    from helpers import PanelText

    from viz3d.ui.overlay import Overlay

    title_bar = np.array([41, 74, 122])  # ImGui's active title bar, as the live window draws it
    for interactive in (True, False):
        panel = PanelText(monkeypatch)
        overlay = Overlay("Title", "What it is.", "What to watch.", interactive=interactive, live_hint="Press H.")
        image = draw_frame(imgui_layer, ViewState(n_layers=2, show_axes=False), overlay=overlay, size=(1280, 720))
        bar = (np.abs(image[10:32, 20:300].astype(int) - title_bar).max(axis=-1) <= 4).mean()
        assert (bar > 0.5) == interactive
        assert ("Press H." in panel.lines) == interactive and "What to watch." in panel.lines


def test_the_panel_says_why_a_layer_is_one_dot(imgui_layer, monkeypatch):
    from dataclasses import replace

    from helpers import PanelText

    projection = replace(projection_of(np.zeros((2, 4, 3))), collapsed_layers=["layer1"])
    panel = PanelText(monkeypatch)
    draw_frame(imgui_layer, ViewState(n_layers=2, show_axes=False, layer=0.0), projection=projection)
    note = "every point is one dot here: this layer gives all inputs the same output"
    assert note not in panel.lines
    draw_frame(imgui_layer, ViewState(n_layers=2, show_axes=False, layer=1.0), projection=projection)
    assert note in panel.lines


def test_hidden_overlay_draws_nothing(imgui_layer):
    state = ViewState(n_layers=2, show_axes=False, show_overlay=False)
    image = draw_frame(imgui_layer, state)
    assert non_background_mask(image).mean() < 0.01


def test_error_is_shown_in_red(imgui_layer):
    state = ViewState(n_layers=2, show_axes=False)
    status = TrainingStatus(step=3, error="training paused at step 3: FloatingPointError: loss became nan")
    image = draw_frame(imgui_layer, state, status).astype(int)
    reddish = (image[..., 0] > 140) & (image[..., 0] > image[..., 1] + 50) & (image[..., 0] > image[..., 2] + 50)
    assert reddish.sum() > 50


def run_frame(imgui_layer, state, height=360, dt=1 / 60):
    from imgui_bundle import imgui

    from viz3d.ui.controls import handle_camera, handle_shortcuts

    imgui_layer.new_frame(dt, SIZE)
    handle_shortcuts(state)
    handle_camera(state, height)
    imgui.render()


def test_keys_edit_the_view_state(imgui_layer):
    from imgui_bundle import imgui

    io = imgui.get_io()
    state = ViewState(n_layers=5, playing=True)
    run_frame(imgui_layer, state)
    for key in (imgui.Key.space, imgui.Key.right_arrow, imgui.Key.h):
        io.add_key_event(key, True)
        run_frame(imgui_layer, state)
        io.add_key_event(key, False)
        run_frame(imgui_layer, state)
    assert state.playing is False
    assert state.layer_target == 1.0  # an animated move, not a jump
    assert state.show_overlay is False
    io.add_key_event(imgui.Key.period, True)
    run_frame(imgui_layer, state)
    io.add_key_event(imgui.Key.period, False)
    assert state.step_requested is True


def test_the_panel_comes_back_after_the_window_shrinks_to_nothing(imgui_layer):
    """A second rehearsal resized the window to 1x1 and back: ImGui had pushed the panel to (-17, -17),
    and there it stayed, its collapse arrow and first letters cut off."""
    from imgui_bundle import imgui

    from viz3d.ui.overlay import PANEL_MARGIN, Overlay

    overlay, state = Overlay("Title", "What it is."), ViewState(n_layers=2)
    status = TrainingStatus(step=1, loss=0.5, accuracy=0.5)
    corners = []
    for size in [SIZE] * 2 + [(1, 1)] * 2 + [SIZE] * 2:
        imgui_layer.new_frame(1 / 60, size)
        overlay.draw(state, status, None)
        corners.append(tuple(imgui.internal.find_window_by_name("viz3d  (H hides this panel)").pos))
        imgui.render()
    assert corners[0] == corners[-1] == (PANEL_MARGIN, PANEL_MARGIN)


def test_escape_closes_an_open_list(imgui_layer):
    """A speaker's rehearsal: the colour picker's list stayed open over the panel's status line after
    Escape (ImGui closes popups on Escape only with keyboard navigation, which would take the shortcuts)."""
    from imgui_bundle import imgui

    from viz3d.ui.controls import handle_shortcuts

    io, state = imgui.get_io(), ViewState(n_layers=2)

    def frame(open_it: bool = False) -> bool:
        imgui_layer.new_frame(1 / 60, SIZE)
        handle_shortcuts(state)
        imgui.begin("panel")
        if open_it:
            imgui.open_popup("list")
        shown = imgui.begin_popup("list")
        if shown:
            imgui.text("an item")
            imgui.end_popup()
        imgui.end()
        imgui.render()
        return shown

    assert frame(open_it=True)
    assert frame()  # stays open
    io.add_key_event(imgui.Key.escape, True)
    frame()
    io.add_key_event(imgui.Key.escape, False)
    assert not frame()
    assert state.show_overlay  # nothing else happened


def test_escape_closes_the_keys_help(imgui_layer):
    from imgui_bundle import imgui

    from viz3d.ui.overlay import Overlay

    overlay, io = Overlay("Title"), imgui.get_io()
    overlay.show_keys = True
    draw_frame(imgui_layer, ViewState(n_layers=2), overlay=overlay)
    assert overlay.show_keys
    io.add_key_event(imgui.Key.escape, True)
    draw_frame(imgui_layer, ViewState(n_layers=2), overlay=overlay)
    io.add_key_event(imgui.Key.escape, False)
    assert not overlay.show_keys


def test_play_shows_the_live_picture_again(imgui_layer):
    """A second rehearsal pressed Play on a stored step: the counter climbed under a picture that did not
    move. Pausing keeps the stored step shown."""
    from imgui_bundle import imgui

    io = imgui.get_io()
    state = ViewState(n_layers=2, playing=False)
    state.history_step = 30
    io.add_key_event(imgui.Key.space, True)
    run_frame(imgui_layer, state)
    io.add_key_event(imgui.Key.space, False)
    run_frame(imgui_layer, state)
    assert state.playing and state.history_step is None
    state.history_step = 20  # scrubbed back while it plays
    state.toggle_playing()  # pausing does not leave the stored step
    assert not state.playing and state.history_step == 20


def test_mouse_drag_rotates_and_scroll_zooms(imgui_layer):
    from imgui_bundle import imgui

    io = imgui.get_io()
    state = ViewState(n_layers=2, show_overlay=False)
    azimuth, distance = state.camera.azimuth, state.camera.distance
    io.add_mouse_pos_event(400, 200)
    run_frame(imgui_layer, state)
    io.add_mouse_button_event(0, True)
    run_frame(imgui_layer, state)
    io.add_mouse_pos_event(450, 200)
    run_frame(imgui_layer, state)
    io.add_mouse_button_event(0, False)
    run_frame(imgui_layer, state)
    assert state.camera.azimuth == pytest.approx(azimuth - 0.4 * 50)
    io.add_mouse_wheel_event(0, 2)
    run_frame(imgui_layer, state)
    assert state.camera.distance == pytest.approx(distance * 0.81)


def test_a_click_after_a_quick_move_does_not_swing_the_camera(imgui_layer):
    """At 10 fps a move and a click land in one frame: its delta turned the camera on a plain click."""
    from imgui_bundle import imgui

    io = imgui.get_io()
    state = ViewState(n_layers=2, show_overlay=False)
    io.add_mouse_pos_event(400, 200)
    run_frame(imgui_layer, state)
    azimuth, elevation = state.camera.azimuth, state.camera.elevation
    io.add_mouse_pos_event(600, 100)  # the move and the press in the same frame
    io.add_mouse_button_event(0, True)
    run_frame(imgui_layer, state)
    io.add_mouse_button_event(0, False)
    run_frame(imgui_layer, state)
    assert (state.camera.azimuth, state.camera.elevation) == (azimuth, elevation)


@pytest.mark.parametrize("frame_seconds", [1 / 60, 0.28])
def test_a_double_click_resets_the_camera_at_any_frame_rate(imgui_layer, frame_seconds):
    """A trial's double-click at 4 fps (a million points on a CPU) did nothing: ImGui takes one button
    change a frame, so the second press, made 0.1 s after the first, was seen 0.56 s after it."""
    from imgui_bundle import imgui

    io = imgui.get_io()
    state = ViewState(n_layers=2, show_overlay=False)
    home = (state.camera.azimuth, state.camera.elevation)
    state.camera.rotate(80, 40)
    state.fit_distance = False
    io.add_mouse_pos_event(400, 200)
    run_frame(imgui_layer, state, dt=frame_seconds)
    assert (state.camera.azimuth, state.camera.elevation) != home
    for down in (True, False, True, False):  # all four made within one slow frame
        io.add_mouse_button_event(0, down)
    for _ in range(5):
        run_frame(imgui_layer, state, dt=frame_seconds)
    assert (state.camera.azimuth, state.camera.elevation) == home
    assert state.fit_distance


def test_two_clicks_a_second_apart_are_not_a_double_click(imgui_layer):
    from imgui_bundle import imgui

    io = imgui.get_io()
    state = ViewState(n_layers=2, show_overlay=False)
    state.camera.rotate(80, 40)
    turned = (state.camera.azimuth, state.camera.elevation)
    io.add_mouse_pos_event(400, 200)
    for down in (True, False):
        io.add_mouse_button_event(0, down)
        run_frame(imgui_layer, state, dt=0.1)
    for _ in range(10):  # a second later
        run_frame(imgui_layer, state, dt=0.1)
    for down in (True, False):
        io.add_mouse_button_event(0, down)
        run_frame(imgui_layer, state, dt=0.1)
    assert (state.camera.azimuth, state.camera.elevation) == turned


def test_overlay_shows_over_a_rendered_scene(imgui_layer):
    """The panel is composited over the 3D scene, not instead of it."""
    from viz3d.render.renderer import FrameRenderer

    state = ViewState(n_layers=2)
    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0]))
    renderer.set_projection(projection_of(np.zeros((2, 1, 3))))
    draw_frame(imgui_layer, state)  # lays the panel out and frames the scene beside it
    scene_only = render(renderer, state, SIZE)
    with_overlay = draw_frame(imgui_layer, state)
    assert np.array_equal(scene_only[300:, 400:], with_overlay[300:, 400:])
    assert not np.array_equal(scene_only[20:200, 20:300], with_overlay[20:200, 20:300])


def test_camera_frames_the_scene_beside_the_panel():
    from viz3d.render.camera import OrbitCamera

    camera = OrbitCamera(azimuth=-90.0, elevation=30.0, distance=4.0)
    corner = np.array([[0.5, 0.0, 0.3]])
    centred = camera.to_pixels(np.vstack([np.zeros(3), corner]), 1000, 500)
    camera.frame_left = 0.3
    beside = camera.to_pixels(np.vstack([np.zeros(3), corner]), 1000, 500)
    # The free part is 700 of 1000 pixels wide: its centre is at 650, and it is drawn as a 700x500
    # window would be, same height: offsets from the centre keep their size in pixels.
    assert beside[0] == pytest.approx([650.0, 250.0])
    assert beside[1] - beside[0] == pytest.approx(centred[1] - centred[0])


def test_scene_slides_beside_the_panel_and_back_when_it_is_hidden(imgui_layer):
    from viz3d.render.renderer import FrameRenderer

    state = ViewState(n_layers=2, show_axes=False, point_size=12.0)
    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0]))
    renderer.set_projection(projection_of(np.zeros((2, 1, 3))))  # one point, at the origin

    def point_x() -> float:
        columns = np.nonzero(non_background_mask(render(renderer, state, SIZE)).any(axis=0))[0]
        return columns.mean()

    assert point_x() == pytest.approx(SIZE[0] / 2, abs=1.5)
    draw_frame(imgui_layer, state)  # the panel measures itself and says where it ends
    assert 0.3 < state.panel_right < 0.6
    state.settle_frame()
    assert point_x() == pytest.approx(SIZE[0] * (1 + state.panel_right) / 2, abs=1.5)
    state.show_overlay = False  # H: the picture slides back to the middle, eased, not in one jump
    state.advance(1 / 60)
    assert SIZE[0] / 2 + 5 < point_x() < SIZE[0] * (1 + state.panel_right) / 2 - 5
    for _ in range(60):
        state.advance(1 / 60)
    assert point_x() == pytest.approx(SIZE[0] / 2, abs=1.5)


def test_offscreen_panel_keeps_its_share_of_the_picture(imgui_layer):
    """Drawn at 720 and 1080 pixels tall, the panel covers the same share of the picture (measured on
    the drawn frames: its title bar's width and its text's height), and says where it ends."""
    from viz3d.ui.overlay import Overlay

    shares = []
    for size in ((1280, 720), (1920, 1080)):
        state = ViewState(n_layers=2, show_axes=False)
        overlay = Overlay("Digits: clusters form layer by layer", "Each layer seen through its top PCs, 64-32-16-10.")
        image = draw_frame(imgui_layer, state, overlay=overlay, size=size).astype(int)
        laid_out = state.camera.frame_left  # the panel's edge as laid out, before the frame that is kept
        title_bar = (np.abs(image - [41, 74, 122]).max(axis=-1) <= 8).sum(axis=1)  # ImGui's active title
        title_rows = np.nonzero(title_bar > size[0] * 0.1)[0]
        panel_width = title_bar[title_rows].max()
        shares.append((panel_width / size[0], len(title_rows) / size[1]))
        assert laid_out == pytest.approx((panel_width + 12 * size[1] / 720) / size[0], abs=0.005)
    assert shares[1] == pytest.approx(shares[0], rel=0.05)


def _panel_pixels(imgui_layer, state, projection, classes):
    from viz3d.ui.overlay import Overlay

    size = (1280, 720)  # 1:1 layout: the swatches are 14 pixels square
    overlay = Overlay("Legend test", class_names=[str(k) for k in range(classes)])
    image = draw_frame(imgui_layer, state, projection=projection, overlay=overlay, size=size)
    return image[:, : int(state.panel_right * size[0])].reshape(-1, 3).astype(int)


def _count_near(pixels, color, tolerance=6):
    target = (np.asarray(color[:3]) * 255).round().astype(int)
    return int((np.abs(pixels - target).max(axis=1) <= tolerance).sum())


def test_legend_names_what_the_colours_mean_in_each_mode(imgui_layer):
    from dataclasses import replace

    from viz3d.colors import CORRECT, WRONG, palette, viridis

    projection = replace(projection_of(np.zeros((2, 4, 3))), predictions=np.array([0, 1, 2, 3]))
    state = ViewState(n_layers=2, show_axes=False, show_grid=False)
    pixels = _panel_pixels(imgui_layer, state, projection, classes=10)
    for color in palette():  # every class has its 14x14 swatch
        assert _count_near(pixels, color) >= 100, color
    state.color_by = "correct"
    pixels = _panel_pixels(imgui_layer, state, projection, classes=10)
    assert _count_near(pixels, CORRECT) >= 100 and _count_near(pixels, WRONG) >= 100
    assert _count_near(pixels, palette()[2]) < 20  # the class swatches are gone
    state.color_by = "neuron"
    neuron = replace(projection, neuron_values=np.arange(4.0), neuron_range=(-0.5, 2.5))
    pixels = _panel_pixels(imgui_layer, state, neuron, classes=10)
    assert all(_count_near(pixels, color, tolerance=10) >= 20 for color in viridis(5))  # the bar, low to high
    assert _count_near(pixels, palette()[2]) < 20


def test_the_legend_by_class_lists_only_the_classes_the_labels_hold(imgui_layer):
    """A trial's labels 0, 1, 2, 5 against a 2-class model listed classes 0 to 5, absent 3 and 4 too; by
    prediction every class colour still shows, as any may be predicted."""
    from dataclasses import replace

    from viz3d.colors import palette
    from viz3d.ui.overlay import Overlay

    projection = replace(projection_of(np.zeros((2, 4, 3))), predictions=np.array([0, 1, 2, 3]))
    labels = np.array([1, 2, 5, 5, 1, -1])  # -1: unlabelled (noise, say), which is not class 0
    for mode, shown in (("class", {1, 2, 5}), ("prediction", set(range(6)))):
        state = ViewState(n_layers=2, show_axes=False, show_grid=False, color_by=mode)
        overlay = Overlay("Legend test", class_names=[str(k) for k in range(6)], labels=labels)
        image = draw_frame(imgui_layer, state, projection=projection, overlay=overlay, size=(1280, 720))
        pixels = image[:, : int(state.panel_right * 1280)].reshape(-1, 3).astype(int)
        drawn = {k for k in range(6) if _count_near(pixels, palette()[k]) >= 100}
        assert drawn == shown, mode


def test_a_value_bar_has_pointed_ends_for_the_values_clamped_beyond_it(imgui_layer):
    """The bar spans the 2nd to 98th percentiles; as matplotlib's extend="both", its ends come to a point
    in the end colours: one or two pixels tall at the tip, the bar's full height a few pixels in."""
    from dataclasses import replace

    from viz3d.colors import viridis
    from viz3d.ui.overlay import Overlay

    projection = replace(projection_of(np.zeros((2, 4, 3))), neuron_values=np.arange(4.0), neuron_range=(-0.5, 2.5))
    state = ViewState(n_layers=2, show_axes=False, show_grid=False, color_by="neuron")
    overlay = Overlay("Legend test", class_names=[str(k) for k in range(10)])
    pixels = draw_frame(imgui_layer, state, projection=projection, overlay=overlay, size=(1280, 720)).astype(int)
    pixels = pixels[:, : int(state.panel_right * 1280)]
    distance = [np.abs(pixels - (viridis(16)[end][:3] * 255).round()).max(axis=-1) for end in (0, -1)]
    ends = [away <= 6 for away in distance]
    rows = np.flatnonzero((distance[1] <= 40).sum(axis=1) >= 3)  # the bar's rows: nothing else is yellow
    low, high = (near[rows.min() - 4 : rows.max() + 5] for near in ends)
    for near, tip, inward in ((low, low.any(0).argmax(), 4), (high, len(high[0]) - 1 - high.any(0)[::-1].argmax(), -4)):
        assert 1 <= near[:, tip].sum() <= 3  # the point
        assert near[:, tip + inward].sum() > 2 * near[:, tip].sum() + 3  # widening towards the bar


def test_the_correct_wrong_legend_counts_the_points(imgui_layer, monkeypatch):
    """A model right on every point showed an all-grey cloud that read as a broken colouring; the legend
    now says how many points are wrong, counted against the labels (none to count: names only)."""
    from dataclasses import replace

    from imgui_bundle import imgui

    from viz3d.ui.overlay import Overlay

    lines = []
    text = imgui.text
    monkeypatch.setattr(imgui, "text", lambda line, *a, **k: lines.append(line) or text(line, *a, **k))
    labels = np.array([0, 1, 2, 3, 3, 1])
    state = ViewState(n_layers=2, show_axes=False, show_grid=False, color_by="correct")
    overlay = Overlay("Counts", class_names=["a", "b", "c", "d"], labels=labels)  # one, as a live window has
    for predictions, expected in (([0, 1, 2, 0, 3, 0], ["correct (4)", "wrong (2)"]), (labels, ["wrong (0)"])):
        projection = replace(projection_of(np.zeros((2, 6, 3))), predictions=np.array(predictions))
        lines.clear()
        draw_frame(imgui_layer, state, projection=projection, overlay=overlay)
        assert all(line in lines for line in expected), lines
    lines.clear()
    draw_frame(imgui_layer, state, projection=projection, overlay=Overlay("No labels", class_names=["a", "b"]))
    assert "correct" in lines and "wrong" in lines


def test_the_region_tint_has_its_own_legend_where_points_are_not_in_class_colours(imgui_layer):
    from dataclasses import replace

    from viz3d.colors import palette

    tinted = replace(
        projection_of(np.zeros((2, 4, 3))),
        neuron_values=np.arange(4.0),
        neuron_range=(0.0, 3.0),
        region_probs=np.full((3, 10), 0.1, np.float32),
    )
    state = ViewState(n_layers=2, show_axes=False, show_grid=False, color_by="neuron")
    pixels = _panel_pixels(imgui_layer, state, tinted, classes=10)
    assert all(_count_near(pixels, color) >= 100 for color in palette())  # the tint's classes, named
    state.show_regions = False  # no tint drawn: nothing to explain
    assert _count_near(_panel_pixels(imgui_layer, state, tinted, classes=10), palette()[2]) < 20


def test_legend_of_many_classes_stops_where_the_colours_repeat(imgui_layer):
    from viz3d.colors import palette

    state = ViewState(n_layers=2, show_axes=False, show_grid=False)
    projection = projection_of(np.zeros((2, 4, 3)))
    few = _panel_pixels(imgui_layer, state, projection, classes=10)
    many = _panel_pixels(imgui_layer, state, projection, classes=40)
    first = palette()[0]
    assert _count_near(many, first) == pytest.approx(_count_near(few, first), rel=0.1)  # one swatch, not four


def test_arrow_labels_never_overlap_and_stay_on_screen():
    from viz3d.ui.labels import place_labels

    anchors = [(300.0, 200.0), (303.0, 202.0), (301.0, 199.0), (630.0, 5.0)]  # three tips together, one in a corner
    sizes = [(80.0, 18.0)] * 4
    corners = place_labels(anchors, sizes, (640.0, 360.0))
    boxes = [(x, y, x + w, y + h) for (x, y), (w, h) in zip(corners, sizes, strict=True)]
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
        assert a[0] >= 0 and a[2] <= 640 and a[1] >= 0 and a[3] <= 360
    for (x, y), box in zip(anchors, boxes, strict=True):  # each label sits by its own point
        assert min(abs(box[0] - x), abs(box[2] - x)) <= 10 and min(abs(box[1] - y), abs(box[3] - y)) <= 10


def test_arrow_labels_sit_where_their_arrow_points_off_its_own_shaft():
    """Given the arrow's base, a label continues the arrow's line just beyond its tip, clear of its shaft
    (the fixed order put "(5.0, -1.0)" over its own arrow in change-of-basis-learned; a corner could sit
    nearer another arrow's tip than its own in jacobian)."""
    from viz3d.ui.labels import GAP, place_labels

    tip, size = np.array([320.0, 180.0]), (90.0, 18.0)
    for direction in ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0.2), (-0.2, -1), (-1, 0)):
        base = tip - 120 * np.array(direction)
        ((left, top),) = place_labels([tuple(tip)], [size], (640.0, 360.0), bases=[tuple(base)])
        right, bottom = left + size[0], top + size[1]
        shaft = base + np.linspace(0, 1, 200)[:, None] * (tip - base)
        covered = (shaft[:, 0] >= left) & (shaft[:, 0] <= right) & (shaft[:, 1] >= top) & (shaft[:, 1] <= bottom)
        assert not covered.any(), (direction, (left, top))
        unit = np.array(direction) / np.hypot(*direction)
        offset = np.array([(left + right) / 2, (top + bottom) / 2]) - tip
        assert abs(offset[0] * unit[1] - offset[1] * unit[0]) < 1e-6, "the label's centre is on the arrow's line"
        nearest = np.array([left if unit[0] > 0 else right, top if unit[1] > 0 else bottom])  # back along it
        assert np.dot(offset, unit) > 0 and np.dot(nearest - tip, unit) == pytest.approx(GAP, abs=1e-6)


def test_an_arrow_label_that_its_line_cannot_take_goes_to_a_corner():
    """Where the arrow's own line is taken by another label, a corner will do."""
    from viz3d.ui.labels import place_labels

    size = (90.0, 18.0)
    tips, bases = [(320.0, 180.0), (320.0, 180.0)], [(200.0, 180.0), (200.0, 180.0)]  # the same arrow twice
    (first, second) = place_labels(tips, [size, size], (640.0, 360.0), bases=bases)
    assert first[0] > 320 and abs(first[1] + size[1] / 2 - 180) < 1e-6  # on the line, right of the tip
    boxes = [(x, y, x + size[0], y + size[1]) for x, y in (first, second)]
    assert not (
        boxes[0][0] < boxes[1][2]
        and boxes[1][0] < boxes[0][2]
        and boxes[0][1] < boxes[1][3]
        and boxes[1][1] < boxes[0][3]
    )


def test_panel_fades_in_as_the_scene_makes_room_for_it():
    state = ViewState(n_layers=2, panel_right=0.3)
    assert state.panel_alpha == 0.0  # just shown: the scene has not moved yet
    state.advance(0.12)  # one time constant of the slide
    assert 0.55 < state.panel_alpha < 0.7
    state.settle_frame()
    assert state.panel_alpha == 1.0
    state.recording, state.record_overlay = True, False  # recording without it: shown as it is
    assert state.panel_alpha == 1.0


def test_a_small_picture_gets_a_compact_panel_that_fits(imgui_layer):
    from viz3d.ui.overlay import Overlay

    long_text = "A sentence that wraps over a few lines of the panel, as preset descriptions do. " * 3
    overlay = Overlay("Title", long_text, long_text, class_names=[str(k) for k in range(10)])
    state = ViewState(n_layers=2, show_axes=False, show_grid=False)
    image = draw_frame(imgui_layer, state, overlay=overlay)  # 640 x 360: laid out as 853 x 480
    panel_rows = np.nonzero(non_background_mask(image[:, 14:20]).any(axis=1))[0]
    assert 150 < panel_rows.max() < SIZE[1] - 8  # the whole panel is in the picture, with its border


def test_colouring_a_model_without_classes_by_prediction_says_so_within_the_panel(imgui_layer):
    """A regression model has no class predictions and no classes: "correct" cannot colour its points.
    The panel says that there are none (not that it shows classes), wrapped at the panel's text width:
    the note once widened the panel by a quarter."""
    from dataclasses import replace

    from viz3d.ui.overlay import MUTED, Overlay

    projection = projection_of(np.zeros((2, 4, 3)))  # no predictions
    state = ViewState(n_layers=2, show_axes=False, show_grid=False)
    plain = _panel_pixels(imgui_layer, state, projection, classes=0)
    width = state.panel_right
    state.color_by = "correct"
    noted = _panel_pixels(imgui_layer, state, projection, classes=0)
    muted = (MUTED.x, MUTED.y, MUTED.z)
    assert _count_near(noted, muted) > _count_near(plain, muted) + 50  # the note is drawn ...
    assert state.panel_right == pytest.approx(width, abs=0.002)  # ... and the panel keeps its width
    regression, classifier = Overlay("Regression"), Overlay("Spirals", class_names=["spiral A", "spiral B"])
    assert regression.fallback_note("correct", projection) == "no classes here: one colour for all"
    assert classifier.fallback_note("prediction", projection) == "no class predictions in this model: showing classes"
    misfit = Overlay("Labels 1-3", no_accuracy="n/a (labels 1..3, output has 3 classes)", class_names=["a", "b"])
    assert misfit.fallback_note("correct", projection) == (  # the reason, where the accuracy line gives one
        "no class predictions (labels 1..3, output has 3 classes): showing classes"
    )
    assert regression.fallback_note("class", projection) == ""
    assert classifier.fallback_note("correct", replace(projection, predictions=np.zeros(4, int))) == ""


def test_a_portrait_picture_frames_the_scene_below_the_panel(imgui_layer):
    """In a 720x1280 clip the panel sits above the scene: framing the scene beside it squeezed the data
    into the right half, under the panel's edge."""
    state = ViewState(n_layers=2, show_axes=False)
    image = draw_frame(imgui_layer, state, size=(720, 1280))
    assert state.panel_right == 0.0 and state.camera.frame_left == 0.0
    assert 0.15 < state.panel_bottom < 0.6 and state.camera.frame_top == state.panel_bottom
    assert non_background_mask(image[20:200, 20:300]).mean() > 0.5  # the panel is still drawn, top left
    landscape = ViewState(n_layers=2, show_axes=False)
    draw_frame(imgui_layer, landscape, size=(1280, 720))
    assert landscape.camera.frame_left > 0.2 and landscape.camera.frame_top == 0.0


def test_a_picture_or_video_panel_leaves_out_the_live_windows_controls(imgui_layer, monkeypatch):
    """Play/Step, the view switches, recording and the help were baked into every still and video."""
    from imgui_bundle import imgui

    from viz3d.ui.overlay import Overlay

    controls = []
    for name in ("button", "checkbox", "small_button"):
        original = getattr(imgui, name)
        monkeypatch.setattr(
            imgui,
            name,
            lambda label, *args, _original=original, **kwargs: (
                controls.append(label) or _original(label, *args, **kwargs)
            ),
        )
    projection = projection_of(np.zeros((2, 4, 3)))
    status = TrainingStatus(step=12, loss=0.5, accuracy=0.75, trainable=True, playing=True)
    draw_frame(imgui_layer, ViewState(n_layers=2), status, projection, Overlay("Live", "", ""))
    live_controls = set(controls)
    assert {"Pause", "Step", "grid", "adaptive detail", "record with this panel"} <= live_controls
    controls.clear()
    draw_frame(imgui_layer, ViewState(n_layers=2), status, projection, Overlay("Talk", "", "", interactive=False))
    assert not [label for label in controls if not label.startswith("##")], controls  # arrows' ids only, if any


def test_the_keys_help_opens_beside_the_panel_without_growing_it(imgui_layer, monkeypatch):
    """Opened inside the panel, the help made it taller than a 720p window: a scrollbar appeared and the
    scene framed beside the panel moved."""
    from helpers import PanelText

    from viz3d.ui.overlay import Overlay

    overlay = Overlay("Live", "What it is.", "What to watch.")
    images = []
    for show_keys in (False, True):
        overlay.show_keys = show_keys
        panel = PanelText(monkeypatch)
        images.append(
            draw_frame(imgui_layer, ViewState(n_layers=2, show_axes=False), overlay=overlay, size=(1280, 720))
        )
    assert "one step while paused" in panel.lines
    closed, opened = (non_background_mask(image) for image in images)
    assert np.array_equal(closed[:, :40], opened[:, :40])  # the panel's left edge, top to bottom: unchanged
    right_of_panel = slice(int(overlay_right(images[0])) + 12, None)
    assert opened[:200, right_of_panel].mean() > 3 * closed[:200, right_of_panel].mean()  # the help, beside it


def overlay_right(image) -> int:
    """The panel's right edge: the last column of its background along a row through its title."""
    row = np.abs(image[40].astype(int) - [41, 41, 42]).max(axis=-1) <= 4
    return int(np.flatnonzero(row).max())


@pytest.mark.parametrize("interactive", [True, False], ids=["live", "picture"])
def test_the_panel_keeps_one_width_while_the_layers_are_swept(imgui_layer, interactive):
    """The x/y/z pickers of a layer through PCA, or a long module name, used to widen the panel (and
    shift the scene framed beside it) halfway through a recorded sweep."""
    from dataclasses import replace

    from viz3d.ui.overlay import Overlay

    projection = projection_of(np.zeros((3, 1, 3)))
    long_name = "TransformerEncoderLayer (module encoder.layers.0.self_attention)"
    projection = replace(
        projection,
        widths=[2, 64, 2],
        layer_labels=["input", "Linear (module 0)", long_name],
        explained_variance_ratio=np.full((3, 10), 0.1234, np.float32),
    )
    overlay = Overlay("Short", interactive=interactive)
    edges = []
    for layer in (0, 1, 2):
        state = ViewState(n_layers=3, show_axes=False)
        state.set_layer(layer)
        image = draw_frame(imgui_layer, state, projection=projection, overlay=overlay, size=(1280, 720))
        title_bar = non_background_mask(image[16:24])  # a row through the panel's title bar
        edges.append(int(np.nonzero(title_bar.any(axis=0))[0].max()))
    assert edges[0] == edges[1] == edges[2], f"the panel's right edge moved: {edges}"
    assert 12 + 440 < edges[0] < 12 + 500  # wide for the long name, which wraps past 480 pixels


def test_a_picture_names_the_neurons_layer_as_the_layer_line_does(imgui_layer, monkeypatch):
    """'unit 3 of layer 6' left the reader to count layers; a picture has no slider to point at it."""
    from dataclasses import replace

    from imgui_bundle import imgui

    from viz3d.ui.overlay import Overlay

    lines = []
    text = imgui.text
    monkeypatch.setattr(imgui, "text", lambda line, *a, **k: lines.append(line) or text(line, *a, **k))
    projection = replace(projection_of(np.zeros((3, 1, 3))), layer_labels=["input", "Linear (module 0)", "fc · Tanh"])
    state = ViewState(n_layers=3, show_axes=False, color_by="neuron")
    state.neuron = ("layer1", 2)
    draw_frame(imgui_layer, state, projection=projection, overlay=Overlay("Picture", interactive=False))
    assert "unit 2 of layer 1: Linear (module 0)" in lines


def test_the_panel_keeps_its_height_when_the_neuron_is_from_another_layer(imgui_layer):
    """The "use layer N's units" button came and went as a sweep passed the neuron's layer, and the
    panel's height (and the scene framed below it, in a tall window) jumped with it."""
    from viz3d.ui.overlay import Overlay

    projection = projection_of(np.zeros((3, 1, 3)))
    bottoms = []
    for layer in (1, 2):
        state = ViewState(n_layers=3, show_axes=False, color_by="neuron")
        state.neuron = ("layer1", 0)
        state.set_layer(layer)
        image = draw_frame(imgui_layer, state, projection=projection, overlay=Overlay("Short"), size=(640, 720))
        panel_column = non_background_mask(image[:, 14:18]).any(axis=1)  # just inside the panel's left edge
        bottoms.append(int(np.nonzero(panel_column)[0].max()))
    assert bottoms[0] == bottoms[1], f"the panel's bottom edge moved: {bottoms}"
    assert 200 < bottoms[0] < 700


def test_arrow_labels_start_on_whole_pixels_of_the_picture():
    """At 0.75 a label's text fell between framebuffer pixels and blurred (8 pixels of the label colour
    in a 960x540 jacobian picture against 45 when aligned)."""
    from viz3d.ui.labels import _on_pixels

    for position in (100.0, 101.3, 102.9, 57.5):
        aligned = _on_pixels(position, 0.75)
        assert aligned % 4 == 0 and abs(aligned - position) <= 2.5  # whole pixels in both: every 4th
        assert _on_pixels(position, 1.5) % 2 == 0 and _on_pixels(position, 1.0) == int(round(position - 0.01))


def test_going_back_to_live_from_a_stored_step(imgui_layer, monkeypatch):
    """Clicking Live (or dragging the history slider to its end) formatted the stored step after the click
    had cleared it: 'unsupported format string passed to NoneType' closed the window."""
    from imgui_bundle import imgui

    from viz3d.ui.overlay import Overlay

    button = imgui.button
    monkeypatch.setattr(imgui, "button", lambda label, *args: label == "Live" or button(label, *args))
    state = ViewState(n_layers=2, show_axes=False)
    state.history_step = 20
    status = TrainingStatus(step=40, loss=0.5, accuracy=0.75, stored_steps=(0, 10, 20, 30, 40))
    draw_frame(imgui_layer, state, status=status, overlay=Overlay("Title"))
    assert state.history_step is None


def test_the_speed_slider_sets_the_training_pace_and_its_top_lets_it_run(imgui_layer, monkeypatch):
    import math

    from helpers import PanelText
    from imgui_bundle import imgui

    from viz3d.ui.overlay import SPEED_MAX, Overlay

    slider, shown, moved_to = imgui.slider_float, [], []

    def speed_slider(label, value, low, high, text="%.3f", *args):
        if label != "##speed":
            return slider(label, value, low, high, text, *args)
        shown.append(value)
        return (True, moved_to[-1]) if moved_to else (False, value)

    monkeypatch.setattr(imgui, "slider_float", speed_slider)
    panel = PanelText(monkeypatch)
    state = ViewState(n_layers=2, show_axes=False)
    state.train_speed = 60.0
    draw_frame(imgui_layer, state, overlay=Overlay("Title"))
    assert shown[-1] == 60.0 and panel.last("speed: ") == "speed: 60 steps a second"
    moved_to.append(5.0)
    draw_frame(imgui_layer, state, overlay=Overlay("Title"))
    assert state.train_speed == 5.0
    moved_to.append(SPEED_MAX)
    draw_frame(imgui_layer, state, overlay=Overlay("Title"))
    assert math.isinf(state.train_speed)
    moved_to.clear()
    draw_frame(imgui_layer, state, overlay=Overlay("Title"))
    assert shown[-1] == SPEED_MAX and panel.last("speed: ") == "speed: as fast as it goes"
    shown.clear()
    draw_frame(imgui_layer, state, overlay=Overlay("Title", interactive=False))
    assert not shown  # a picture has no controls


def test_the_speed_says_what_training_reaches_where_the_machine_cannot_keep_up(imgui_layer, monkeypatch):
    """A second rehearsal: the panel said 60 steps a second where a million points let training reach 19."""
    from helpers import PanelText

    from viz3d.ui.overlay import Overlay

    panel, now = PanelText(monkeypatch), [0.0]
    overlay = Overlay("Title")
    overlay.clock = lambda: now[0]
    state = ViewState(n_layers=2, show_axes=False)

    def shown_at(seconds: float, step: int, speed: float, playing: bool = True) -> str:
        now[0], state.train_speed = seconds, speed
        status = TrainingStatus(step=step, loss=0.5, accuracy=0.5, playing=playing)
        draw_frame(imgui_layer, state, status=status, overlay=overlay)
        return panel.last("speed: ")

    assert shown_at(0.0, 0, 60.0) == "speed: 60 steps a second"  # not known yet
    assert shown_at(2.0, 38, 60.0) == "speed: 60 steps a second (19 reached)"
    assert shown_at(4.0, 156, 60.0) == "speed: 60 steps a second"  # 59 a second: keeping up
    assert shown_at(6.0, 676, math.inf) == "speed: as fast as it goes"  # a new speed: measured afresh
    assert shown_at(7.0, 936, math.inf) == "speed: as fast as it goes (260 a second)"
    assert shown_at(8.0, 936, 60.0, playing=False) == "speed: 60 steps a second"  # paused: nothing reached
    assert shown_at(9.0, 936, 60.0) == "speed: 60 steps a second"
    assert shown_at(15.0, 1000, 60.0) == "speed: 60 steps a second"  # after a gap (the panel hidden): afresh


def test_a_regression_onto_several_values_says_why_its_points_are_one_colour(imgui_layer, monkeypatch):
    """A trial's 3-row map-samples preset: one colour, under "colour by class" with an empty legend."""
    import dataclasses

    from helpers import PanelText

    from viz3d.app.still import session_overlay
    from viz3d.presets import load_preset
    from viz3d.train.session import session_from_preset

    preset = load_preset("change-of-basis-learned")
    preset = dataclasses.replace(
        preset,
        dataset=dataclasses.replace(preset.dataset, matrix=((1.0, 2.0), (0.0, 1.0), (1.0, 1.0))),
        view=dataclasses.replace(preset.view, color_by="class"),
    )
    session = session_from_preset(preset)
    panel = PanelText(monkeypatch)
    draw_frame(imgui_layer, ViewState(n_layers=2), projection=session.capture(), overlay=session_overlay(session, "T"))
    assert panel.last("no classes here") == (
        "no classes here: one colour for all (colour by one neuron shows a unit, of the output too)"
    )


def test_the_history_sliders_grab_is_small_with_few_stored_steps(imgui_layer):
    """With two stored steps the integer slider's grab covered half the slider and the step written in it."""
    from imgui_bundle import imgui

    from viz3d.ui.overlay import Overlay

    def grab_pixels(stored: tuple[int, ...]) -> int:
        status = TrainingStatus(step=stored[-1], loss=0.5, accuracy=0.75, stored_steps=stored)
        image = draw_frame(imgui_layer, ViewState(n_layers=2, show_axes=False), status=status, overlay=Overlay("T"))
        grab = np.array([round(255 * c) for c in imgui.get_style().color_(imgui.Col_.slider_grab)][:3])
        return int((np.abs(image.astype(int) - grab).max(axis=-1) <= 10).sum())

    few, many = grab_pixels((0, 10)), grab_pixels(tuple(range(0, 110, 10)))
    assert many > 0 and few < 1.5 * many, (few, many)  # the layer slider's grab and the timeline's, alike


def test_a_tall_panel_in_a_square_window_frames_the_scene_below_it(imgui_layer):
    """A trial's 900x900 window squeezed the scene into the strip right of a tall panel (the smaller
    fraction won); below the panel the scene has a wider, larger place."""
    from viz3d.ui.overlay import Overlay

    prose = "Each layer bends the plane a little further."
    overlay = Overlay("A tall panel", prose, prose)
    state = ViewState(n_layers=2, show_axes=False)
    draw_frame(imgui_layer, state, overlay=overlay, size=(900, 900))
    assert state.panel_right == 0.0 and 0.3 < state.panel_bottom < 0.6  # the panel's own edge, not a cap
    taller = Overlay("A very tall panel", " ".join([prose] * 3), prose)  # past 60% of the height
    tall = ViewState(n_layers=2, show_axes=False)
    draw_frame(imgui_layer, tall, overlay=taller, size=(900, 900))
    assert tall.panel_bottom == 0.0 and 0.3 < tall.panel_right < 0.6  # below it there is no room: beside
    landscape = ViewState(n_layers=2, show_axes=False)
    draw_frame(imgui_layer, landscape, overlay=overlay, size=(1600, 900))
    assert landscape.panel_right > 0.2 and landscape.panel_bottom == 0.0  # a wide window: beside, as before


def test_the_live_layer_slider_shows_its_number_beside_it(imgui_layer, monkeypatch):
    """ImGui centres a slider's value over it, and at 4.00 of 0-7 the grab sat on its last digit."""
    from imgui_bundle import imgui

    formats, texts = {}, []
    slider, text = imgui.slider_float, imgui.text
    monkeypatch.setattr(
        imgui,
        "slider_float",
        lambda label, v, lo, hi, fmt="%.3f", *a: (
            formats.setdefault(label, fmt) is None or slider(label, v, lo, hi, fmt, *a)
        ),
    )
    monkeypatch.setattr(imgui, "text", lambda line, *a, **k: texts.append(line) or text(line, *a, **k))
    state = ViewState(n_layers=8, show_axes=False)
    state.set_layer(4.0)
    draw_frame(imgui_layer, state)
    assert formats["##layer"] == "" and "4.00" in texts


def test_picking_a_component_shown_on_another_axis_swaps_the_two():
    """The panel's x/y/z pickers change one axis at a time: swapping x and y passed through (1, 1, 2),
    which the projection refuses, and training paused on the error."""
    from viz3d.ui.overlay import with_axis

    assert with_axis((0, 1, 2), 0, 1) == (1, 0, 2)
    assert with_axis((0, 1, 2), 2, 5) == (0, 1, 5)
    assert with_axis([3, 0, 7], 1, 7) == (3, 7, 0)


def test_a_picture_refuses_a_component_past_the_top_ten(tmp_path):
    """axes=(0, 1, 12) had raised an IndexError in the panel, which knows the variance of the top 10 only;
    then drew noise blown up to fill the view where a layer's rank ended before it (a trial)."""
    import torch
    from torch import nn

    import viz3d
    from viz3d.errors import Viz3dError

    x = torch.randn(300, 16)
    model = nn.Sequential(nn.Linear(16, 20), nn.Tanh(), nn.Linear(20, 2))
    with pytest.raises(Viz3dError, match=r"axes: expected three different components of the top 10, .*\[0, 1, 12\]"):
        viz3d.picture(model, x, (x[:, 0] > 0).long(), tmp_path / "p.png", size=(640, 360), axes=(0, 1, 12))


def test_a_value_scales_ends_share_their_decimals():
    """A trial read "-1.2" and "1.26" at the two ends of one scale."""
    from viz3d.ui.swatches import scale_ends

    assert scale_ends(-1.2, 1.26) == ("-1.20", "1.26")
    assert scale_ends(0.0, 150.0) == ("0", "150")
    assert scale_ends(0.013, 0.05) == ("0.0130", "0.0500")
    assert scale_ends(-2e-5, 3e-5) == ("-2e-05", "3e-05")
