"""Colour legends drawn with ImGui: named colour squares, and the viridis bar of a value colouring with
its two ends written beside it."""

from __future__ import annotations

import math

import numpy as np
from imgui_bundle import imgui

from viz3d.colors import viridis

LEGEND_BAR_STOPS = 16  # colours along a value legend's bar (ImGui blends between them)


def swatches(entries: list[tuple[str, np.ndarray | tuple]], per_row: int, key: str) -> None:
    """Colour squares with their names, ``per_row`` to a line; ``key`` makes their ImGui ids unique."""
    for index, (name, color) in enumerate(entries):
        if index % per_row:
            imgui.same_line()
        red, green, blue = (float(c) for c in color[:3])
        flags = imgui.ColorEditFlags_.no_tooltip | imgui.ColorEditFlags_.no_drag_drop
        imgui.color_button(f"##{key}{index}", imgui.ImVec4(red, green, blue, 1.0), flags, imgui.ImVec2(14, 14))
        imgui.same_line()
        imgui.text(name)


def value_bar(lo: float, hi: float) -> None:
    """The viridis scale of a value colouring, between the values at its two ends (the 2nd and 98th
    percentiles, see `value_range`); pointed ends, as in matplotlib's ``extend="both"``, say that values
    beyond them take the end colours. One swatch when every point has the same value (they all take the
    scale's middle colour)."""
    if not hi > lo:
        swatches([(f"all {lo:.3g}", viridis(3)[1])], per_row=1, key="value")
        return
    low_end, high_end = scale_ends(lo, hi)
    imgui.text(low_end)
    imgui.same_line()
    color_bar(viridis(LEGEND_BAR_STOPS), imgui.ImVec2(150, imgui.get_text_line_height()))
    if imgui.is_item_hovered():
        imgui.set_tooltip("2nd to 98th percentile; values beyond take the end colours")
    imgui.same_line()
    imgui.text(high_end)


def scale_ends(lo: float, hi: float) -> tuple[str, str]:
    """A scale's two ends with the same decimals, three digits for the larger: "-1.20" and "1.26", not
    "-1.2" and "1.26"; very large or small ends in scientific notation."""
    largest = max(abs(lo), abs(hi))
    if largest == 0 or not 1e-3 <= largest < 1e5:
        return f"{lo:.3g}", f"{hi:.3g}"
    decimals = max(0, 2 - math.floor(math.log10(largest)))
    return f"{lo:.{decimals}f}", f"{hi:.{decimals}f}"


def color_bar(colors: np.ndarray, size: imgui.ImVec2) -> None:
    """A horizontal bar through ``colors``, blended between neighbours, with a pointed end in each end colour
    (values beyond the scale are clamped to it); the whole takes ``size`` in the layout."""
    corner = imgui.get_cursor_screen_pos()
    draw = imgui.get_window_draw_list()
    point = 0.5 * size.y  # the width of each pointed end
    top, bottom, middle = corner.y, corner.y + size.y, corner.y + 0.5 * size.y
    left, right = corner.x + point, corner.x + size.x - point
    step = (right - left) / (len(colors) - 1)
    packed = [imgui.get_color_u32(imgui.ImVec4(*(float(c) for c in color[:3]), 1.0)) for color in colors]
    draw.add_triangle_filled(
        imgui.ImVec2(corner.x, middle), imgui.ImVec2(left + 0.5, top), imgui.ImVec2(left + 0.5, bottom), packed[0]
    )
    for index in range(len(colors) - 1):
        start = left + index * step
        top_left, bottom_right = imgui.ImVec2(start, top), imgui.ImVec2(start + step + 0.5, bottom)
        low, high = packed[index], packed[index + 1]
        draw.add_rect_filled_multi_color(top_left, bottom_right, low, high, high, low)
    draw.add_triangle_filled(
        imgui.ImVec2(right, top), imgui.ImVec2(corner.x + size.x, middle), imgui.ImVec2(right, bottom), packed[-1]
    )
    imgui.dummy(size)
