"""Colours: the class palette, the colour modes for points, and the scene's fixed tints.

The class palette starts with Okabe & Ito's colour-blind-safe set (Color Universal Design), ordered so
the first two classes (the usual binary demos) are orange and sky blue, readable on dark and light.
Ten classes (digits) need more than it holds, and two trials could not tell its blue from the sky
blue, nor its vermilion from the orange, as small points on the dark background: classes 4, 5 and 9
are a violet, a raspberry red and a lime instead, each of a hue no other class has.
Continuous values (one neuron's activation, a regression's targets) use vispy's viridis, also
colour-blind safe.
"""

from __future__ import annotations

import numpy as np
from vispy.color import Color, get_colormap

CLASS_PALETTE = (
    "#E69F00", "#56B4E9", "#009E73", "#F0E442",  # Okabe-Ito: orange, sky blue, bluish green, yellow
    "#A77CF2", "#E8475F",  # violet and raspberry, for Okabe-Ito's blue and vermilion (see above)
    "#CC79A7", "#999999",  # Okabe-Ito: reddish purple, grey
    "#FFFFFF", "#9BD33F",  # white and lime: ten for the digits
)  # fmt: skip
BACKGROUND = Color("#111318").rgba
GRID_HORIZONTAL = Color("#9fb4d8", alpha=0.42).rgba
GRID_VERTICAL = Color("#d8b49f", alpha=0.42).rgba
ARROW = tuple(Color("#ff5c8a").rgba)
CORRECT = Color("#7d8799").rgba  # a quiet slate, so that the mistakes stand out ...
WRONG = Color("#ff4d1a").rgba  # ... in a bright vermilion; neither reads as a class colour
REGION_ALPHA = 0.22
VIRIDIS_LOW = 0.3  # where the neuron scale starts along viridis (#355f8d: #414487 at 0.2 hid on the tint)


def palette() -> np.ndarray:
    return np.array([Color(hex_code).rgba for hex_code in CLASS_PALETTE], np.float32)


def class_colors(labels: np.ndarray) -> np.ndarray:
    """(N, 4) float32 RGBA, one palette colour per integer class (cycling past ten classes)."""
    colors = palette()
    return colors[np.asarray(labels) % len(colors)]


def legend_names(labels: np.ndarray, names: tuple[str, ...] = (), n_classes: int = 0) -> list[str]:
    """The legend's name for each class colour, in class order: the dataset's own names where it has one
    for every class, else the class numbers; none when the labels are not classes, or there is one class.
    ``n_classes``: the model's, which counts where there are no labels (all 0) to count from."""
    labels = np.asarray(labels)
    if not len(labels) or labels.dtype.kind not in "iu" or labels.min() < 0:
        return []
    count = max(int(labels.max()) + 1, n_classes)
    if count < 2:
        return []
    if len(names) >= count:
        return list(names[:count])
    return [str(k) for k in range(count)] if count > 2 else ["class 0", "class 1"]


def value_range(values: np.ndarray) -> tuple[float, float]:
    """The values that map to the two ends of the colour scale: the 2nd and 98th percentiles."""
    finite = values[np.isfinite(values)] if len(values) else values
    if not len(finite):
        return 0.0, 1.0
    lo, hi = np.percentile(finite, [2, 98])
    return float(lo), float(hi)


def value_colors(values: np.ndarray, scale: tuple[float, float] | None = None) -> np.ndarray:
    """(N, 4) viridis colours for values, scaled over ``scale`` or their own `value_range` (the legend
    shows the same)."""
    lo, hi = scale if scale is not None else value_range(values)
    scaled = np.clip((values - lo) / (hi - lo), 0, 1) if hi > lo else np.full(len(values), 0.5)
    return _viridis_on_dark(np.nan_to_num(scaled, nan=0.0))


def viridis(stops: int) -> np.ndarray:
    """(stops, 4) colours evenly along the value scale, low to high: what the legend draws."""
    return _viridis_on_dark(np.linspace(0.0, 1.0, stops))


def _viridis_on_dark(scaled: np.ndarray) -> np.ndarray:
    """Viridis from `VIRIDIS_LOW` up: its darkest purples vanish on our near-black background."""
    return get_colormap("viridis").map(VIRIDIS_LOW + (1.0 - VIRIDIS_LOW) * scaled).astype(np.float32)


def color_source(
    mode: str,
    predictions: np.ndarray | None = None,
    neuron_values: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    predicted_values: np.ndarray | None = None,
    labelled: bool = True,
) -> tuple[str, np.ndarray | None]:
    """The mode that actually applies and the data it reads besides the labels: ("class", None) when the
    mode's data is missing, or ("class", targets) for a regression, whose "class" is its target value;
    a regression's "prediction" is its predicted values; without labels ("labelled" False) nothing is
    correct or wrong, so "correct" falls back too. Equal sources give equal colours, so a renderer can
    skip re-uploading them."""
    if mode == "correct" and not labelled:
        return "class", targets
    if mode == "prediction" and predictions is None and predicted_values is not None and targets is not None:
        return mode, predicted_values
    data = {"prediction": predictions, "correct": predictions, "neuron": neuron_values}.get(mode)
    return (mode, data) if data is not None else ("class", targets)


def point_colors(
    mode: str,
    labels: np.ndarray,
    predictions: np.ndarray | None = None,
    neuron_values: np.ndarray | None = None,
    targets: np.ndarray | None = None,
    predicted_values: np.ndarray | None = None,
    labelled: bool = True,
) -> np.ndarray:
    """Colours of the data points for a colour mode; falls back to classes (or target values, where the
    labels are a regression's) when the mode's data is missing. A regression's predicted values share
    the targets' scale, so that a point in the colour of its target is predicted right."""
    mode, data = color_source(mode, predictions, neuron_values, targets, predicted_values, labelled)
    if mode == "prediction" and data is predicted_values and data is not None:
        return value_colors(data, value_range(targets))
    if mode == "prediction":
        return class_colors(data)
    if mode == "correct":
        return np.where((data == labels)[:, None], np.float32(CORRECT), np.float32(WRONG)).astype(np.float32)
    if mode == "neuron" or data is not None:
        return value_colors(data)
    if not labelled:  # one colour, and not class 0's: a tint legend would read it as "predicted 0"
        return np.tile(np.float32(CORRECT), (len(labels), 1))
    return class_colors(labels)


def region_colors(probabilities: np.ndarray) -> np.ndarray:
    """(R, 4) translucent tints: each class colour weighted by its predicted probability; none (alpha 0)
    where the model gives no probabilities (NaN: a cell where it is undefined)."""
    colors = palette()
    n_classes = probabilities.shape[1]
    classes = colors[np.arange(n_classes) % len(colors)]
    defined = np.isfinite(probabilities).all(axis=1)
    rgb = np.where(defined[:, None], probabilities, 0.0) @ classes[:, :3]
    alpha = np.where(defined, REGION_ALPHA, 0.0)[:, None]
    return np.hstack([rgb, alpha]).astype(np.float32)
