"""How large an offscreen picture draws the things that are sized in pixels: the panel, points, lines, arrows.

A window has a HiDPI scale; a rendered picture or video has none, so it takes one from its short side:
laid out as a 720-pixel-tall window and drawn scaled, a 1080p video looks like the 720p one, sharper,
and a 720x1280 portrait clip draws its text as large as a 1280x720 one (scaled by its width, as it
was, its text came out about 9 pixels tall). Such a clip frames its scene below the panel.
"""

from __future__ import annotations

REFERENCE_SIDE = 720  # a picture whose short side is this long draws at 1:1
SMALLEST, LARGEST = 0.75, 3.0  # 12-pixel text at the small end


def picture_scale(size: tuple[int, int]) -> float:
    """Pixels drawn per "window pixel" in an offscreen picture of ``size`` (width, height)."""
    return min(max(min(size) / REFERENCE_SIDE, SMALLEST), LARGEST)
