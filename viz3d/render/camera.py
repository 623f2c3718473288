"""Orbit camera: azimuth/elevation/distance around a centre, z up, perspective projection.

The picture can be framed beside the overlay panel rather than under it (``frame_left``), or below
it in a portrait picture (``frame_top``).

Pure numpy (no GL), so the view state can hold it and tests can project points by hand. Matrices
use vispy's row-vector convention (``clip = [x, y, z, 1] @ view_proj``), which is what a gloo
``mat4`` uniform expects for ``u_view_proj * vec4(p, 1)`` in GLSL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from vispy.util.transforms import perspective, rotate, translate


@dataclass
class OrbitCamera:
    azimuth: float = -90.0  # degrees around z; -90 looks along +y
    elevation: float = 55.0  # degrees above the xy-plane
    distance: float = 4.5
    center: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    fov: float = 35.0  # vertical field of view, degrees
    home: tuple[float, float, float] | None = None  # (azimuth, elevation, distance) that reset() restores
    frame_left: float = 0.0  # fraction of the image's width, on the left, that the scene leaves to the panel
    frame_top: float = 0.0  # ... or of its height, at the top (a portrait picture, the panel above the scene)

    def __post_init__(self) -> None:
        if self.home is None:
            self.home = (self.azimuth, self.elevation, self.distance)

    # --- interaction (pixel deltas from the mouse) ------------------------------------------------
    def rotate(self, dx: float, dy: float) -> None:
        self.azimuth = (self.azimuth - 0.4 * dx + 180.0) % 360.0 - 180.0
        self.elevation = float(np.clip(self.elevation + 0.4 * dy, -89.0, 89.0))

    def zoom(self, wheel_steps: float) -> None:
        self.distance = float(np.clip(self.distance * 0.9**wheel_steps, 0.3, 100.0))

    def pan(self, dx: float, dy: float, viewport_height: int) -> None:
        """Move the centre so the scene follows the mouse (dx, dy in pixels, y down)."""
        right, up, _ = self._basis()
        units_per_pixel = 2 * self.distance * math.tan(math.radians(self.fov) / 2) / max(viewport_height, 1)
        self.center = (self.center - right * dx * units_per_pixel + up * dy * units_per_pixel).astype(np.float32)

    def reset(self) -> None:
        assert self.home is not None
        self.azimuth, self.elevation, self.distance = self.home
        self.center = np.zeros(3, np.float32)

    # --- matrices --------------------------------------------------------------------------
    def _basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The camera's right, up and forward directions in world space: the view matrix's columns."""
        view = self.view_matrix()
        return view[:3, 0], view[:3, 1], -view[:3, 2]

    def view_matrix(self) -> np.ndarray:
        """World → eye, row-vector convention: the centre to the origin, the azimuth turned to look along
        +y, the elevation tilted up to the eye's level, then backed off by the distance."""
        return (
            translate(-np.asarray(self.center, np.float64))
            @ rotate(-(self.azimuth + 90.0), (0.0, 0.0, 1.0))
            @ rotate(min(max(self.elevation, -90.0), 90.0) - 90.0, (1.0, 0.0, 0.0))  # never over the pole
            @ translate((0.0, 0.0, -self.distance))
        )

    def view_proj(self, aspect: float) -> np.ndarray:
        """World → clip for an image of width/height ``aspect``.

        With ``frame_left`` = f the scene is framed in the image's right 1 - f, as if that part were
        the whole window (same height, narrower), and the strip on the left shows what lies beyond it;
        ``frame_top`` = t frames it in the bottom 1 - t the same way (same width, shorter).
        """
        near = max(self.distance * 0.01, 0.01)
        far = self.distance * 10 + 10
        left, top = self._left(), self._top()
        projection = perspective(self.fov, self._free_aspect(aspect), near, far)
        # Clip-space x of the free part runs from 2f - 1 to 1: x' = (1 - f) x + f w; y from -1 to 1 - 2t.
        projection[:, 0] = (1.0 - left) * projection[:, 0] + left * projection[:, 3]
        projection[:, 1] = (1.0 - top) * projection[:, 1] - top * projection[:, 3]
        return (self.view_matrix() @ projection).astype(np.float32)

    def distance_to_fit(
        self, points: np.ndarray, aspect: float, margin: float = 0.05, center: np.ndarray | None = None
    ) -> float:
        """The distance from the centre (or from ``center``, where the camera is heading), looking as now, at
        which the points lie inside the picture (the part beside the panel), with ``margin`` of its
        half-width and half-height to spare.

        Moving along the view direction changes only each point's depth, so the bound is exact:
        |ndc| <= 1 - margin needs distance >= (q . back) + focal * |q . axis| / (1 - margin)."""
        if not len(points):
            return self.distance
        right, up, forward = self._basis()
        offsets = np.asarray(points, np.float64) - (self.center if center is None else center)
        focal_y = 1.0 / math.tan(math.radians(self.fov) / 2)
        focal_x = focal_y / self._free_aspect(aspect)  # the free part is framed as a window of its own shape
        needed_y = np.abs(offsets @ up) * focal_y / (1.0 - margin)
        needed_x = np.abs(offsets @ right) * focal_x / (1.0 - margin)
        depth_offset = offsets @ -forward  # how far towards the eye each point sits
        return float(np.max(depth_offset + np.maximum(needed_x, needed_y)))

    def _left(self) -> float:
        """`frame_left`, kept to where a picture is still left beside the panel."""
        return min(max(self.frame_left, 0.0), 0.9)

    def _top(self) -> float:
        return min(max(self.frame_top, 0.0), 0.9)

    def _free_aspect(self, aspect: float) -> float:
        """Width over height of the part of the picture the scene is framed in."""
        return aspect * (1.0 - self._left()) / (1.0 - self._top())

    def to_pixels(self, points: np.ndarray, width: int, height: int) -> np.ndarray:
        """Where world points land in a width×height image (x right, y down), for tests and labels."""
        homo = np.c_[points, np.ones(len(points))] @ self.view_proj(width / height)
        ndc = homo[:, :2] / homo[:, 3:4]
        return np.c_[(ndc[:, 0] + 1) / 2 * width, (1 - ndc[:, 1]) / 2 * height]
