"""The probe set: the data points, a lattice of grid-line samples, and tangent-arrow seeds.

Data and grid go through the network in one forward pass: rows ``[0, n_data)`` are the data and the
rest are grid samples, joined into line segments by ``grid_segments``. For 2D inputs the grid covers
the input plane; for wider inputs it is the plane of the data's top two principal components through
the mean, mapped back into input space, so the picture shows how the network warps that slice.
Arrow seeds (points and vectors in input space) are pushed forward separately (see `pushforward`).

`checked_inputs` takes the user's inputs and labels as tensors, numpy arrays (or anything numpy reads:
a DataFrame, nested lists), and refuses, in one line naming the fix, those that cannot be watched
(not numbers, no batch dimension, NaN or Inf rows, labels that are not one per row, or NaN targets);
`viz3d.watch`, `live`, `picture` and `video` call it before the model runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from viz3d.errors import Viz3dError


@dataclass(frozen=True)
class ProbeSet:
    inputs: torch.Tensor  # (n_data + n_grid + n_regions, D): every row that goes through the network
    n_data: int
    labels: np.ndarray  # (n_data,) int class of each data point (all 0 for a regression's targets)
    grid_coords: np.ndarray  # (n_grid, 2) float32: where each grid sample sits in the input plane
    grid_segments: np.ndarray  # (S, 2) uint32 row indices into the grid samples, one line segment each
    grid_shape: tuple[int, int] = (0, 0)  # (lines, samples) where `grid_lattice` laid the grid out, else (0, 0)
    arrow_points: torch.Tensor | None = None  # (A, D) where tangent arrows start, in input space
    arrow_vectors: torch.Tensor | None = None  # (A, D) the tangent vectors there
    region_coords: np.ndarray | None = None  # (R, 2) lattice of the input plane tinted by predicted class
    region_triangles: np.ndarray | None = None  # (T, 3) uint32 indices into the region rows
    targets: np.ndarray | None = None  # (n_data,) float32 when the labels are a regression's targets
    labelled: bool = True  # False: no labels were given (``labels`` is all 0), so nothing is correct or wrong

    @property
    def n_regions(self) -> int:
        return 0 if self.region_coords is None else len(self.region_coords)

    @property
    def region_rows(self) -> slice:
        """Where the region lattice sits among the probe rows (after data and grid)."""
        start = self.n_data + self.n_grid
        return slice(start, start + self.n_regions)

    @property
    def n_arrows(self) -> int:
        return 0 if self.arrow_points is None else len(self.arrow_points)

    @property
    def n_grid(self) -> int:
        return len(self.grid_coords)


MIN_ROWS = 3  # rows to draw: principal components of fewer cannot fill three axes
ArrayLike = torch.Tensor | np.ndarray | Sequence  # what the public API takes as rows: see `as_tensor`


def as_tensor(name: str, value: object) -> torch.Tensor:
    """``value`` as a tensor: a tensor as it is, and a numpy array, or anything numpy reads as numbers
    (a DataFrame, nested lists, a list of equal-shaped tensors), copied (so that later changes to the
    user's array change nothing here), floats in their own precision (`as_model_takes` then casts them
    to the model's, once); unsigned integers wider than a byte become int64, which torch can compare."""
    if isinstance(value, torch.Tensor):
        return value
    tensors = isinstance(value, (list, tuple)) and value and all(isinstance(item, torch.Tensor) for item in value)
    rows = tensors and isinstance(value, list) and len({item.shape for item in value}) == 1 and value[0].ndim <= 1
    if rows:  # labels or feature rows gathered one by one (a Dataset loop); a list of batches is refused below
        try:
            return torch.stack([item.detach() for item in value])
        except RuntimeError as err:  # rows on different devices
            raise Viz3dError(f"{name}: a list of rows that cannot be stacked ({err}): put them on one device") from None
    if tensors:
        raise Viz3dError(
            f"{name}: a {type(value).__name__} of {len(value)} tensors, not one tensor: stack rows with "
            "torch.stack(...); a model that takes several inputs needs a wrapper module that takes one"
        )
    if isinstance(value, (str, bytes)) or not (hasattr(value, "__array__") or isinstance(value, (list, tuple))):
        kind = type(value).__name__
        raise Viz3dError(f"{name}: a value of type {kind}, not an array: pass a torch.Tensor or a numpy array")
    try:
        array = np.asarray(value)
    except ValueError:
        if isinstance(value, (list, tuple)):
            raise Viz3dError(f"{name}: rows of different lengths: pass rows that all have the same length") from None
        raise
    if array.dtype.kind in "USO" and name == "labels":  # class names: 'cat', 'dog', ...
        raise Viz3dError(
            f"labels: an array of {array.dtype} values (class names?), not numbers: pass each class's index in "
            "the model's outputs, e.g. torch.tensor([classes.index(name) for name in labels]), where classes lists "
            "the names in the order your model's outputs are"
        )
    if array.dtype.kind not in "biuf":
        raise Viz3dError(
            f"{name}: an array of {array.dtype} values, not numbers: convert it first, e.g. with .astype('float32')"
        )
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:
        array = array.astype(np.float64)  # long double: torch has none
    dtype = torch.int64 if array.dtype.kind == "u" and array.dtype.itemsize > 1 else None
    # a native-order, forward-strided copy: torch takes neither big-endian data nor negative strides
    return torch.tensor(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("=")), dtype=dtype)


