"""Text labels beside points on screen (the tangent arrows' vectors): placed so they never overlap.

`place_labels` is plain geometry, so it can be tested without a window: each label tries the four
corners around its point and takes the first that overlaps no label placed before it and stays on
screen. Corners are tried in a fixed order. For a point at the tip of an arrow whose base is given,
the label first tries the arrow's own line, centred on it just beyond the tip, as if the arrow went
on into its text (with two arrows near each other, a corner could sit nearer the other one's tip);
then the corners pointing on along the arrow.
`draw_labels` draws them on a dark backing, readable over the grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from imgui_bundle import imgui

GAP = 8.0  # pixels between a point and its label
PAD = 3.0  # backing around the text
BACKING = 0xB4_18_13_11  # IM_COL32(17, 19, 24, 180): the background colour, mostly opaque (ABGR)

Box = tuple[float, float, float, float]  # left, top, right, bottom


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    screen: tuple[float, float],
    bases: Sequence[tuple[float, float]] | None = None,
) -> list[tuple[float, float]]:
    """Top-left corners for labels of ``sizes`` (w, h) beside ``anchors`` (x, y) on a ``screen`` (w, h).

    ``bases`` (x, y), one per anchor, are where the arrows ending at the anchors start: each label then
    prefers the corners in the arrow's direction, away from its shaft."""
    placed: list[Box] = []
    corners = []
    for index, ((x, y), (width, height)) in enumerate(zip(anchors, sizes, strict=True)):
        options = [  # (left, top), and the corner's direction from the anchor
            ((x + GAP, y - GAP - height), (1, -1)),  # above right, where a reader looks first
            ((x + GAP, y + GAP), (1, 1)),  # below right
            ((x - GAP - width, y - GAP - height), (-1, -1)),  # above left
            ((x - GAP - width, y + GAP), (-1, 1)),  # below left
        ]
        if bases is not None:  # along the arrow first; a stable sort keeps the fixed order between ties
            dx, dy = x - bases[index][0], y - bases[index][1]
            options.sort(key=lambda option: -(option[1][0] * dx + option[1][1] * dy))
            length = math.hypot(dx, dy)
            if length > 1.0:  # on the arrow's line: the box's nearest point GAP beyond the tip
                ux, uy = dx / length, dy / length
                reach = GAP + 0.5 * width * abs(ux) + 0.5 * height * abs(uy)
                centre = (x + ux * reach, y + uy * reach)
                options.insert(0, ((centre[0] - 0.5 * width, centre[1] - 0.5 * height), (ux, uy)))
        boxes = [(left, top, left + width, top + height) for (left, top), _ in options]
        free = [box for box in boxes if not any(_overlap(box, other) for other in placed)]
        inside = [box for box in free if _inside(box, screen)]
        box = (inside or free or boxes)[0]
        placed.append(box)
        corners.append((box[0], box[1]))
    return corners


def draw_labels(
    anchors: Sequence[tuple[float, float]],
    texts: Sequence[str],
    color: int,
    bases: Sequence[tuple[float, float]] | None = None,
    opacity: float = 1.0,
) -> None:
    """Draw ``texts`` beside ``anchors`` (window pixels) on ImGui's background layer, ``opacity`` times as
    opaque as their colours say (0 draws nothing); ``bases``: see `place_labels`."""
    if opacity <= 0.0:
        return
    ends = anchors if bases is None else bases  # no arrow: a base on its tip leaves the fixed order
    shown = [
        (anchor, base, text)
        for anchor, base, text in zip(anchors, ends, texts, strict=True)
        if text and all(math.isfinite(v) for v in (*anchor, *base))  # a NaN tip (a layer gone bad) has no place
    ]
    if not shown:
        return
    sizes = [(size.x + 2 * PAD, size.y + 2 * PAD) for size in (imgui.calc_text_size(text) for *_, text in shown)]
    screen = imgui.get_io().display_size
    corners = place_labels([a for a, _, _ in shown], sizes, (screen.x, screen.y), [b for _, b, _ in shown])
    draw = imgui.get_background_draw_list()
    scale = imgui.get_io().display_framebuffer_scale.x
    for (left, top), (width, height), (*_, text) in zip(corners, sizes, shown, strict=True):
        left, top = _on_pixels(left + PAD, scale) - PAD, _on_pixels(top + PAD, scale) - PAD
        corner = imgui.ImVec2(left + width, top + height)
        draw.add_rect_filled(imgui.ImVec2(left, top), corner, faded(BACKING, opacity), PAD)
        draw.add_text(imgui.ImVec2(left + PAD, top + PAD), faded(color, opacity), text)


def faded(color: int, opacity: float) -> int:
    """An ImGui colour (ABGR) with its alpha scaled by ``opacity`` (0..1)."""
    alpha = round(((color >> 24) & 0xFF) * min(max(opacity, 0.0), 1.0))
    return (color & 0x00FF_FFFF) | (alpha << 24)


def layer_label_opacity(eased: float) -> float:
    """How opaque a layer's labels are where a morph is ``eased`` (0..1) of the way to the next layer: fully at
    rest on a layer, not at all in the middle third, where the arrow drawn is neither layer's (a trial's
    arrow at layer 1.5, clearly drawn, was labelled with layer 2's "|v| = 0.0")."""
    return max(0.0, 1.0 - 3.0 * min(eased, 1.0 - eased))


def _on_pixels(position: float, scale: float) -> float:
    """A whole window pixel near ``position`` that is also a whole framebuffer pixel at ``scale`` (or the
    nearest to one): ImGui starts text on whole window pixels, and text drawn between framebuffer
    pixels is blurred by the font atlas's filtering (at 0.75 only every 4th window pixel will do)."""
    start = math.floor(position)
    return float(
        min(range(start - 2, start + 3), key=lambda x: (abs(x * scale - round(x * scale)) > 1e-6, abs(x - position)))
    )


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(box: Box, screen: tuple[float, float]) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= screen[0] and box[3] <= screen[1]
