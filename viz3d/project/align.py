"""Orthogonal Procrustes: the rotation (or reflection) that best lays one 3D point set on another.

PCA bases come with arbitrary signs and, where variances are close, arbitrary order. Aligning each
layer's 3D positions to its neighbour and to the same layer at the step shown before removes those
jumps, so motion on screen is change in the network, not in the basis.
"""

from __future__ import annotations

import torch

# A direction whose singular value is at most this fraction of the largest is one the target leaves free:
# a flat target (a 2-wide layer before, drawn with z = 0, and no picture before it) fits either sign of it
# equally well, and the SVD would pick one by rounding (1e-9 of the largest for a float32 rank-2 layer),
# another one step later: the picture turned inside out between neighbouring steps.
FREE_RTOL = 1e-4


def procrustes_rotation(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The orthogonal (3, 3) R minimising ‖source·R − target‖ (rows are matching points).

    Where the target leaves directions free, of the R that fit equally well it is the one closest to the
    identity: the source's own (sign-fixed) axes decide there, not rounding. Masks, not branches: no sync.
    """
    u, s, vh = torch.linalg.svd(source.T @ target)
    free = s <= FREE_RTOL * s[0]
    fitted = (u * ~free) @ vh  # the directions the target decides
    ours, theirs = u * free, vh.T * free  # the free ones, in the source's and the target's coordinates
    pu, _, pvh = torch.linalg.svd(ours.T @ theirs)  # closest to the identity there: the polar factor of
    return fitted + ours @ (pu @ pvh) @ theirs.T  # the identity's part (one free direction: a sign)
