"""The overlay panel: what is training, how well, which layer is shown, and the view toggles.

`Overlay.draw` is called once per frame between ImGui's new_frame and render. It reads the training
status and edits the `ViewState`; the live loop turns state changes into training commands.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
from imgui_bundle import imgui

from viz3d.app.state import ViewState
from viz3d.colors import CORRECT, WRONG, class_colors, color_source, palette, value_range
from viz3d.project.projection import Projection, stage_partner
from viz3d.train.status import TrainingStatus
from viz3d.ui.labels import draw_labels, layer_label_opacity
from viz3d.ui.swatches import swatches, value_bar

ERROR_RED = imgui.ImVec4(1.0, 0.45, 0.4, 1.0)
ARROW_TEXT = 0xFF_BF_9E_FF  # IM_COL32(255, 158, 191, 255): ImGui packs colours as ABGR
MUTED = imgui.ImVec4(0.65, 0.68, 0.75, 1.0)
LOOK_FOR = imgui.ImVec4(0.95, 0.85, 0.55, 1.0)
COMPACT_BELOW = 560  # window pixels tall: below this the panel leaves out the preset's prose and the help
WRAP = 360  # where the panel's text wraps at least, in window pixels from its left edge
PANEL_MARGIN = 12.0  # window pixels between the panel's home corner and the window's
SPEED_MAX = 1000.0  # training steps a second at the speed slider's top, which trains as fast as it goes
SPEED_SLIDER_WIDTH = 120
RATE_SECONDS = 1.0  # how often the training rate reached is measured again
REACHED_SHARE = 0.85  # below this share of the asked speed, the panel says what was reached
LAYER_SLIDER_WIDTH = 230  # between the previous / next layer buttons (the layer's number follows them)
AXIS_PICKER_WIDTH = 125  # each of the x/y/z principal-component pickers
MAX_LAYER_LINE = 480  # a layer's line in the panel ("layer 2 (of 0-5): Tanh (module 1)") wraps past this
SCENE_ASPECT = 1.5  # how much wider than tall a scene usually is, to choose where it goes beside the panel
LAYOUT_MARGIN = 1.1  # the other layout must let the scene be this much larger before the scene moves there
MAX_PANEL_FRACTION = 0.6  # the scene keeps at least 40% of the width beside (or the height below) the panel
COLOR_LABELS = {"class": "class", "prediction": "prediction", "correct": "correct / wrong", "neuron": "one neuron"}
TARGET_LABEL = "target value"  # what "class" colours for a regression
KEYS_GAP = 8.0  # window pixels between the panel and the keys help beside it
KEYS = (  # the help: what each key and mouse gesture does, in two columns
    ("Space", "play / pause"),
    (".", "one step while paused"),
    ("Left / Right", "previous / next layer"),
    ("H", "hide / show this panel"),
    ("drag", "rotate"),
    ("right-drag", "pan (or shift-drag)"),
    ("scroll", "zoom"),
    ("double-click", "reset the view"),
    ("R", "record"),
    ("S", "screenshot"),
    ("Escape", "close an open list, or this help"),
)


class Overlay:
    def __init__(
        self,
        title: str,
        description: str = "",
        look_for: str = "",
        no_accuracy: str = "-",
        class_names: Sequence[str] = (),
        interactive: bool = True,
        targets: np.ndarray | None = None,
        labels: np.ndarray | None = None,
        labelled: bool = True,
        live_hint: str = "",
    ) -> None:
        self.title = title
        self.description = description
        self.look_for = look_for
        self.live_hint = live_hint  # what to press or try: in the live window only, not for an audience
        self.show_keys = False  # the keys-and-mouse help, in a window beside the panel
        self.clock = time.perf_counter  # for the training rate reached (a test's own clock)
        self._rate_mark: tuple[float, int, float] | None = None  # (time, step, speed) the rate is measured from
        self._rate: float | None = None
        self._keys_width = 240.0  # that window's width when last drawn, to keep it inside the window
        self.no_accuracy = no_accuracy  # shown while there is no accuracy: "-", or why there is none
        self.class_names = list(class_names)  # the legend's name for each class colour, in class order
        # False for pictures and videos: what the panel tells the audience, without the live window's
        # controls (Play/Step, the history slider, view switches, recording, help)
        self.interactive = interactive
        self.wrap = float(WRAP)  # where text wraps in this frame's panel (see `_steady_width`)
        # a regression's target values, which the "class" mode colours along viridis: their scale's ends
        self.targets = targets
        self.target_range = None if targets is None else value_range(targets)
        self.labels_of_points = labels  # the drawn points' classes, to count the correct and the wrong
        self.labelled = labelled  # False: no labels were given (the legend's classes are the model's outputs)
        self._mistakes: tuple[np.ndarray, int] | None = None  # the predictions last counted, and their count
        # the classes the drawn points' labels hold: the legend by class lists only these (labels 0, 1, 2, 5
        # against a 2-class model had listed 3 and 4 too); counted once, as the labels never change
        self.classes_present: set[int] | None = None
        if labelled and labels is not None and len(labels) and np.asarray(labels).dtype.kind in "iu":
            classes = np.asarray(labels)
            self.classes_present = set(np.unique(classes[classes >= 0]).tolist())  # -1 (no label) is no class

    def draw(self, state: ViewState, status: TrainingStatus, projection: Projection | None, panel: bool = True) -> None:
        """The arrows' labels, and the panel when it is shown (``panel=False``: this frame without it)."""
        self.labels(state, projection)
        if not state.show_overlay or not panel:
            return
        imgui.set_next_window_pos(imgui.ImVec2(PANEL_MARGIN, PANEL_MARGIN), imgui.Cond_.first_use_ever)
        imgui.set_next_window_size(imgui.ImVec2(380, 0), imgui.Cond_.first_use_ever)
        width = _steady_width(projection, pickers=self.interactive)  # pictures show no pickers
        self.wrap = width - imgui.get_style().window_padding.x  # text fills the panel's steady width
        imgui.set_next_window_size_constraints(imgui.ImVec2(width, 0.0), imgui.ImVec2(imgui.FLT_MAX, imgui.FLT_MAX))
        imgui.set_next_window_bg_alpha(0.82)
        imgui.push_style_var(imgui.StyleVar_.alpha, state.panel_alpha)
        flags = imgui.WindowFlags_.always_auto_resize
        if not self.interactive:  # a picture's audience has no use for a collapse arrow and "viz3d"
            flags |= imgui.WindowFlags_.no_title_bar
        imgui.begin("viz3d  (H hides this panel)" if self.interactive else "viz3d", None, flags)
        corner = imgui.get_window_pos()
        if corner.x < 0 or corner.y < 0:  # ImGui pushed it off a window shrunk to nothing (a second rehearsal)
            home = PANEL_MARGIN
            imgui.set_window_pos(imgui.ImVec2(home if corner.x < 0 else corner.x, home if corner.y < 0 else corner.y))
        state.panel_right, state.panel_bottom = _panel_room(beside_now=state.panel_bottom == 0.0)
        compact = imgui.get_io().display_size.y < COMPACT_BELOW  # a small picture: the essentials only
        imgui.push_text_wrap_pos(self.wrap)
        imgui.text(self.title)
        if self.description and not compact:
            imgui.text_colored(MUTED, self.description)
        if self.look_for and not compact:
            imgui.text_colored(LOOK_FOR, self.look_for)
        if self.live_hint and self.interactive and not compact:
            imgui.text_colored(LOOK_FOR, self.live_hint)
        imgui.pop_text_wrap_pos()
        imgui.separator()
        self._training(state, status)
        if self.interactive:
            self._timeline(state, status)
        imgui.separator()
        self._layers(state, projection)
        self._axes(state, status, projection)
        imgui.separator()
        if self.interactive:
            self._view(state, projection)
        else:
            self._colors(state, projection)
        if self.interactive:
            _, state.adaptive_detail = imgui.checkbox("adaptive detail", state.adaptive_detail)
        if state.detail_note:
            imgui.push_text_wrap_pos(self.wrap)
            imgui.text_colored(LOOK_FOR, state.detail_note)
            imgui.pop_text_wrap_pos()
        if self.interactive:
            self._window_tools(state, compact)
        corner, size = imgui.get_window_pos(), imgui.get_window_size()
        imgui.end()
        typing = imgui.get_io().want_text_input  # Escape then ends the typing, as ImGui does
        if self.show_keys and not typing and imgui.is_key_pressed(imgui.Key.escape, repeat=False):
            self.show_keys = False  # as it closes an open list (`controls`)
        if self.interactive and self.show_keys:
            beside = corner.x + size.x + KEYS_GAP  # right of the panel; left of it where that runs off the window
            if beside + self._keys_width > imgui.get_io().display_size.x:
                beside = max(corner.x - self._keys_width - KEYS_GAP, 0.0)
            self._keys_window(imgui.ImVec2(beside, corner.y))
        imgui.pop_style_var()

    def _keys_window(self, corner: imgui.ImVec2) -> None:
        """What each key and mouse gesture does, in a window of its own beside the panel: opened inside
        the panel, it made the panel taller than a 720p window, and the scrollbar moved the scene."""
        imgui.set_next_window_pos(corner, imgui.Cond_.always)
        imgui.set_next_window_bg_alpha(0.82)
        flags = (
            imgui.WindowFlags_.always_auto_resize
            | imgui.WindowFlags_.no_collapse
            | imgui.WindowFlags_.no_focus_on_appearing
        )
        opened, self.show_keys = imgui.begin("keys and mouse", self.show_keys, flags)
        self._keys_width = imgui.get_window_size().x
        if opened and imgui.begin_table("keys", 2):
            for key, action in KEYS:
                imgui.table_next_row()
                imgui.table_next_column()
                imgui.text(key)
                imgui.table_next_column()
                imgui.text_colored(MUTED, action)
            imgui.end_table()
        imgui.end()

    def _window_tools(self, state: ViewState, compact: bool) -> None:
        """Recording, what was saved where, and the keys: for the live window only."""
        _, state.record_overlay = imgui.checkbox("record with this panel", state.record_overlay)
        if state.recording and not state.record_overlay:  # with the panel in the video, the title bar says it
            imgui.same_line()
            imgui.text_colored(ERROR_RED, "recording (R stops)")
        if state.status_line:
            imgui.push_text_wrap_pos(self.wrap)
            imgui.text_colored(MUTED, state.status_line)
            imgui.pop_text_wrap_pos()
        if not compact and imgui.small_button("hide keys and mouse" if self.show_keys else "keys and mouse"):
            self.show_keys = not self.show_keys

    def _training(self, state: ViewState, status: TrainingStatus) -> None:
        if not status.trainable:
            if status.loss is None and status.accuracy is None and self.no_accuracy == "-":
                imgui.text_colored(MUTED, "a fixed map: nothing to train")
            else:  # a model shown as it is (viz3d.picture): how well it does, or why that is not known
                self._scores(status, prefix="not training:  ")
            return
        if self.interactive:
            if imgui.button("Pause" if state.playing else "Play", imgui.ImVec2(70, 0)):
                state.toggle_playing()
            imgui.same_line()
            imgui.begin_disabled(state.playing)
            if imgui.button("Step"):
                state.step_requested = True
            imgui.end_disabled()
            imgui.same_line()
            imgui.text(f"step {status.step:,}")
            self._speed(state, status)
        else:  # a picture or video: where training is, not buttons to drive it
            imgui.text(f"step {status.step:,}" + ("    training" if status.playing else ""))
        # while a stored step is shown, the scores are still the model's now: say so, not "at step 370"
        self._scores(status, prefix="" if state.history_step is None else "now: ")
        if status.error:
            imgui.push_text_wrap_pos(self.wrap)
            imgui.text_colored(ERROR_RED, status.error)
            imgui.pop_text_wrap_pos()
            if status.error_detail and imgui.tree_node("traceback"):
                imgui.text_unformatted(status.error_detail)
                imgui.tree_pop()

    def _scores(self, status: TrainingStatus, prefix: str = "") -> None:
        """Loss and accuracy on one line; where that line would wrap, the accuracy (or the reason there is
        none, which may wrap) starts a line of its own, so that no label is parted from its value."""
        loss = "-" if status.loss is None else f"{status.loss:.4g}"
        accuracy = self.no_accuracy if status.accuracy is None else f"{100 * status.accuracy:.1f}%"
        line = f"{prefix}loss {loss}    accuracy {accuracy}"
        room = self.wrap - imgui.get_cursor_pos().x
        parts = [line] if imgui.calc_text_size(line).x <= room else [f"{prefix}loss {loss}", f"accuracy {accuracy}"]
        imgui.push_text_wrap_pos(self.wrap)
        for part in parts:
            imgui.text(part)
        imgui.pop_text_wrap_pos()

    def _speed(self, state: ViewState, status: TrainingStatus) -> None:
        """Training's pace, 1 to SPEED_MAX steps a second (log scale), the top meaning as fast as it goes: a
        speaker's rehearsal found spirals at 100% four seconds after the window opened, before a word."""
        imgui.set_next_item_width(SPEED_SLIDER_WIDTH)
        # the pace beside the slider, not in it, where the grab would sit on it (as the layer slider's number)
        changed, speed = imgui.slider_float(
            "##speed", min(state.train_speed, SPEED_MAX), 1.0, SPEED_MAX, "", imgui.SliderFlags_.logarithmic
        )
        if changed:
            state.train_speed = math.inf if speed >= SPEED_MAX else max(1.0, speed)
        imgui.same_line()
        reached = self._reached(status, state.train_speed)
        if math.isinf(state.train_speed):
            imgui.text("speed: as fast as it goes" + ("" if reached is None else f" ({reached:,.0f} a second)"))
            return
        short = reached is not None and reached < REACHED_SHARE * state.train_speed  # the machine cannot keep up
        imgui.text(f"speed: {state.train_speed:.0f} steps a second" + (f" ({reached:,.0f} reached)" if short else ""))

    def _reached(self, status: TrainingStatus, speed: float) -> float | None:
        """Steps a second training reached over the last RATE_SECONDS or so at ``speed`` (None while paused, or
        not yet known): a second rehearsal's panel said 60 a second where a million points let it reach 19.
        Measured again from scratch at a new speed, and after a gap (the panel hidden)."""
        now = self.clock()
        mark = self._rate_mark
        if not status.playing or (mark is not None and (mark[2] != speed or now - mark[0] > 2 * RATE_SECONDS)):
            self._rate_mark, self._rate = None, None
        if not status.playing:
            return None
        if self._rate_mark is None:
            self._rate_mark = (now, status.step, speed)
        elif now - self._rate_mark[0] >= RATE_SECONDS:
            self._rate = (status.step - self._rate_mark[1]) / (now - self._rate_mark[0])
            self._rate_mark = (now, status.step, speed)
        return self._rate

    def _timeline(self, state: ViewState, status: TrainingStatus) -> None:
        steps = status.stored_steps
        if len(steps) < 2:
            return
        live = state.history_step is None
        index = len(steps) - 1 if live else _nearest_index(steps, state.history_step)
        imgui.set_next_item_width(LAYER_SLIDER_WIDTH)
        shown = f"step {steps[index]:,}" + ("" if live else " (stored)")  # in the slider: no line comes and goes
        # A float slider, rounded: an integer one's grab is a (1 / stored steps) share of it, and with two
        # stored steps it covered half the slider and the text in it (a speaker's rehearsal)
        changed, position = imgui.slider_float("##timeline", float(index), 0.0, len(steps) - 1.0, shown)
        index = min(max(round(position), 0), len(steps) - 1)
        if changed:
            state.history_step = None if index == len(steps) - 1 else steps[index]
        imgui.same_line()
        imgui.begin_disabled(live)  # as it was when the frame began: ImGui pairs begin and end
        if imgui.button("Live"):
            state.history_step = None
        imgui.end_disabled()

    def _layers(self, state: ViewState, projection: Projection | None) -> None:
        labels = projection.layer_labels if projection is not None else []
        shown = state.shown_index(len(labels)) if labels else 0
        label = labels[shown] if labels else "waiting for the first snapshot"
        imgui.push_text_wrap_pos(self.wrap)  # only a very long module name wraps (see `_steady_width`)
        imgui.text(_layer_line(shown, state.last_layer, label))
        imgui.pop_text_wrap_pos()
        if projection is not None and projection.layer_names[shown] in projection.bad_layers:
            imgui.text_colored(ERROR_RED, "NaN or Inf activations here: this layer is skipped")
        elif projection is not None and projection.layer_names[shown] in projection.collapsed_layers:
            imgui.push_text_wrap_pos(self.wrap)
            imgui.text_colored(ERROR_RED, "every point is one dot here: this layer gives all inputs the same output")
            imgui.pop_text_wrap_pos()
        elif projection is not None and projection.layer_names[shown] in projection.missing_layers:
            imgui.push_text_wrap_pos(self.wrap)
            imgui.text_colored(MUTED, "the grid has gaps: NaN or Inf there, off the data")
            imgui.pop_text_wrap_pos()
        if not self.interactive:  # a picture: where the sweep is, without a grab covering the number
            row = 2 * imgui.get_frame_height() + 2 * imgui.get_style().item_spacing.x + LAYER_SLIDER_WIDTH
            fraction = state.layer / state.last_layer if state.last_layer else 1.0
            # in the slider's blue: ImGui's default bar is the amber of class 0
            imgui.push_style_color(imgui.Col_.plot_histogram, imgui.get_style_color_vec4(imgui.Col_.slider_grab))
            imgui.progress_bar(fraction, imgui.ImVec2(row, 0), f"{state.layer:.2f}")
            imgui.pop_style_color()
            return
        if imgui.arrow_button("##previous", imgui.Dir.left):
            state.step_layer(-1)
        imgui.same_line()
        imgui.set_next_item_width(LAYER_SLIDER_WIDTH)
        # the number beside the slider, not in it: ImGui centres it, where the grab sat on its last digit
        changed, value = imgui.slider_float("##layer", state.layer, 0.0, float(state.last_layer), "")
        if changed:
            state.set_layer(value)
        imgui.same_line()
        if imgui.arrow_button("##next", imgui.Dir.right):
            state.step_layer(+1)
        imgui.same_line()
        imgui.text(f"{state.layer:.2f}")

    def _axes(self, state: ViewState, status: TrainingStatus, projection: Projection | None) -> None:
        """x/y/z component pickers for the layer shown, when it is wide enough to need PCA (in a picture,
        which has no use for pickers, the components shown, as text)."""
        if projection is None:
            return
        shown = state.shown_index(len(projection.layer_names))
        name, width = projection.layer_names[shown], projection.widths[shown]
        if width > 3:
            ratios = projection.explained_variance_ratio[shown]
            axes = list(state.axes.get(name, projection.axes[shown]))
            if not self.interactive:  # a picture: which components are shown, in a line of text
                shown_axes = [
                    f"{axis} PC{pc + 1} {100 * ratios[pc]:.1f}%" for axis, pc in zip("xyz", axes, strict=True)
                ]
                imgui.text("  ".join(shown_axes))
                return
            options = [f"PC{i + 1} ({100 * r:.1f}%)" for i, r in enumerate(ratios) if r == r]  # skip NaN
            for slot, axis_name in enumerate("xyz"):
                imgui.set_next_item_width(AXIS_PICKER_WIDTH)
                changed, picked = imgui.combo(f"{axis_name}##axis{slot}", axes[slot], options)
                if changed:
                    axes = list(with_axis(axes, slot, picked))
                    state.axes[name] = (axes[0], axes[1], axes[2])
                    if partner := stage_partner(name, projection.layer_names):  # W·x and +b share one map
                        state.axes[partner] = state.axes[name]
                if slot < 2:
                    imgui.same_line()
        else:
            imgui.text_colored(MUTED, f"width {width}: drawn in its own coordinates")
        if not self.interactive or not any(w > 3 for w in projection.widths):
            return  # a picture, or no layer through PCA: no basis to freeze
        _, state.freeze_basis = imgui.checkbox("freeze basis", state.freeze_basis)
        if status.frozen_step is not None:
            imgui.same_line()
            imgui.text_colored(MUTED, f"axes of step {status.frozen_step:,}")

    def _view(self, state: ViewState, projection: Projection | None = None) -> None:
        _, state.show_grid = imgui.checkbox("grid", state.show_grid)
        imgui.same_line()
        _, state.show_axes = imgui.checkbox("axes", state.show_axes)
        if projection is not None and projection.arrow_text:
            imgui.same_line()
            _, state.show_arrows = imgui.checkbox("arrows", state.show_arrows)
        if projection is not None and projection.region_probs is not None:
            imgui.same_line()
            _, state.show_regions = imgui.checkbox("regions", state.show_regions)
        imgui.set_next_item_width(160)
        _, state.point_size = imgui.slider_float("point size", state.point_size, 1.0, 16.0, "%.0f")
        self._colors(state, projection)

    def _colors(self, state: ViewState, projection: Projection | None) -> None:
        modes = list(COLOR_LABELS)
        names = [TARGET_LABEL if self.target_range and mode == "class" else COLOR_LABELS[mode] for mode in modes]
        if self.interactive:
            imgui.set_next_item_width(180)
            changed, index = imgui.combo("colour by", modes.index(state.color_by), names)
            if changed:
                state.color_by = modes[index]
        else:  # a picture: what the colours show, as text
            imgui.text(f"colour by {names[modes.index(state.color_by)]}")
        if state.color_by == "neuron" and projection is not None:
            shown = state.shown_index(len(projection.layer_names))
            here = projection.layer_names[shown]
            layer, unit = state.pick_neuron(projection.layer_names)
            index = projection.layer_names.index(layer)
            width = projection.widths[index]
            if not self.interactive:
                imgui.push_text_wrap_pos(self.wrap)  # a long module name wraps, as the layer line's does
                imgui.text(f"unit {min(unit, width - 1)} of layer {index}: {projection.layer_labels[index]}")
                imgui.pop_text_wrap_pos()
            else:
                imgui.set_next_item_width(160)
                changed, unit = imgui.slider_int(f"unit of layer {index}", min(unit, width - 1), 0, width - 1)
                if changed:
                    state.neuron = (layer, unit)
                # One row either way, so that the panel keeps its height through a sweep.
                if layer == here:
                    imgui.align_text_to_frame_padding()  # as tall as the button
                    imgui.text_colored(MUTED, "a unit of the layer shown")
                elif imgui.button(f"use layer {shown}'s units instead"):
                    state.neuron = (here, 0)
        if projection is not None and (note := self.fallback_note(state.color_by, projection)):
            imgui.push_text_wrap_pos(self.wrap)
            imgui.text_colored(MUTED, note)
            imgui.pop_text_wrap_pos()
        if projection is not None:
            mode = color_source(
                state.color_by,
                projection.predictions,
                projection.neuron_values,
                self.targets,
                projection.predicted_values,
                self.labelled,
            )[0]
            self._legend(mode, projection)
            tinted = projection.region_probs is not None and state.show_regions
            one_colour = mode == "class" and not self.labelled
            if tinted and (mode in ("correct", "neuron") or one_colour) and self.class_names:  # not the tint's colours
                imgui.text_colored(MUTED, "tint: the class the model predicts there")
                self._class_swatches(key="tint")

    def fallback_note(self, mode: str, projection: Projection) -> str:
        """Why the points are not in ``mode``'s colours, where the model gives no class predictions ("" when
        they are). Without classes (a regression model, one class, no labels) the legend is empty too."""
        if not self.labelled and mode in ("class", "correct"):
            hint = " (colour by prediction reads the output as class logits)" if self.class_names else ""
            return f"no labels: one colour for all{hint}"
        several_values = "regression" in self.no_accuracy and not self.target_range  # no one value to colour by
        if mode == "class" and several_values and not self.class_names:
            return "no classes here: one colour for all (colour by one neuron shows a unit, of the output too)"
        if mode not in ("prediction", "correct") or projection.predictions is not None:
            return ""
        if mode == "prediction" and self.target_range and projection.predicted_values is not None:
            return ""  # a regression's predicted values, on the targets' scale
        if self.target_range:
            return "no classes here: showing the target values"
        if not self.class_names:
            return "no classes here: one colour for all"
        why = self.no_accuracy.removeprefix("n/a ") if self.no_accuracy.startswith("n/a (") else ""
        return f"no class predictions {why or 'in this model'}: showing classes"

    def _legend(self, mode: str, projection: Projection) -> None:
        """What the point colours mean, in the mode that applies (after any fall-back to classes)."""
        if mode == "neuron" and projection.neuron_range is not None:
            value_bar(*projection.neuron_range)
        elif mode in ("class", "prediction") and self.target_range:  # target or predicted values: one scale
            value_bar(*self.target_range)
        elif mode == "class" and not self.labelled:
            return  # one colour, which the note names
        elif mode == "correct":
            wrong = self.mistakes(projection.predictions)
            if wrong is None:
                names = ("correct", "wrong")
            else:  # counted: an all-grey cloud then reads as no mistakes, not as a broken colouring
                names = (f"correct ({len(projection.predictions) - wrong:,})", f"wrong ({wrong:,})")
            swatches(list(zip(names, (CORRECT, WRONG), strict=True)), per_row=2, key="correct")
        elif self.class_names:
            self._class_swatches(key="points", only=self.classes_present if mode == "class" else None)

    def mistakes(self, predictions: np.ndarray | None) -> int | None:
        """How many drawn points ``predictions`` gets wrong (None without labels to count against); counted
        once per projection, not per frame."""
        labels = self.labels_of_points
        if predictions is None or labels is None or len(labels) != len(predictions):
            return None
        if self._mistakes is None or self._mistakes[0] is not predictions:
            self._mistakes = (predictions, int(np.count_nonzero(predictions != labels)))
        return self._mistakes[1]

    def _class_swatches(self, key: str, only: set[int] | None = None) -> None:
        """A swatch per class colour, named (``only`` these classes, where given); ``key`` keeps ImGui's ids
        apart where two lists are shown."""
        names = self.class_names[: len(palette())]  # past the palette the colours repeat
        entries = list(zip(names, class_colors(np.arange(len(names))), strict=True))
        entries = [entry for index, entry in enumerate(entries) if only is None or index in only] or entries
        per_row = 5 if max(len(name) for name, _ in entries) <= 3 else 2
        swatches(entries, per_row=per_row, key=key)
        if len(self.class_names) > len(names):
            imgui.text_colored(MUTED, f"{len(self.class_names)} classes: colours repeat every {len(names)}")

    def labels(self, state: ViewState, projection: Projection | None) -> None:
        """Write each tangent arrow's vector beside its tip, in the layer's own coordinates."""
        if projection is None or not projection.arrow_text or not state.show_arrows:
            return
        shown = state.shown_index(len(projection.layer_names))
        texts = projection.arrow_text[shown]
        count = len(texts)
        lower, upper, eased = state.morph(len(projection.layer_names))  # as the shaders morph
        rows = projection.positions[:, -2 * count :]
        ends = (1 - eased) * rows[lower] + eased * rows[upper]  # each arrow's base, then its tip
        size = imgui.get_io().display_size  # window coordinates: the same picture as the framebuffer
        pixels = [(float(x), float(y)) for x, y in state.camera.to_pixels(ends, int(size.x), int(size.y))]
        opacity = layer_label_opacity(eased)  # a label is its layer's: it fades out as the morph leaves the layer
        draw_labels(pixels[1::2], texts, ARROW_TEXT, bases=pixels[0::2], opacity=opacity)  # beyond the tips


