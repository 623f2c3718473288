"""Colours: the class palette and the scene's fixed tints, as RGBA float arrays.

The class palette is Okabe & Ito's colour-blind-safe set (Color Universal Design), ordered so
the first two classes (the usual binary demos) are orange and sky blue, readable on dark and light.
"""

from __future__ import annotations

import numpy as np
from vispy.color import Color

CLASS_PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")
BACKGROUND = Color("#111318").rgba
GRID_HORIZONTAL = Color("#9fb4d8", alpha=0.42).rgba
GRID_VERTICAL = Color("#d8b49f", alpha=0.42).rgba
ARROW = tuple(Color("#ff5c8a").rgba)


def class_colors(labels: np.ndarray) -> np.ndarray:
    """(N, 4) float32 RGBA, one palette colour per integer class (cycling past eight classes)."""
    palette = np.array([Color(hex_code).rgba for hex_code in CLASS_PALETTE], np.float32)
    return palette[np.asarray(labels) % len(palette)]
