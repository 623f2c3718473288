"""GPU visuals: the shared positions texture, the point cloud, the warped grid and the reference.

Each visual owns its gloo program and buffers and draws itself given a view-projection matrix; the
scene data comes in as numpy arrays (from `ProbeSet` and `Projection`), never the other way round.
"""

from __future__ import annotations

import math

import numpy as np
from vispy import gloo

from viz3d.capture.probe import lattice_segments
from viz3d.colors import GRID_HORIZONTAL, GRID_VERTICAL
from viz3d.render.shaders import load_program

TEXTURE_WIDTH = 4096  # texels per row of the positions texture; a layer takes ceil(rows / width) rows
QUAD_VERTICES = 6  # a line segment drawn wider than a pixel is two triangles: see shaders/include/wide_line.glsl
MISSING_POSITION = 1e30  # a row with no position in a layer (NaN/Inf): morph.glsl's MISSING
HAIRLINE_BELOW = 1.5  # pixels: thinner lines (grid, axes) are one-pixel GL_LINES, the cheap way


def quad_corners(segments: int) -> np.ndarray:
    """The ``a_corner`` attribute of ``segments`` wide-line quads: corners 0..5 of each in turn."""
    return np.tile(np.arange(QUAD_VERTICES, dtype=np.float32), segments)


def per_quad_vertex(per_segment: np.ndarray) -> np.ndarray:
    """One row per segment, repeated for each of its quad's vertices, as float32."""
    return np.repeat(np.asarray(per_segment, np.float32), QUAD_VERTICES, axis=0)


class LayerPositions:
    """All layers' positions for all vertices (data points, then grid samples) in one RGB32F texture."""

    def __init__(self) -> None:
        self.texture: gloo.Texture2D | None = None
        self.n_layers = 0
        self.rows_per_layer = 1
        self._staging: np.ndarray | None = None

    def upload(self, positions: np.ndarray, missing_rows: bool = False) -> None:
        """Replace the texture's content with ``positions`` (L, M, 3) float32. With ``missing_rows``, rows
        with NaN or Inf are sent as `MISSING_POSITION`, which the shaders draw nothing to."""
        n_layers, n_vertices, _ = positions.shape
        width = min(TEXTURE_WIDTH, max(n_vertices, 1))
        rows = max(1, math.ceil(n_vertices / width))
        shape = (n_layers * rows, width, 3)
        if self._staging is None or self._staging.shape != shape:
            self._staging = np.zeros(shape, np.float32)
        flat = self._staging.reshape(n_layers, rows * width, 3)
        flat[:, :n_vertices] = positions
        if missing_rows:
            flat[~np.isfinite(flat).all(axis=2)] = MISSING_POSITION
        if self.texture is None or self.texture.shape != shape:
            self.texture = gloo.Texture2D(self._staging, internalformat="rgb32f", interpolation="nearest")
        else:
            self.texture.set_data(self._staging)
        self.n_layers, self.rows_per_layer = n_layers, rows

    def bind_to(self, program: gloo.Program, layer: float) -> None:
        program["u_positions"] = self.texture
        program["u_tex_width"] = self._staging.shape[1]
        program["u_rows_per_layer"] = self.rows_per_layer
        program["u_n_layers"] = self.n_layers
        program["u_layer"] = float(layer)