def checked_inputs(
    inputs: object, labels: object = None, min_rows: int = 1
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``inputs`` (N, ...) and ``labels`` (N,) (or a regression's (N, 1) float targets) as tensors
    (`as_tensor`), after raising `Viz3dError` for any that cannot be watched, naming the fix.

    Checked up front because each would otherwise fail later and far from its cause: a 1-D tensor as
    "no layer to watch", a NaN row as a PCA that does not converge (or every layer marked bad), labels
    of another length as a few coloured points. What is drawn needs `MIN_ROWS` rows (``min_rows``).
    """
    inputs = as_tensor("inputs", inputs)
    labels = None if labels is None else as_tensor("labels", labels)
    _check_inputs(inputs, labels, min_rows)
    return inputs, labels


def _check_inputs(inputs: torch.Tensor, labels: torch.Tensor | None, min_rows: int) -> None:
    shape = tuple(inputs.shape)
    if inputs.ndim < 2:
        raise Viz3dError(
            f"inputs: shape {shape} has no batch dimension: pass (N, features), "
            "e.g. x[None] for one sample or x[:, None] for N numbers"
        )
    n = len(inputs)
    if n == 0:
        raise Viz3dError(f"inputs: shape {shape} has no rows: pass the rows to watch, one per sample")
    if n < min_rows:
        raise Viz3dError(
            f"inputs: shape {shape} has {n} row{'s' if n > 1 else ''}: pass at least {min_rows}, "
            "so that a layer's points span the three axes they are drawn on"
        )
    bad = _rows_not_finite(inputs)
    if len(bad):
        raise Viz3dError(
            f"inputs: row {int(bad[0])} has NaN or Inf values ({len(bad)} of {n} rows): "
            "drop or fill them before watching"
        )
    if labels is None:
        return
    shape = tuple(labels.shape)
    column = shape == (n, 1)  # one label per row, as a column: a regression's targets, as MSELoss wants them
    if labels.ndim != 1 and not column:
        if labels.ndim == 2 and _one_hot(labels):
            hint = "y.argmax(1), since y is one-hot"
        elif labels.is_floating_point() and labels.ndim == 2:
            hint = "y[:, 0] for the first target"
        else:
            hint = "y.argmax(1) if y is one-hot"
        raise Viz3dError(
            f"labels: shape {shape} is not one label per input: pass shape ({n},), e.g. {hint} "
            "(integer labels colour points by class, float targets by value)"
        )
    if len(labels) != n:
        raise Viz3dError(f"labels: {len(labels)} labels for {n} inputs: give one label per input row")
    bad = _rows_not_finite(labels.reshape(n, -1))
    if len(bad):
        raise Viz3dError(
            f"labels: row {int(bad[0])} is NaN or Inf ({len(bad)} of {n} rows): drop those rows or fill them "
            "(such a label has no colour, and one makes a whole loss NaN)"
        )


def all_zero_or_one(labels: torch.Tensor) -> bool:
    """Whether every one of ``labels`` is 0 or 1."""
    values = labels.detach()
    return bool(((values == 0) | (values == 1)).all())


def _one_hot(labels: torch.Tensor) -> bool:
    """Whether (N, C) ``labels`` are 0s and 1s with a single 1 in each row."""
    return all_zero_or_one(labels) and bool((labels.detach().sum(dim=1) == 1).all())


def _rows_not_finite(values: torch.Tensor) -> torch.Tensor:
    """Indices of the rows of (N, ...) ``values`` holding a NaN or Inf (none for integer tensors)."""
    values = values.detach()
    if not values.is_floating_point() or bool(torch.isfinite(values.sum())):  # no full-size temporary
        return torch.zeros(0, dtype=torch.long)
    return (~torch.isfinite(values.flatten(1))).any(dim=1).nonzero().flatten()


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
    return coords.astype(np.float32), lattice_segments(lines, samples)


def lattice_segments(lines: int, samples: int, step: int = 1) -> np.ndarray:
    """The segments of `grid_lattice`'s layout (``2·lines`` lines of ``samples`` samples, the horizontal ones
    first). With ``step`` > 1, the same lattice drawn coarser: every step-th line each way and every step-th
    sample along it, the last line and sample always kept, so the grid still spans the same box."""
    kept_lines, kept_samples = _every(lines, step), _every(samples, step)
    firsts = np.concatenate([kept_lines, lines + kept_lines])[:, None] * samples  # each kept line's first row
    starts, ends = firsts + kept_samples[None, :-1], firsts + kept_samples[None, 1:]
    return np.stack([starts.reshape(-1), ends.reshape(-1)], axis=1).astype(np.uint32)


def _every(count: int, step: int) -> np.ndarray:
    """0, step, 2·step, ... below ``count``, and ``count - 1`` (the last) where that skipped it."""
    kept = np.arange(0, count, step)
    return kept if count == 0 or kept[-1] == count - 1 else np.append(kept, count - 1)


def region_lattice(lo: np.ndarray, hi: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """A (cells+1)² lattice over the box [lo, hi] and its 2·cells² triangles."""
    ticks = np.linspace(0.0, 1.0, cells + 1)
    u, v = np.meshgrid(ticks, ticks, indexing="ij")
    coords = lo + (hi - lo) * np.stack([u.ravel(), v.ravel()], axis=1)
    corner = (np.arange(cells)[:, None] * (cells + 1) + np.arange(cells)[None, :]).ravel()
    right, up = corner + (cells + 1), corner + 1
    triangles = np.concatenate([np.stack([corner, right, up], 1), np.stack([right, right + 1, up], 1)])
    return coords.astype(np.float32), triangles.astype(np.uint32)


def make_probe(
    x: torch.Tensor,
    y: torch.Tensor,
    grid_lines: int,
    grid_samples: int,
    grid_margin: float,
    arrow_points: torch.Tensor | None = None,
    arrow_vectors: torch.Tensor | None = None,
    regions: int = 0,
    dtype: torch.dtype = torch.float32,
) -> ProbeSet:
    """Probe = the data, a grid over the data's extent (plus a margin), arrow seeds, and for 2D inputs
    an optional lattice (``regions`` cells across) to tint by predicted class.

    Float inputs (and the grid, and the arrows) take ``dtype``, the model's; integer inputs (token ids,
    indices) stay as they are, with no grid: there is no plane between them."""
    data = x.detach().to(dtype) if x.is_floating_point() else x.detach()
    targets = None
    if y.is_floating_point():  # values, not classes: points are coloured by value (see colors.color_source)
        targets = y.detach().float().cpu().numpy().reshape(len(y), -1)[:, 0]  # float32: numpy has no bfloat16
        labels = np.zeros(len(targets), np.int64)
    else:
        labels = y.detach().cpu().numpy().astype(np.int64)
    points = data.reshape(len(data), -1).float().cpu().numpy()  # float32: numpy has no bfloat16
    region_coords = region_triangles = None
    shape = (grid_lines, grid_samples)
    if not data.is_floating_point():
        coords, segments = np.zeros((0, 2), np.float32), np.zeros((0, 2), np.uint32)
        grid = torch.zeros((0, *data.shape[1:]), dtype=data.dtype)
        shape = (0, 0)
    elif points.shape[1] == 2 and data.ndim == 2:
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = grid_margin * (hi - lo)
        coords, segments = grid_lattice(lo - pad, hi + pad, grid_lines, grid_samples)
        grid = torch.from_numpy(coords)
        if regions > 0:
            region_coords, region_triangles = region_lattice(lo - pad, hi + pad, regions)
            grid = torch.cat([grid, torch.from_numpy(region_coords)])
    elif points.shape[1] > 2 and data.ndim == 2:
        coords, segments, grid = _principal_plane_grid(points, grid_lines, grid_samples, grid_margin)
    else:  # 1D inputs, images, sequences: no grid
        coords, segments = np.zeros((0, 2), np.float32), np.zeros((0, 2), np.uint32)
        grid = torch.zeros((0, *data.shape[1:]))
        shape = (0, 0)
    check_arrows(arrow_points, arrow_vectors, tuple(data.shape[1:]))
    if arrow_points is not None and not data.is_floating_point():
        raise Viz3dError(
            f"arrow_points: the inputs are integers ({data.dtype}, token ids), which have no directions to push "
            "a tangent along: leave the arrows out"
        )
    return ProbeSet(
        inputs=torch.cat([data, grid.to(data.device, data.dtype)]),
        n_data=len(data),
        labels=labels,
        grid_coords=coords,
        grid_segments=segments,
        grid_shape=shape,
        arrow_points=None if arrow_points is None else arrow_points.detach().to(data.device, dtype),
        arrow_vectors=None if arrow_vectors is None else arrow_vectors.detach().to(data.device, dtype),
        targets=targets,
        region_coords=region_coords,
        region_triangles=region_triangles,
    )


def check_arrows(
    points: torch.Tensor | None, vectors: torch.Tensor | None, input_shape: tuple[int, ...] | None = None
) -> None:
    """Tangent arrows are given as two arrays of the same shape, one vector at each point, each row of an
    input's shape (``input_shape``, where the inputs are known); else `Viz3dError` names the fix."""
    if (points is None) != (vectors is None):
        given, missing = ("arrow_points", "arrow_vectors") if vectors is None else ("arrow_vectors", "arrow_points")
        raise Viz3dError(f"{given} without {missing}: an arrow is a vector at a point, so give both or neither")
    if points is None or vectors is None:
        return
    if points.shape != vectors.shape:
        raise Viz3dError(
            f"arrow_points {tuple(points.shape)} and arrow_vectors {tuple(vectors.shape)}: give one vector "
            "for each point, both of the same shape"
        )
    if input_shape is not None and (points.ndim < 1 or tuple(points.shape[1:]) != input_shape):
        raise Viz3dError(
            f"arrow_points {tuple(points.shape)}: each arrow's point and vector is a row shaped as one input "
            f"{input_shape}, so pass shape (arrows, {', '.join(map(str, input_shape))})"
        )


def _principal_plane_grid(
    points: np.ndarray, lines: int, samples: int, margin: float
) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """A lattice in the plane of the top two principal components through the mean, in input space."""
    from viz3d.project.pca import principal_components

    # PCA of the points scaled to at most 1 (the components are the same): inputs around 1e19 overflowed
    # the float32 covariance, and the eigensolver failed before any layer was drawn
    size = float(np.abs(points).max()) if points.size else 0.0
    scale = size if np.isfinite(size) and size > 0 else 1.0
    pcs = principal_components(torch.from_numpy(points / scale), k=2)
    mean, plane = pcs.mean.numpy() * scale, pcs.components.numpy()  # (D,), (D, 2)
    in_plane = (points - mean) @ plane
    lo, hi = in_plane.min(axis=0), in_plane.max(axis=0)
    pad = margin * (hi - lo)
    coords, segments = grid_lattice(lo - pad, hi + pad, lines, samples)
    return coords, segments, torch.from_numpy(mean + coords @ plane.T)
