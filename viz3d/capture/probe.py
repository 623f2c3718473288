"""The probe set: the data points, a lattice of grid-line samples, and tangent-arrow seeds.

Data and grid go through the network in one forward pass: rows ``[0, n_data)`` are the data and the
rest are grid samples, joined into line segments by ``grid_segments``. For 2D inputs the grid covers
the input plane; for wider inputs it is the plane of the data's top two principal components through
the mean, mapped back into input space, so the picture shows how the network warps that slice.
Arrow seeds (points and vectors in input space) are pushed forward separately (see `pushforward`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ProbeSet:
    inputs: torch.Tensor  # (n_data + n_grid, D)
    n_data: int
    labels: np.ndarray  # (n_data,) int class of each data point
    grid_coords: np.ndarray  # (n_grid, 2) float32: where each grid sample sits in the input plane
    grid_segments: np.ndarray  # (S, 2) uint32 row indices into the grid samples, one line segment each
    arrow_points: torch.Tensor | None = None  # (A, D) where tangent arrows start, in input space
    arrow_vectors: torch.Tensor | None = None  # (A, D) the tangent vectors there

    @property
    def n_arrows(self) -> int:
        return 0 if self.arrow_points is None else len(self.arrow_points)

    @property
    def n_grid(self) -> int:
        return len(self.grid_coords)


def grid_lattice(lo: np.ndarray, hi: np.ndarray, lines: int, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples along ``lines`` horizontal and ``lines`` vertical lines spanning the box [lo, hi].

    Returns the (2·lines·samples, 2) sample coordinates and the (2·lines·(samples-1), 2) segments.
    """
    across = np.linspace(0.0, 1.0, lines)
    along = np.linspace(0.0, 1.0, samples)
    t_across, t_along = np.meshgrid(across, along, indexing="ij")  # (lines, samples)
    horizontal = np.stack([t_along, t_across], axis=-1).reshape(-1, 2)
    vertical = np.stack([t_across, t_along], axis=-1).reshape(-1, 2)
    coords = lo + (hi - lo) * np.concatenate([horizontal, vertical])
    starts = (np.arange(2 * lines)[:, None] * samples + np.arange(samples - 1)[None, :]).reshape(-1)
    segments = np.stack([starts, starts + 1], axis=1).astype(np.uint32)
    return coords.astype(np.float32), segments


def make_probe(
    x: torch.Tensor,
    y: torch.Tensor,
    grid_lines: int,
    grid_samples: int,
    grid_margin: float,
    arrow_points: torch.Tensor | None = None,
    arrow_vectors: torch.Tensor | None = None,
) -> ProbeSet:
    """Probe = the data, a grid over the data's extent (plus a margin), and optional arrow seeds."""
    data = x.detach().float()
    labels = y.detach().cpu().numpy().astype(np.int64)
    points = data.reshape(len(data), -1).cpu().numpy()
    if points.shape[1] == 2:
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = grid_margin * (hi - lo)
        coords, segments = grid_lattice(lo - pad, hi + pad, grid_lines, grid_samples)
        grid = torch.from_numpy(coords)
    elif points.shape[1] > 2 and data.ndim == 2:
        coords, segments, grid = _principal_plane_grid(points, grid_lines, grid_samples, grid_margin)
    else:  # 1D inputs, images, sequences: no grid
        coords, segments = np.zeros((0, 2), np.float32), np.zeros((0, 2), np.uint32)
        grid = torch.zeros((0, *data.shape[1:]))
    if (arrow_points is None) != (arrow_vectors is None):
        raise ValueError("arrow_points and arrow_vectors go together: give both or neither")
    return ProbeSet(
        inputs=torch.cat([data, grid.to(data.device, data.dtype)]),
        n_data=len(data),
        labels=labels,
        grid_coords=coords,
        grid_segments=segments,
        arrow_points=None if arrow_points is None else arrow_points.detach().float().to(data.device),
        arrow_vectors=None if arrow_vectors is None else arrow_vectors.detach().float().to(data.device),
    )


def _principal_plane_grid(
    points: np.ndarray, lines: int, samples: int, margin: float
) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """A lattice in the plane of the top two principal components through the mean, in input space."""
    from viz3d.project.pca import principal_components

    pcs = principal_components(torch.from_numpy(points), k=2)
    mean, plane = pcs.mean.numpy(), pcs.components.numpy()  # (D,), (D, 2)
    in_plane = (points - mean) @ plane
    lo, hi = in_plane.min(axis=0), in_plane.max(axis=0)
    pad = margin * (hi - lo)
    coords, segments = grid_lattice(lo - pad, hi + pad, lines, samples)
    return coords, segments, torch.from_numpy(mean + coords @ plane.T)
