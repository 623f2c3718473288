"""The probe set: the data points plus a dense lattice of grid-line samples over the input plane.

Both go through the network in one forward pass; the rows ``[0, n_data)`` are the data and the rest
are grid samples, joined into line segments by ``grid_segments``.
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


def make_probe(x: torch.Tensor, y: torch.Tensor, grid_lines: int, grid_samples: int, grid_margin: float) -> ProbeSet:
    """Probe = the data plus, for 2D inputs, a grid over the data's bounding box and a margin."""
    data = x.detach().float()
    labels = y.detach().cpu().numpy().astype(np.int64)
    if data.shape[1] == 2:
        points = data.cpu().numpy()
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = grid_margin * (hi - lo)
        coords, segments = grid_lattice(lo - pad, hi + pad, grid_lines, grid_samples)
        grid = torch.from_numpy(coords).to(data.device)
    else:
        coords = np.zeros((0, 2), np.float32)
        segments = np.zeros((0, 2), np.uint32)
        grid = data.new_zeros((0, data.shape[1]))
    return ProbeSet(
        inputs=torch.cat([data, grid]),
        n_data=len(data),
        labels=labels,
        grid_coords=coords,
        grid_segments=segments,
    )
