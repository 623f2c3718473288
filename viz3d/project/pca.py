"""PCA in torch, on the activations' own device: exact below a size threshold, randomized above.

Exact: eigen-decomposition of the D×D covariance (cheap when D is moderate, whatever N is).
Randomized: ``torch.svd_lowrank`` with oversampling and power iterations, used only when D is
large (the D³ eigensolve would dominate). Signs are fixed so each component's largest loading is
positive, which makes the result deterministic for a given input.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

RANDOMIZED_MIN_DIM = 1024  # wider than this, the eigensolve costs more than a randomized SVD
OVERSAMPLE = 10
POWER_ITERATIONS = 4


@dataclass(frozen=True)
class PrincipalComponents:
    mean: torch.Tensor  # (D,)
    components: torch.Tensor  # (D, k) orthonormal columns, by decreasing variance
    explained_variance_ratio: torch.Tensor  # (k,)


def fix_signs(components: torch.Tensor) -> torch.Tensor:
    """Flip each column so that its entry of largest magnitude is positive."""
    rows = components.abs().argmax(dim=0)
    signs = torch.sign(components[rows, torch.arange(components.shape[1], device=components.device)])
    return components * torch.where(signs == 0, torch.ones_like(signs), signs)


def principal_components(data: torch.Tensor, k: int = 10, randomized: bool | None = None) -> PrincipalComponents:
    """Top-``k`` principal components of the rows of ``data`` (N, D), with explained-variance ratios."""
    x = data.float()
    n, width = x.shape
    k = max(1, min(k, width, n))
    mean = x.mean(dim=0)
    centred = x - mean
    use_randomized = width > RANDOMIZED_MIN_DIM if randomized is None else randomized
    if use_randomized:
        total = centred.square().sum()
        q = min(k + OVERSAMPLE, width, n)
        _, singular, v = torch.svd_lowrank(centred, q=q, niter=POWER_ITERATIONS, M=None)
        variance, components = singular[:k].square(), v[:, :k]
    else:
        covariance = centred.T @ centred
        total = covariance.diagonal().sum()
        values, vectors = torch.linalg.eigh(covariance)  # ascending
        variance, components = values.flip(0)[:k].clamp_min(0), vectors.flip(1)[:, :k]
    ratio = variance / total if total > 0 else torch.zeros_like(variance)
    return PrincipalComponents(mean=mean, components=fix_signs(components), explained_variance_ratio=ratio)