def _layer_line(shown: int, last: int, label: str) -> str:
    return f"layer {shown} (of 0-{last}): {label}"


def _steady_width(projection: Projection | None, pickers: bool) -> float:
    """The panel's least width: that of its widest row on any layer, so that it keeps one width while the
    layers are swept and the scene framed beside it stays put. (It widened whenever a layer through PCA
    brought the principal-component pickers' row, or a layer had a long name.) Layer names longer than
    `MAX_LAYER_LINE` wrap instead."""
    style = imgui.get_style()
    widest = WRAP - style.window_padding.x  # the wrapped text
    if projection is not None:
        last = len(projection.layer_labels) - 1
        lines = [imgui.calc_text_size(_layer_line(i, last, label)).x for i, label in enumerate(projection.layer_labels)]
        widest = max(widest, min(max(lines, default=0.0), MAX_LAYER_LINE))
        if pickers and any(width > 3 for width in projection.widths):
            picker = AXIS_PICKER_WIDTH + style.item_inner_spacing.x + imgui.calc_text_size("x").x
            widest = max(widest, 3 * picker + 2 * style.item_spacing.x)
    return widest + 2 * style.window_padding.x


def _panel_room(beside_now: bool = True) -> tuple[float, float]:
    """The room the scene leaves to the panel, docked top left and open: its right edge as a fraction
    of the width (the scene framed beside it) or its bottom edge as a fraction of the height (framed
    below it, as in a portrait or square picture), whichever lets the scene be drawn larger (it was the
    smaller fraction, which squeezed a square window's scene into a tall strip). A place the panel
    reaches past `MAX_PANEL_FRACTION` of is no place for the scene. The layout of the last frame
    (``beside_now``) stays unless the other is `LAYOUT_MARGIN` larger, so a panel that grows a line does
    not flip it back and forth. A panel dragged elsewhere, or collapsed, leaves none: it is drawn over
    the scene."""
    size, corner, panel = imgui.get_io().display_size, imgui.get_window_pos(), imgui.get_window_size()
    if imgui.is_window_collapsed() or size.x <= 0 or size.y <= 0 or corner.x > size.x / 3:
        return 0.0, 0.0
    right = max((corner.x + panel.x) / size.x, 0.0)
    bottom = max((corner.y + panel.y) / size.y, 0.0)
    # the scene's size in each layout, for a scene SCENE_ASPECT times as wide as it is tall
    beside = min(size.x * (1.0 - right) / SCENE_ASPECT, size.y) if right <= MAX_PANEL_FRACTION else 0.0
    below = min(size.x / SCENE_ASPECT, size.y * (1.0 - bottom)) if bottom <= MAX_PANEL_FRACTION else 0.0
    if not beside and not below:  # neither leaves the scene enough: the smaller overlap, as far as it may
        return (0.0, MAX_PANEL_FRACTION) if bottom < right else (MAX_PANEL_FRACTION, 0.0)
    go_below = below > beside * LAYOUT_MARGIN if beside_now else below * LAYOUT_MARGIN >= beside
    return (0.0, bottom) if go_below else (right, 0.0)


def _nearest_index(steps: tuple[int, ...], step: int | None) -> int:
    return min(range(len(steps)), key=lambda i: abs(steps[i] - (step or 0)))


def with_axis(axes: Sequence[int], slot: int, picked: int) -> tuple[int, int, int]:
    """``axes`` with component ``picked`` on axis ``slot``; where another axis shows it already, the two
    swap, so that no component is drawn twice (a flat picture, which `project` refuses)."""
    changed = list(axes)
    if picked in changed:
        changed[changed.index(picked)] = changed[slot]
    changed[slot] = picked
    return changed[0], changed[1], changed[2]