class PointCloud:
    """The data points; their colours live in an RGBA8 texture that the fragment stage reads by primitive."""

    COLORS_PER_ROW = 4096  # texels per row of the colours texture; points.glsl divides by the same number

    def __init__(self, colors: np.ndarray) -> None:
        self.program = load_program("points")
        self.count = len(colors)
        # Float, not bytes: some drivers convert 1-byte attributes on the CPU at every draw.
        self.program["a_unused"] = gloo.VertexBuffer(np.zeros(self.count, np.float32))
        self._colors = np.zeros((max(1, math.ceil(self.count / self.COLORS_PER_ROW)), self.COLORS_PER_ROW, 4), np.uint8)
        self.colors = gloo.Texture2D(self._colors, interpolation="nearest")
        self.program["u_colors"] = self.colors
        self.set_colors(colors)
        self._subsets: dict[int, gloo.IndexBuffer] = {}

    def set_colors(self, colors: np.ndarray) -> None:
        """Replace the (N, 4) float RGBA colours (0..1) of the points."""
        if len(colors) != self.count:
            problem = f"got colours for {len(colors)} points, but the cloud has {self.count}"
            raise ValueError(f"{problem}: set the probe with these points first")
        flat = self._colors.reshape(-1, 4)
        flat[: self.count] = np.round(np.clip(colors, 0.0, 1.0) * 255.0)
        self.colors.set_data(self._colors)

    def draw(
        self, positions: LayerPositions, layer: float, view_proj: np.ndarray, point_size: float, stride: int = 1
    ) -> None:
        """Draw every point, or every ``stride``-th one (the adaptive level of detail)."""
        if self.count == 0:
            return
        positions.bind_to(self.program, layer)
        self.program["u_view_proj"] = view_proj
        self.program["u_point_size"] = float(point_size)
        self.program["u_stride"] = max(1, int(stride))
        if stride <= 1:
            self.program.draw("points")
            return
        if stride not in self._subsets:
            self._subsets[stride] = gloo.IndexBuffer(thinned_points(self.count, stride))
        self.program.draw("points", self._subsets[stride])


SUBSET_SCRAMBLE = 7919  # odd: k * it runs through every remainder mod a power of two (points.glsl's too)


