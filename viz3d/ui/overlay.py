"""The overlay panel: what is training, how well, which layer is shown, and the view toggles.

`Overlay.draw` is called once per frame between ImGui's new_frame and render. It reads the training
status and edits the `ViewState`; the live loop turns state changes into training commands.
"""

from __future__ import annotations

from imgui_bundle import imgui

from viz3d.app.state import ViewState
from viz3d.train.thread import TrainingStatus

ERROR_RED = imgui.ImVec4(1.0, 0.45, 0.4, 1.0)
MUTED = imgui.ImVec4(0.65, 0.68, 0.75, 1.0)
HELP = (
    "Space play/pause  ·  Left/Right layer  ·  H hide\n"
    "drag rotate  ·  right-drag pan  ·  scroll zoom\n"
    "double-click resets the camera"
)


class Overlay:
    def __init__(self, title: str, description: str = "") -> None:
        self.title = title
        self.description = description

    def draw(self, state: ViewState, status: TrainingStatus, layer_labels: list[str]) -> None:
        if not state.show_overlay:
            return
        imgui.set_next_window_pos(imgui.ImVec2(12, 12), imgui.Cond_.first_use_ever)
        imgui.set_next_window_size(imgui.ImVec2(380, 0), imgui.Cond_.first_use_ever)
        imgui.set_next_window_bg_alpha(0.82)
        imgui.begin("viz3d", None, imgui.WindowFlags_.always_auto_resize)
        imgui.text(self.title)
        if self.description:
            imgui.push_text_wrap_pos(360)
            imgui.text_colored(MUTED, self.description)
            imgui.pop_text_wrap_pos()
        imgui.separator()
        self._training(state, status)
        imgui.separator()
        self._layers(state, layer_labels)
        imgui.separator()
        self._view(state)
        if state.status_line:
            imgui.text_colored(MUTED, state.status_line)
        imgui.text_colored(MUTED, HELP)
        imgui.end()

    def _training(self, state: ViewState, status: TrainingStatus) -> None:
        if imgui.button("Pause" if state.playing else "Play", imgui.ImVec2(70, 0)):
            state.playing = not state.playing
        imgui.same_line()
        imgui.begin_disabled(state.playing)
        if imgui.button("Step"):
            state.step_requested = True
        imgui.end_disabled()
        imgui.same_line()
        imgui.text(f"step {status.step:,}")
        loss = "-" if status.loss is None else f"{status.loss:.4g}"
        accuracy = "-" if status.accuracy is None else f"{100 * status.accuracy:.1f}%"
        imgui.text(f"loss {loss}    accuracy {accuracy}")
        if status.error:
            imgui.push_text_wrap_pos(360)
            imgui.text_colored(ERROR_RED, status.error)
            imgui.pop_text_wrap_pos()
            if status.error_detail and imgui.tree_node("traceback"):
                imgui.text_unformatted(status.error_detail)
                imgui.tree_pop()

    def _layers(self, state: ViewState, layer_labels: list[str]) -> None:
        shown = min(int(round(state.layer)), len(layer_labels) - 1) if layer_labels else 0
        label = layer_labels[shown] if layer_labels else "waiting for the first snapshot"
        imgui.text(f"layer {shown} of {state.last_layer}: {label}")
        if imgui.arrow_button("##previous", imgui.Dir.left):
            state.step_layer(-1)
        imgui.same_line()
        imgui.set_next_item_width(260)
        changed, value = imgui.slider_float("##layer", state.layer, 0.0, float(state.last_layer), "%.2f")
        if changed:
            state.set_layer(value)
        imgui.same_line()
        if imgui.arrow_button("##next", imgui.Dir.right):
            state.step_layer(+1)

    def _view(self, state: ViewState) -> None:
        _, state.show_grid = imgui.checkbox("grid", state.show_grid)
        imgui.same_line()
        _, state.show_axes = imgui.checkbox("axes", state.show_axes)
        imgui.same_line()
        imgui.set_next_item_width(120)
        _, state.point_size = imgui.slider_float("point size", state.point_size, 1.0, 16.0, "%.0f")
