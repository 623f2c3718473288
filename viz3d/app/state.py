"""`ViewState`: everything the user can change about the view. The UI edits it; the renderer reads it.

No GL lives here. Layer moves requested by keys are animated: `go_to_layer` sets a target and
`advance` moves the shown layer towards it at ``morph_speed`` layers per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from viz3d.errors import Viz3dError
from viz3d.presets import ViewSpec
from viz3d.render.camera import OrbitCamera

FRAMING_SECONDS = 0.12  # time constant of the scene sliding beside, or back from, the panel
GRID_REACH = 2.0  # the grid counts in a view's fit within this many times the data's reach of its middle
FIT_ROWS = 20_000  # rows per layer sampled when fitting the view to a layer (enough for the outline)
FIT_SECONDS = 0.5  # time constant of the camera backing off (or coming back) to keep a layer in view
RECENTER_SLACK = 0.25  # the middle of a training layer may wander this share of its half-size unfollowed


@dataclass
class ViewState:
    n_layers: int = 1
    layer: float = 0.0  # the layer shown; fractional values are a morph in progress
    layer_target: float | None = None  # where an animated morph is heading, if one is
    morph_speed: float = 2.5  # layers per second for animated moves
    playing: bool = True
    step_requested: bool = False  # one training step asked for while paused; the loop clears it
    train_speed: float = math.inf  # training steps a second the live view asks for; inf: as fast as it goes
    show_overlay: bool = True
    panel_right: float = 0.0  # where the overlay panel ends, as a fraction of the width (0: none on the left)
    panel_bottom: float = 0.0  # ... or of the height, where it sits above the scene (a portrait picture)
    show_grid: bool = True
    show_axes: bool = True
    show_arrows: bool = True
    show_regions: bool = True
    color_by: str = "class"  # class, prediction, correct, neuron
    neuron: tuple[str, int] | None = None  # color_by "neuron": (layer name, unit); see `pick_neuron`
    point_size: float = 5.0  # in window pixels; multiplied by the HiDPI scale when drawn
    camera: OrbitCamera = field(default_factory=OrbitCamera)
    status_line: str = ""  # a transient message for the overlay (where a file went, say)
    axes: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # PCA components per layer
    freeze_basis: bool = False  # hold the axes of the step shown when it was turned on
    history_step: int | None = None  # a stored training step to show; None follows the live model
    recording: bool = False  # R: record what is on screen
    record_overlay: bool = True  # whether the overlay goes into the recording
    screenshot_requested: bool = False  # S: save the scene (no overlay) at full resolution
    lod_stride: int = 1  # adaptive level of detail: draw every n-th point while frames are too slow
    lod_grid_step: int = 1  # ... and every n-th grid line and sample (app.detail.grid_step)
    adaptive_detail: bool = True  # let the live loop raise lod_stride when frames get slow
    detail_note: str = ""  # what the level of detail is doing, for the overlay
    fit_center: bool = True  # the view looks at the middle of the layer shown; a pan hands the centre to the
    # user, a reset (double-click) hands it back
    ground_center: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))  # the ground lies below
    # this point, the middle of the layer the view frames (the axes stay at the origin)
    fit_distance: bool = True  # the live view backs off so the layer shown fits; a zoom hands the distance to
    # the user, a reset (double-click) hands it back
    data_rows: int = 0  # how many of a layer's rows are data (the rest: grid, arrows), for the framing; 0: all

    @classmethod
    def from_spec(cls, spec: ViewSpec, n_layers: int = 1) -> ViewState:
        camera = OrbitCamera(azimuth=spec.azimuth, elevation=spec.elevation, distance=spec.distance)
        return cls(
            n_layers=n_layers,
            point_size=spec.point_size,
            show_grid=spec.show_grid,
            show_axes=spec.show_axes,
            show_regions=spec.show_regions,
            color_by=spec.color_by,
            neuron=(spec.neuron_layer, spec.neuron_index),  # no layer named: the one shown, see pick_neuron
            camera=camera,
        )

    @property
    def last_layer(self) -> int:
        return max(self.n_layers - 1, 0)

    def pick_neuron(self, layer_names: list[str], widths: list[int] | None = None) -> tuple[str, int] | None:
        """The neuron to colour points by: None unless colouring by one; else the chosen (layer, unit).

        With no layer chosen it is a unit of the layer shown now, and it stays with that layer while the
        view moves on, so a sweep through the layers keeps one colouring. A layer the model lacks (a typo
        in a preset's ``neuron_layer``) is an error, not a silent swap.
        """
        if self.color_by != "neuron" or not layer_names:
            return None
        layer, unit = self.neuron or ("", 0)
        if layer and layer not in layer_names:
            raise Viz3dError(f"neuron_layer: unknown layer '{layer}': use one of {', '.join(layer_names)}")
        if not layer:
            layer = layer_names[self.shown_index(len(layer_names))]
        position = layer_names.index(layer)
        if widths and not 0 <= unit < (width := widths[position]):
            # By position and name: an nn.Sequential's layer named "8" sits at position 9.
            raise Viz3dError(f"neuron_index: layer {position} ('{layer}') has units 0 to {width - 1}, not {unit}")
        self.neuron = (layer, unit)
        return self.neuron

    def distance_to_show(self, positions: np.ndarray, aspect: float) -> float:
        """The camera distance, no nearer than now, at which what is drawn (mid-morph, between two layers)
        fits the picture: points, grid and all."""
        return max(self.camera.distance, self.camera.distance_to_fit(self.drawn_rows(positions), aspect))

    def center_to_show(self, positions: np.ndarray) -> np.ndarray:
        """Where the camera looks to show what is drawn (mid-morph, between two layers): `center_of` it."""
        return center_of(self.drawn_rows(positions))

    def drawn_rows(self, positions: np.ndarray) -> np.ndarray:
        """An even sample of the finite rows as drawn now: mid-morph, between the two layers, eased as the
        shaders ease them (a video framed on both ends at once had backed off in one frame as a morph began)."""
        lower, upper, eased = self.morph(len(positions))
        if eased <= 0.0 or lower == upper:
            return fit_rows(positions[lower : lower + 1], self.data_rows)
        step = max(1, positions.shape[1] // FIT_ROWS)  # sampled first: no mix of every row
        below, above = positions[lower : lower + 1, ::step], positions[upper : upper + 1, ::step]
        return _near_the_data((1.0 - eased) * below + eased * above, -(-self.data_rows // step))

    def layers_shown(self, n_layers: int) -> slice:
        """The layers on screen: the one shown, or the two a morph is between."""
        lower, upper, eased = self.morph(n_layers)
        return slice(lower, (upper if eased > 0 else lower) + 1)

    def shown_index(self, n_layers: int) -> int:
        """The layer the panel names: the nearest whole one to where the morph is."""
        return min(max(int(round(self.layer)), 0), n_layers - 1)

    def morph(self, n_layers: int) -> tuple[int, int, float]:
        """(lower, upper, eased weight of upper): where the shaders are between two layers' positions."""
        layer = min(max(self.layer, 0.0), float(n_layers - 1))
        lower = int(layer)
        return lower, min(lower + 1, n_layers - 1), smoothstep(layer - lower)

    def toggle_playing(self) -> None:
        """Play or pause (Space, the Play button). Playing shows the live picture again: a speaker who pressed
        Play on a stored step saw the counter climb under a picture that did not move."""
        self.playing = not self.playing
        if self.playing:
            self.history_step = None

    def set_layer(self, layer: float) -> None:
        """Show ``layer`` now (a slider drag): cancels any animated move."""
        self.layer = min(max(float(layer), 0.0), float(self.last_layer))
        self.layer_target = None

    def go_to_layer(self, target: float) -> None:
        """Start an animated morph towards ``target`` (clamped to the existing layers)."""
        self.layer_target = min(max(float(target), 0.0), float(self.last_layer))

    def step_layer(self, direction: int) -> None:
        """Left/Right: morph to the previous or next whole layer from where the view is heading."""
        start = self.layer_target if self.layer_target is not None else self.layer
        if abs(start - round(start)) < 1e-6:
            start = round(start)
        self.go_to_layer(math.floor(start) + 1 if direction > 0 else math.ceil(start) - 1)

    @property
    def panel_in_picture(self) -> bool:
        """Whether the scene leaves room for the panel: not while it is hidden, or while a recording
        leaves it out (the video is then centred)."""
        return self.show_overlay and (self.record_overlay or not self.recording)

    @property
    def frame_left_target(self) -> float:
        """How much of the image's width, on the left, the scene should leave to the overlay panel."""
        return self.panel_right if self.panel_in_picture else 0.0

    @property
    def frame_top_target(self) -> float:
        """How much of the image's height, at the top, the scene should leave to the panel above it."""
        return self.panel_bottom if self.panel_in_picture else 0.0

    @property
    def panel_alpha(self) -> float:
        """How opaque to draw the panel: it fades in as the scene slides over to make room for it (a
        tour or H showing it), rather than appearing over the data; otherwise fully."""
        if self.frame_left_target > 0.0:
            return min(max(self.camera.frame_left / self.frame_left_target, 0.0), 1.0)
        if self.frame_top_target > 0.0:
            return min(max(self.camera.frame_top / self.frame_top_target, 0.0), 1.0)
        return 1.0

    @property
    def framed(self) -> bool:
        """Whether the scene has reached the room the panel leaves it."""
        camera = self.camera
        return camera.frame_left == self.frame_left_target and camera.frame_top == self.frame_top_target

    def settle_frame(self) -> None:
        """Frame the scene beside (or below) the panel at once (a still, or a recording's first frame)."""
        self.camera.frame_left = self.frame_left_target
        self.camera.frame_top = self.frame_top_target

    def advance(self, dt: float) -> None:
        """Move the shown layer towards its target, and the scene's framing towards the panel's edge
        (so hiding the panel slides the picture over rather than jumping), by ``dt`` seconds."""
        easing = 1.0 - math.exp(-max(dt, 0.0) / FRAMING_SECONDS)
        self.camera.frame_left += (self.frame_left_target - self.camera.frame_left) * easing
        self.camera.frame_top += (self.frame_top_target - self.camera.frame_top) * easing
        if self.layer_target is None:
            return
        delta = self.layer_target - self.layer
        stride = self.morph_speed * max(dt, 0.0)
        if abs(delta) <= stride:
            self.layer, self.layer_target = self.layer_target, None
        else:
            self.layer += stride if delta > 0 else -stride

    def set_n_layers(self, n_layers: int) -> None:
        self.n_layers = max(1, n_layers)
        if self.layer_target is None:
            self.set_layer(self.layer)
        else:
            self.go_to_layer(self.layer_target)


def smoothstep(t: float) -> float:
    """The easing of a morph and of a tour between keyframes: starts and ends at rest, as the shaders'
    ``ease`` in include/morph.glsl."""
    return t * t * (3.0 - 2.0 * t)


def center_of(rows: np.ndarray) -> np.ndarray:
    """The middle of the box around ``rows`` (from `fit_rows`): where the camera looks. A layer whose values
    are all positive (after a ReLU or a sigmoid, drawn in its own coordinates) sat in a corner of a view
    that looked at the origin, with the rest of the picture empty."""
    if not len(rows):
        return np.zeros(3, np.float32)
    return ((rows.min(axis=0) + rows.max(axis=0)) / 2).astype(np.float32)


def recentered(center: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Where the camera looks while the layer shown trains: still at ``center`` while the middle of ``rows``
    stays within RECENTER_SLACK of their half-size from it, so the picture shows the layer move (a camera
    that followed every capture cancelled a bias's drift), else at the new middle."""
    if not len(rows):
        return center
    middle = center_of(rows)
    half = float(np.max(rows.max(axis=0) - rows.min(axis=0))) / 2
    return center if float(np.max(np.abs(middle - center))) <= RECENTER_SLACK * half else middle


def fit_rows(positions: np.ndarray, data_rows: int = 0) -> np.ndarray:
    """An even sample of the finite rows of (L, M, 3) layer positions, to fit a view to (the display scale
    keeps data layers comparable in size, so the whole outline counts, not a trimmed one). The first
    ``data_rows`` are the data (0: all are); rows after them (the grid) count only near the data."""
    step = max(1, positions.shape[1] // FIT_ROWS)
    return _near_the_data(positions[:, ::step], -(-data_rows // step))


def _near_the_data(sampled: np.ndarray, data_rows: int) -> np.ndarray:
    """The finite rows of ``sampled`` (L, M, 3), the grid's only within GRID_REACH of the data's reach from
    the data's middle: a ReLU net's grid can run on far past its data, which then sat in a corner."""
    data = _finite_rows(sampled[:, :data_rows]) if 0 < data_rows < sampled.shape[1] else None
    if data is None or not len(data):  # all rows are data (or no data row has a position): all count
        return _finite_rows(sampled)
    middle = center_of(data)
    reach = float(np.max(np.linalg.norm(data - middle, axis=1)))
    others = _finite_rows(sampled[:, data_rows:])
    near = others[np.linalg.norm(others - middle, axis=1) <= GRID_REACH * max(reach, 1e-6)]
    return np.concatenate([data, near])


def _finite_rows(positions: np.ndarray) -> np.ndarray:
    rows = positions.reshape(-1, 3)
    return rows[np.isfinite(rows).all(axis=1)]
