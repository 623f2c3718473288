"""Orthogonal Procrustes: the rotation (or reflection) that best lays one 3D point set on another.

PCA bases come with arbitrary signs and, where variances are close, arbitrary order. Aligning each
layer's 3D positions to its neighbour and to the same layer at the step shown before removes those
jumps, so motion on screen is change in the network, not in the basis.
"""

from __future__ import annotations

import torch


def procrustes_rotation(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The orthogonal (3, 3) R minimising ‖source·R − target‖ (rows are matching points)."""
    u, _, vh = torch.linalg.svd(source.T @ target)
    return u @ vh
