"""How large an offscreen picture draws the things that are sized in pixels: the panel, points, arrows.

A window has a HiDPI scale; a rendered picture or video has none, so it takes one from its height:
laid out as a 720-pixel-tall window and drawn scaled, a 1080p video looks like the 720p one, sharper.
A picture narrower than 4:3 (a portrait clip) scales by its width instead, so the panel keeps to
about 40% of it rather than covering the scene.
"""

from __future__ import annotations

REFERENCE_HEIGHT = 720  # a picture this tall draws at 1:1 ...
REFERENCE_WIDTH = 960  # ... unless it is narrower than 4:3 at that scale
SMALLEST, LARGEST = 0.75, 3.0  # 12-pixel text at the small end


def picture_scale(size: tuple[int, int]) -> float:
    """Pixels drawn per "window pixel" in an offscreen picture of ``size`` (width, height)."""
    return min(max(min(size[1] / REFERENCE_HEIGHT, size[0] / REFERENCE_WIDTH), SMALLEST), LARGEST)
