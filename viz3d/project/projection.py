"""Maps every layer of a `Snapshot` to 3D positions with one linear map per layer.

- Layers of width <= 3 keep their own coordinates, padded with zeros.
- Wider layers go through PCA of the centred activations (torch, on the activations' device),
  computed on the fit rows (the data points, not the grid); ``axes`` picks which components
  become x, y and z. Each component's sign is fixed so its largest loading is positive.
- Display scale: each layer is scaled by one factor so that 99% of its data points lie inside the
  cube [-1, 1]^3. The map stays linear, so tangent vectors project with the same matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from viz3d.capture.snapshot import Snapshot

N_COMPONENTS = 10  # explained-variance ratios reported per layer
FIT_QUANTILE = 0.99


@dataclass(frozen=True)
class Projection:
    """Positions (L, N, 3) float32 and, per layer, the top components' explained-variance ratios."""

    step: int
    layer_names: list[str]
    layer_labels: list[str]
    positions: np.ndarray  # (L, N, 3) float32
    explained_variance_ratio: np.ndarray  # (L, N_COMPONENTS), zero-padded for narrow layers
    scales: np.ndarray  # (L,) the display scale applied to each layer


def pca_basis(centred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Principal directions (D, D) as columns and explained-variance ratios, sign-fixed."""
    _, singular, vh = torch.linalg.svd(centred, full_matrices=False)
    basis = vh.T
    biggest = basis.abs().argmax(dim=0)
    signs = torch.sign(basis[biggest, torch.arange(basis.shape[1], device=basis.device)])
    basis = basis * torch.where(signs == 0, torch.ones_like(signs), signs)
    variance = singular.square()
    total = variance.sum()
    ratio = variance / total if total > 0 else torch.zeros_like(variance)
    return basis, ratio


def layer_coordinates(
    activations: torch.Tensor, fit_rows: slice, axes: tuple[int, int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """3D coordinates of every row of one layer, and its explained-variance ratios."""
    acts = activations.float()
    width = acts.shape[1]
    fit = acts[fit_rows]
    mean = fit.mean(dim=0)
    basis, ratio = pca_basis(fit - mean)
    if width <= 3:
        coords = torch.nn.functional.pad(acts, (0, 3 - width))
    else:
        picked = [min(axis, width - 1) for axis in axes]
        coords = (acts - mean) @ basis[:, picked]
    return coords, ratio


def project(snapshot: Snapshot, axes: tuple[int, int, int] = (0, 1, 2), fit_rows: slice | None = None) -> Projection:
    """Project every layer of ``snapshot`` to display coordinates (see the module docstring)."""
    rows = fit_rows if fit_rows is not None else slice(None)
    positions, ratios, scales = [], [], []
    for name in snapshot.layer_names:
        coords, ratio = layer_coordinates(snapshot.activations[name], rows, axes)
        extent = torch.quantile(coords[rows].abs().amax(dim=1), FIT_QUANTILE)
        scale = 1.0 / extent.item() if extent.item() > 1e-12 else 1.0
        positions.append((coords * scale).cpu().numpy())
        padded = np.zeros(N_COMPONENTS, np.float32)
        values = ratio[:N_COMPONENTS].cpu().numpy()
        padded[: len(values)] = values
        ratios.append(padded)
        scales.append(scale)
    return Projection(
        step=snapshot.step,
        layer_names=list(snapshot.layer_names),
        layer_labels=snapshot.labels(),
        positions=np.ascontiguousarray(np.stack(positions), dtype=np.float32),
        explained_variance_ratio=np.stack(ratios),
        scales=np.asarray(scales, np.float32),
    )
