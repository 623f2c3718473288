"""The frame renderer: draws the scene for a `ViewState` into the current framebuffer.

It owns the GPU visuals. `set_probe` sends the static data once (class colours, grid segments);
`set_projection` uploads a new projection (one texture upload, and the point colours only when they
show something that changed, such as predictions); `draw` changes only uniforms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from OpenGL import GL
from vispy import gloo

from viz3d.capture.probe import ProbeSet
from viz3d.colors import ARROW, BACKGROUND, color_source, point_colors, region_colors
from viz3d.project.projection import Projection
from viz3d.render.readback import PixelReader
from viz3d.render.visuals import (
    DecisionRegions,
    LayerPositions,
    PointCloud,
    Reference,
    TangentArrows,
    WarpedGrid,
)

if TYPE_CHECKING:  # the renderer reads the view state it is given; it needs no app module to run
    from viz3d.app.state import ViewState

LINE_PIXELS = 1.0  # width of the grid and reference lines, in window pixels (scaled with the picture)
ARROW_PIXELS = 2.0  # width of the tangent arrows' strokes: annotations, so a little bolder


class FrameRenderer:
    def __init__(self) -> None:
        # Core profile sizes points from gl_PointSize only with this on; vispy never sets it.
        GL.glEnable(GL.GL_PROGRAM_POINT_SIZE)
        self.positions = LayerPositions()
        self.reference = Reference()
        self.points: PointCloud | None = None
        self.grid: WarpedGrid | None = None
        self.arrows: TangentArrows | None = None
        self.regions: DecisionRegions | None = None
        self.labels: np.ndarray | None = None
        self.targets: np.ndarray | None = None  # a regression's target values, coloured in "class" mode
        self.labelled = True  # False: no labels, so "correct" has nothing to compare with
        self.color_by = "class"
        self.projection: Projection | None = None
        self._colored_from: tuple[str, np.ndarray | None] | None = None  # what the uploaded colours show
        self.reader = PixelReader()

    def set_probe(self, probe: ProbeSet) -> None:
        self.labels, self.targets, self.labelled = probe.labels, probe.targets, probe.labelled
        self.points = PointCloud(point_colors("class", probe.labels, targets=probe.targets, labelled=probe.labelled))
        self._colored_from = ("class", probe.targets)  # never changed in place: the probe is frozen
        self.grid = WarpedGrid(probe.grid_coords, probe.grid_segments, probe.n_data, lattice=probe.grid_shape)
        self.regions = DecisionRegions(probe.region_triangles, first_vertex=probe.region_rows.start)
        first_arrow = probe.n_data + probe.n_grid + probe.n_regions
        self.arrows = TangentArrows(probe.n_arrows, first_vertex=first_arrow, color=ARROW)

    def set_projection(self, projection: Projection) -> None:
        self.positions.upload(projection.positions, missing_rows=bool(projection.missing_layers))
        self.projection = projection
        self._recolor()
        if self.regions is not None and projection.region_probs is not None:
            self.regions.set_colors(region_colors(projection.region_probs))

    def set_color_mode(self, mode: str) -> None:
        if mode != self.color_by:
            self.color_by = mode
            self._recolor()

    def _recolor(self) -> None:
        """Upload the points' colours, unless what they are computed from has not changed.

        Class colours depend on the labels (or targets) only, so a new projection needs no new colours (at 1M
        points that saved 20 of the 27 ms `set_projection` took)."""
        if self.points is None or self.labels is None:
            return
        projection = self.projection
        predictions = projection.predictions if projection is not None else None
        neuron = projection.neuron_values if projection is not None else None
        values = projection.predicted_values if projection is not None else None
        mode, source = color_source(self.color_by, predictions, neuron, self.targets, values, self.labelled)
        if self._colored_from is not None and _same_source(self._colored_from, (mode, source)):
            return
        colors = point_colors(self.color_by, self.labels, predictions, neuron, self.targets, values, self.labelled)
        self.points.set_colors(colors)
        # A copy: the caller's array may change in place, and a view would keep a whole layer alive.
        self._colored_from = (mode, None if source is None else np.array(source, copy=True))

    def draw(self, state: ViewState, size: tuple[int, int], pixel_scale: float = 1.0) -> None:
        """Clear and draw points, grid and reference at framebuffer ``size`` (width, height)."""
        width, height = size
        self.set_color_mode(state.color_by)
        gloo.set_viewport(0, 0, width, height)
        gloo.set_state(depth_test=True, blend=True, blend_func=("src_alpha", "one_minus_src_alpha"))
        gloo.set_clear_color(BACKGROUND)
        gloo.clear(color=True, depth=True)
        view_proj = state.camera.view_proj(width / max(height, 1))
        line_width = LINE_PIXELS * pixel_scale
        # Translucent lines are drawn first and write no depth, so they never hide a data point.
        gloo.set_depth_mask(False)
        if state.show_axes:
            self.reference.draw(view_proj, size, line_width, ground_center=state.ground_center)
        # Where some grid rows have no position in a layer (see Projection.missing_layers), grid.glsl cuts the
        # lines and triangles that reach them with clip distance 0; it costs a clipping pass, so only then.
        cut_missing = self.projection is not None and bool(self.projection.missing_layers)
        if cut_missing:
            GL.glEnable(GL.GL_CLIP_DISTANCE0)
        if self.projection is not None and self.regions is not None and state.show_regions:
            self.regions.draw(self.positions, state.layer, view_proj)
        if self.projection is not None and self.grid is not None and state.show_grid:
            self.grid.draw(self.positions, state.layer, view_proj, size, line_width, step=state.lod_grid_step)
        if cut_missing:
            GL.glDisable(GL.GL_CLIP_DISTANCE0)  # the other programs write no clip distance
        gloo.set_depth_mask(True)
        if self.projection is not None and self.points is not None:
            self.points.draw(
                self.positions, state.layer, view_proj, state.point_size * pixel_scale, stride=state.lod_stride
            )
        if self.projection is not None and self.arrows is not None and state.show_arrows:
            gloo.set_state(depth_test=False)  # arrows are annotations: always on top
            self.arrows.draw(
                self.positions, state.layer, view_proj, size, pixel_scale, line_width=ARROW_PIXELS * pixel_scale
            )
        gloo.flush()

    def read_pixels(self, size: tuple[int, int]) -> np.ndarray:
        """The current framebuffer as (height, width, 3) uint8, top row first."""
        gloo.flush()  # gloo queues its commands: run them before GL is read directly
        return self.reader.read(size)


def _same_source(old: tuple[str, np.ndarray | None], new: tuple[str, np.ndarray | None]) -> bool:
    """Whether two (mode, data) pairs give the same point colours."""
    (old_mode, old_data), (new_mode, new_data) = old, new
    if old_mode != new_mode:
        return False
    if old_data is None or new_data is None:
        return old_data is new_data
    if old_data.shape != new_data.shape or old_data.dtype != new_data.dtype:
        return False
    return np.array_equal(old_data, new_data, equal_nan=old_data.dtype.kind in "fc")


class Offscreen:
    """A framebuffer object of a fixed size with depth: render into it, then read it back."""

    def __init__(self, size: tuple[int, int]) -> None:
        width, height = size
        self.size = size
        self.color = gloo.Texture2D((height, width, 4))
        self.fbo = gloo.FrameBuffer(self.color, gloo.RenderBuffer((height, width)))