def thinned_points(count: int, stride: int) -> np.ndarray:
    """One point of every ``stride`` (a power of two): the k-th is point ``k * stride + (k * SUBSET_SCRAMBLE %
    stride)``, which points.glsl computes back from the primitive's number. Every k-th point would draw one
    class only of data that lists its classes in turn; these take each place in a block equally often."""
    if stride < 1 or stride & (stride - 1):
        raise ValueError(f"stride {stride}: the level of detail thins by powers of two (points.glsl masks by it)")
    k = np.arange(-(-count // stride), dtype=np.uint64)
    points = k * stride + ((k * SUBSET_SCRAMBLE) & (stride - 1))  # the shader's uint wraps at 2**32: same low bits
    return points[points < count].astype(np.uint32)


class WarpedGrid:
    """The input grid's line segments; their vertices follow the grid rows of the positions texture.

    A line one pixel wide is a GL_LINES segment (``grid.glsl``); a wider one, in a high-resolution
    picture or a HiDPI window, is a quad (``wide_grid.glsl``), built the first time one is needed. A grid
    laid out by `grid_lattice` (``lattice``: its lines and samples) can be drawn coarser, for the level of
    detail: every step-th line and sample (`lattice_segments`), each step's segments built once.
    """

    def __init__(
        self, grid_coords: np.ndarray, segments: np.ndarray, first_vertex: int, lattice: tuple[int, int] = (0, 0)
    ) -> None:
        self.program = load_program("grid")
        self.first_vertex = first_vertex
        self.lattice = lattice
        n = len(grid_coords)
        self.colors = np.empty((n, 4), np.float32)
        self.colors[: n // 2] = GRID_HORIZONTAL  # make_probe lists horizontal lines first
        self.colors[n // 2 :] = GRID_VERTICAL
        self.program["a_color"] = gloo.VertexBuffer(self.colors)
        self.segments = np.ascontiguousarray(segments, np.uint32)
        self._indices: dict[int, gloo.IndexBuffer] = {1: gloo.IndexBuffer(self.segments)} if len(segments) else {}
        self._wide: dict[int, gloo.Program] = {}

    def _step_drawn(self, step: int) -> int:
        """``step`` where the grid is a lattice with lines to skip, else 1 (the whole grid)."""
        return step if step > 1 and all(self.lattice) else 1

    def _segments(self, step: int) -> np.ndarray:
        return self.segments if step == 1 else lattice_segments(*self.lattice, step)

    def _line_indices(self, step: int) -> gloo.IndexBuffer:
        if step not in self._indices:
            self._indices[step] = gloo.IndexBuffer(self._segments(step))
        return self._indices[step]

    def _wide_program(self, step: int) -> gloo.Program:
        if step not in self._wide:
            segments = self._segments(step)
            program = load_program("wide_grid")
            program["a_ends"] = gloo.VertexBuffer(per_quad_vertex(segments))
            program["a_corner"] = gloo.VertexBuffer(quad_corners(len(segments)))
            program["a_color"] = gloo.VertexBuffer(per_quad_vertex(self.colors[segments[:, 0]]))
            self._wide[step] = program
        return self._wide[step]

    def draw(
        self,
        positions: LayerPositions,
        layer: float,
        view_proj: np.ndarray,
        viewport: tuple[int, int],
        line_width: float = 1.0,
        step: int = 1,
    ) -> None:
        """Draw the segments ``line_width`` framebuffer pixels wide; with ``step`` > 1, every step-th line."""
        if not self._indices:
            return
        step = self._step_drawn(step)
        wide = line_width >= HAIRLINE_BELOW
        program = self._wide_program(step) if wide else self.program
        positions.bind_to(program, layer)
        program["u_view_proj"] = view_proj
        program["u_first_vertex"] = self.first_vertex
        if not wide:
            program.draw("lines", self._line_indices(step))
            return
        program["u_viewport"] = (float(viewport[0]), float(viewport[1]))
        program["u_line_width"] = float(line_width)
        program.draw("triangles")


class DecisionRegions:
    """Translucent triangles over the input plane's lattice, coloured by predicted class."""

    def __init__(self, triangles: np.ndarray | None, first_vertex: int) -> None:
        self.program = load_program("grid")  # the same morphed, coloured vertices as the grid lines
        self.first_vertex = first_vertex
        self.indices = None
        self.colors: gloo.VertexBuffer | None = None
        if triangles is not None and len(triangles):
            self.indices = gloo.IndexBuffer(np.ascontiguousarray(triangles, np.uint32))
            count = int(triangles.max()) + 1
            self.colors = gloo.VertexBuffer(np.zeros((count, 4), np.float32))
            self.program["a_color"] = self.colors
        self.has_colors = False

    def set_colors(self, colors: np.ndarray) -> None:
        if self.colors is not None:
            self.colors.set_data(np.ascontiguousarray(colors, np.float32))
            self.has_colors = True

    def draw(self, positions: LayerPositions, layer: float, view_proj: np.ndarray) -> None:
        if self.indices is None or not self.has_colors:
            return
        positions.bind_to(self.program, layer)
        self.program["u_view_proj"] = view_proj
        self.program["u_first_vertex"] = self.first_vertex
        self.program.draw("triangles", self.indices)


class TangentArrows:
    """Pushed-forward tangent vectors; their base and tip rows follow the grid rows in the texture.

    An arrow is three strokes (shaft, left and right head strokes), each a quad of six vertices."""

    STROKES = 3

    def __init__(self, count: int, first_vertex: int, color: tuple[float, float, float, float]) -> None:
        self.count = count
        self.first_vertex = first_vertex
        self.program = load_program("arrows")
        if count:
            vertices_per_arrow = self.STROKES * QUAD_VERTICES
            arrow = np.repeat(np.arange(count, dtype=np.float32), vertices_per_arrow)
            stroke = np.tile(per_quad_vertex(np.arange(self.STROKES)), count)
            self.program["a_arrow"] = gloo.VertexBuffer(arrow)
            self.program["a_stroke"] = gloo.VertexBuffer(stroke)
            self.program["a_corner"] = gloo.VertexBuffer(quad_corners(self.STROKES * count))
            self.program["a_color"] = gloo.VertexBuffer(np.tile(np.array([color], np.float32), (len(arrow), 1)))

    def draw(
        self,
        positions: LayerPositions,
        layer: float,
        view_proj: np.ndarray,
        viewport: tuple[int, int],
        scale: float,
        line_width: float,
    ) -> None:
        """Draw the arrows with strokes ``line_width`` pixels wide and heads sized by ``scale``."""
        if not self.count:
            return
        positions.bind_to(self.program, layer)
        self.program["u_view_proj"] = view_proj
        self.program["u_first_vertex"] = self.first_vertex
        self.program["u_viewport"] = (float(viewport[0]), float(viewport[1]))
        self.program["u_head_pixels"] = 12.0 * scale
        self.program["u_line_width"] = float(line_width)
        self.program.draw("triangles")


def reference_lines(extent: float = 1.25, ground_z: float = -1.1, cells: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Axes through the origin (x red, y green, z blue) and a faint square ground grid below the data."""
    axes = np.array([[0, 0, 0], [extent, 0, 0], [0, 0, 0], [0, extent, 0], [0, 0, 0], [0, 0, extent]], np.float32)
    axis_colors = np.repeat(
        np.array([[0.9, 0.35, 0.35, 0.8], [0.4, 0.85, 0.45, 0.8], [0.4, 0.6, 1.0, 0.8]], np.float32),
        2,
        axis=0,
    )
    ticks = np.linspace(-extent, extent, cells + 1, dtype=np.float32)
    ground = []
    for t in ticks:
        ground += [
            [t, -extent, ground_z],
            [t, extent, ground_z],
            [-extent, t, ground_z],
            [extent, t, ground_z],
        ]
    ground_colors = np.tile(np.array([[1.0, 1.0, 1.0, 0.07]], np.float32), (len(ground), 1))
    return np.concatenate([axes, np.array(ground, np.float32)]), np.concatenate([axis_colors, ground_colors])


class Reference:
    """The axes and the ground grid (`reference_lines`): one-pixel GL_LINES (``reference.glsl``), or quads
    that keep their width in pixels (``wide_reference.glsl``) where lines are drawn wider, as the grid is.
    The axes stay at the origin; the ground moves to lie below the layer the view frames."""

    AXIS_VERTICES = 6  # reference_lines lists the three axes first, then the ground

    def __init__(self) -> None:
        self.vertices, self.colors = reference_lines()
        self.ground = (np.arange(len(self.vertices)) >= self.AXIS_VERTICES).astype(np.float32)
        self.program = load_program("reference")
        self.program["a_position"] = gloo.VertexBuffer(self.vertices)
        self.program["a_ground"] = gloo.VertexBuffer(self.ground)
        self.program["a_color"] = gloo.VertexBuffer(self.colors)
        self._wide: gloo.Program | None = None

    def _wide_program(self) -> gloo.Program:
        if self._wide is None:
            self._wide = load_program("wide_reference")
            self._wide["a_start"] = gloo.VertexBuffer(per_quad_vertex(self.vertices[0::2]))
            self._wide["a_end"] = gloo.VertexBuffer(per_quad_vertex(self.vertices[1::2]))
            self._wide["a_corner"] = gloo.VertexBuffer(quad_corners(len(self.vertices) // 2))
            self._wide["a_ground"] = gloo.VertexBuffer(per_quad_vertex(self.ground[0::2]))
            self._wide["a_color"] = gloo.VertexBuffer(per_quad_vertex(self.colors[0::2]))
        return self._wide

    def draw(
        self,
        view_proj: np.ndarray,
        viewport: tuple[int, int],
        line_width: float = 1.0,
        ground_center: np.ndarray | None = None,
    ) -> None:
        """Draw the axes at the origin and the ground below ``ground_center`` (the origin where not given)."""
        center = (0.0, 0.0, 0.0) if ground_center is None else tuple(float(c) for c in ground_center)
        if line_width < HAIRLINE_BELOW:
            self.program["u_view_proj"] = view_proj
            self.program["u_ground_center"] = center
            self.program.draw("lines")
            return
        program = self._wide_program()
        program["u_view_proj"] = view_proj
        program["u_ground_center"] = center
        program["u_viewport"] = (float(viewport[0]), float(viewport[1]))
        program["u_line_width"] = float(line_width)
        program.draw("triangles")


class RecordingMark:
    """A red dot near the top-right corner: shown on screen while recording, never recorded."""

    def __init__(self) -> None:
        self.program = load_program("mark")
        self.program["a_unused"] = gloo.VertexBuffer(np.zeros(1, np.float32))
        self.program["u_color"] = (0.95, 0.2, 0.2, 0.95)

    def draw(self, size: tuple[int, int], scale: float = 1.0) -> None:
        width, height = size
        diameter = 18.0 * scale
        margin = 24.0 * scale
        center = (1 - 2 * margin / width, 1 - 2 * margin / height)
        gloo.set_state(depth_test=False, blend=True, blend_func=("src_alpha", "one_minus_src_alpha"))
        gloo.set_viewport(0, 0, width, height)
        self.program["u_center"] = center
        self.program["u_size"] = diameter
        self.program.draw("points")
