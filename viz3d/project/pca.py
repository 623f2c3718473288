"""PCA in torch, on the activations' own device, through the covariance wherever it is affordable.

Three ways to the top-``k`` components, picked by the width D of the rows:
- exact (D <= EXACT_MAX_DIM): eigen-decomposition of the D x D covariance;
- randomized on the covariance (EXACT_MAX_DIM < D <= COVARIANCE_MAX_DIM): ``torch.svd_lowrank`` of
  the covariance. Only the top few of D eigenpairs are wanted, and a full eigensolve costs D^3
  (512 wide: 11 ms for ``eigh`` against 2 ms, eigenvalues equal to 1e-6 here);
- randomized on the data (D > COVARIANCE_MAX_DIM): ``torch.svd_lowrank`` of the centred rows, when even
  forming the covariance (N D^2) would dominate.
The randomized paths draw their test matrix from a fixed seed inside ``torch.random.fork_rng``, so
the result is the same for the same input and training's random streams are left untouched (on
devices other than CPU and CUDA the exact eigensolve is used instead). Signs are
fixed so each component's largest loading is positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

EXACT_MAX_DIM = 128  # up to this width, the full eigensolve is cheaper than anything randomized
COVARIANCE_MAX_DIM = 1024  # wider than this, forming the D x D covariance costs more than it saves
OVERSAMPLE = 10
POWER_ITERATIONS = 4
SEED = 0


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
    """Top-``k`` principal components of the rows of ``data`` (N, D), with explained-variance ratios.

    ``randomized`` forces the choice (True: a randomized solver, False: the exact eigensolve); by
    default the width decides (see the module docstring).
    """
    x = data.float()
    n, width = x.shape
    k = max(1, min(k, width, n))
    mean = x.mean(dim=0)
    centred = x - mean
    use_randomized = width > EXACT_MAX_DIM if randomized is None else randomized
    q = min(k + OVERSAMPLE, width, n)
    # A randomized solver's components are close to the true ones where the spectrum falls off (as real
    # activations' does) but can be rotated among near-equal ones; their variances are measured along the
    # components found, so each ratio is exactly the share of the variance its axis shows.
    found = _svd_lowrank(centred, q) if use_randomized and width > COVARIANCE_MAX_DIM else None
    if found is not None:
        total = centred.square().sum()
        components = found[2][:, :k]
        variance = (centred @ components).square().sum(dim=0)
    else:
        covariance = centred.T @ centred
        total = covariance.diagonal().sum()
        found = _svd_lowrank(covariance, q) if use_randomized else None
        if found is not None:  # the covariance is symmetric PSD: its singular pairs are its eigenpairs
            components = found[2][:, :k]
            variance = (components * (covariance @ components)).sum(dim=0)  # c' C c, per component
        else:
            values, vectors = torch.linalg.eigh(covariance)  # ascending
            variance, components = values.flip(0)[:k].clamp_min(0), vectors.flip(1)[:, :k]
    ratio = variance / total if total > 0 else torch.zeros_like(variance)
    return PrincipalComponents(mean=mean, components=fix_signs(components), explained_variance_ratio=ratio)


def _svd_lowrank(matrix: torch.Tensor, q: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """``torch.svd_lowrank`` with its random test matrix drawn from SEED; None on a device where that
    cannot be done without touching other random streams (the caller then solves exactly).

    Only the generator it draws from is seeded, inside ``fork_rng``, which puts it back afterwards:
    ``torch.manual_seed`` would reseed every device's generator and leave them reseeded.
    """
    device = matrix.device
    if device.type == "cpu":
        devices: list[int] = []
        generator = torch.default_generator
    elif device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        devices, generator = [index], torch.cuda.default_generators[index]
    else:
        return None
    with torch.random.fork_rng(devices=devices, device_type="cuda"):
        generator.manual_seed(SEED)
        return torch.svd_lowrank(matrix, q=q, niter=POWER_ITERATIONS, M=None)
