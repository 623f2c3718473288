"""Datasets generated from a fixed seed, so every run and every test sees the same points."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from viz3d.presets import DatasetSpec


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` (N, D) float32, integer class labels ``y`` (N,), and the class names."""

    x: torch.Tensor
    y: torch.Tensor
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def two_spirals(points: int = 1000, turns: float = 0.85, noise: float = 0.02, seed: int = 0) -> Dataset:
    """Two interleaved spirals in [-1, 1]², one the other rotated by half a turn.

    Radius grows linearly with the angle from 0.2 to 1, so the arms never meet at the centre;
    angles are drawn with density growing along the arm so points are even along its length.
    """
    gen = torch.Generator().manual_seed(seed)
    half = points // 2
    sweep = turns * 2 * math.pi
    angle = torch.sqrt(torch.rand(half, generator=gen)) * sweep
    radius = 0.2 + 0.8 * angle / sweep
    arm = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    x = torch.cat([arm, -arm]) + noise * torch.randn(2 * half, 2, generator=gen)
    y = torch.cat([torch.zeros(half, dtype=torch.long), torch.ones(half, dtype=torch.long)])
    return Dataset(x=x.float(), y=y, class_names=("spiral A", "spiral B"))


def make_dataset(spec: DatasetSpec) -> Dataset:
    """Build the dataset a preset names."""
    if spec.kind == "spirals":
        return two_spirals(spec.points, spec.turns, spec.noise, spec.seed)
    raise ValueError(f"unknown dataset kind {spec.kind!r}")  # presets.py validates kinds first
