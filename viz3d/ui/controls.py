"""Keyboard shortcuts and mouse camera control, read from ImGui's input state each frame.

Input that ImGui wants (typing in a field, dragging a slider, the mouse over a panel) is left to it.

Keys: Space play/pause, Left/Right previous/next layer (animated), H hide/show the overlay,
. (period) one training step while paused, R start/stop recording, S screenshot, Escape closes an open list.
Mouse: left-drag rotates, right-drag (or shift+left-drag) pans, scroll zooms, double-click resets.
"""

from __future__ import annotations

from imgui_bundle import imgui

from viz3d.app.state import ViewState

DOUBLE_CLICK_SECONDS = 0.30  # ImGui's own limit between the two presses of a double-click


def handle_shortcuts(state: ViewState) -> None:
    io = imgui.get_io()
    if io.want_text_input:
        return
    if imgui.is_key_pressed(imgui.Key.space, repeat=False):
        state.toggle_playing()
    if imgui.is_key_pressed(imgui.Key.left_arrow):
        state.step_layer(-1)
    if imgui.is_key_pressed(imgui.Key.right_arrow):
        state.step_layer(+1)
    if imgui.is_key_pressed(imgui.Key.h, repeat=False):
        state.show_overlay = not state.show_overlay
    if imgui.is_key_pressed(imgui.Key.period) and not state.playing:
        state.step_requested = True
    if imgui.is_key_pressed(imgui.Key.r, repeat=False):
        state.recording = not state.recording
    if imgui.is_key_pressed(imgui.Key.s, repeat=False):
        state.screenshot_requested = True
    if imgui.is_key_pressed(imgui.Key.escape, repeat=False):  # ImGui does it only with keyboard navigation on,
        imgui.internal.close_popups_except_modals()  # which would take Space and the arrows from the shortcuts


def handle_camera(state: ViewState, viewport_height: int) -> None:
    io = imgui.get_io()
    if io.want_capture_mouse:
        return
    camera = state.camera
    dx, dy = io.mouse_delta.x, io.mouse_delta.y
    # ImGui takes in one button change a frame, so the second press of a double-click is seen two frames
    # after the first: at 4 fps (a million points on a CPU) 0.5 s later, and the reset never came.
    io.mouse_double_click_time = DOUBLE_CLICK_SECONDS + 3.0 * io.delta_time
    io.mouse_single_click_delay = io.mouse_double_click_time + 0.2  # ImGui requires it longer (0.5 by default)
    left, right = imgui.MouseButton_.left, imgui.MouseButton_.right
    if imgui.is_mouse_double_clicked(left):
        camera.reset()
        state.fit_distance = state.fit_center = True  # the view frames the layer shown again
    elif _dragging(left) and (dx or dy):
        if io.key_shift:
            camera.pan(dx, dy, viewport_height)
            state.fit_center = False  # the user's centre now, until a reset
        else:
            camera.rotate(dx, dy)
    if _dragging(right) and (dx or dy):
        camera.pan(dx, dy, viewport_height)
        state.fit_center = False
    if io.mouse_wheel:
        camera.zoom(io.mouse_wheel)
        state.fit_distance = False  # the user's distance now, until a reset


def _dragging(button: int) -> bool:
    """Held, and not pressed this frame: the frame of a press may carry the whole move that came before
    it (at 10 fps, a quick move and click), which swung the camera on a plain click."""
    return imgui.is_mouse_down(button) and not imgui.is_mouse_clicked(button)
