"""Maps every layer of a `Snapshot` to 3D positions, one linear map per layer.

- Layers of width <= 3 keep their own coordinates, padded with zeros.
- Wider layers go through PCA of their activations (torch, on the activations' device), fitted on the
  fit rows (the data points, not the grid); ``axes`` picks which three components become x, y, z,
  for all layers or per layer name.
- Stability: a PCA layer's 3D picture is rotated (orthogonal Procrustes, within its three chosen
  axes) onto the layer before it and onto the same layer in the ``previous`` projection, so bases that
  flip or swap between layers or steps do not make the picture jump. ``frozen`` maps hold a chosen
  step's axes instead.
- Big probes: with more than FIT_SAMPLE fit rows, the PCA, the display scale and the alignment are
  fitted on an evenly strided subset of them (then every row is projected). For a display this
  loses nothing visible (tested against the exact PCA) and makes a 100k-point capture cheap.
- Display scale: each layer is scaled by one factor so that 99% of its data points lie inside the
  cube [-1, 1]^3; a layer drawn in its own coordinates (3 wide or less, not centred), within 1 of its
  middle, unless the origin would then lie more than 4 away. With ``shared_scale`` all layers use one
  factor (the smallest of theirs), so a map that stretches space is seen to stretch it (the
  change-of-basis and Jacobian pictures).

Each layer's whole map is affine, ``position = (a - mean) @ matrix``; tangent vectors project with
``matrix`` alone. Layers with NaN or Inf activations in a data row are skipped (they repeat the previous
layer's picture) and listed in ``bad_layers``; NaN or Inf in other rows (the grid, where the model is
undefined off the data) leaves those rows NaN, and the layer is listed in ``missing_layers``.
Everything runs on the device; one copy brings the result home.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from viz3d.capture.probe import MIN_ROWS
from viz3d.capture.snapshot import WX, WX_PLUS_B, WX_SUFFIX, Snapshot
from viz3d.errors import Viz3dError
from viz3d.project.align import procrustes_rotation
from viz3d.project.pca import principal_components

N_COMPONENTS = 10  # explained-variance ratios reported per layer
FIT_QUANTILE = 0.99
ORIGIN_SHARE = 0.25  # a layer drawn in its own coordinates keeps the origin within 4 of its half-sizes
FIT_SAMPLE = 4096  # above this many fit rows, PCA, scale and alignment use an evenly strided subset
# A layer gives every input the same output (dead ReLUs, saturated units) when its fitted rows differ by no
# more than this many units in the last place of their largest value: rounding, never a real spread.
# Display scaling cannot spread what has no spread at all, so it is drawn as one dot, and the panel says why.
COLLAPSED_ULPS = 2.0
Axes = tuple[int, int, int]


@dataclass(frozen=True)
class LayerMap:
    """The affine map from one layer's activations to its 3D display position."""

    mean: np.ndarray  # (D,)
    matrix: np.ndarray  # (D, 3)

    def apply(self, activations: np.ndarray) -> np.ndarray:
        return (np.asarray(activations, np.float32) - self.mean) @ self.matrix

    def push(self, tangents: np.ndarray) -> np.ndarray:
        """Tangent vectors move by the linear part alone."""
        return np.asarray(tangents, np.float32) @ self.matrix


@dataclass(frozen=True)
class Projection:
    """Positions (L, N, 3) float32 and, per layer, the top components' explained-variance ratios."""

    step: int
    layer_names: list[str]
    layer_labels: list[str]
    positions: np.ndarray  # (L, N, 3) float32
    explained_variance_ratio: np.ndarray  # (L, N_COMPONENTS), NaN past a layer's width
    scales: np.ndarray  # (L,) the display scale applied to each layer
    maps: list[LayerMap] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    axes: list[Axes] = field(default_factory=list)  # the components shown, per layer
    bad_layers: list[str] = field(default_factory=list)  # layers with NaN/Inf activations
    collapsed_layers: list[str] = field(default_factory=list)  # layers that give every data point one output
    missing_layers: list[str] = field(default_factory=list)  # layers with NaN rows past the data (grid, arrows)
    # What the session adds for colouring and labels (None when it does not apply):
    predictions: np.ndarray | None = None  # (n_data,) predicted class of each data point
    predicted_values: np.ndarray | None = None  # (n_data,) a regression's predicted value for each point
    region_probs: np.ndarray | None = None  # (n_regions, C) class probabilities on the region lattice
    neuron_values: np.ndarray | None = None  # (n_data,) the chosen neuron's activation
    neuron_range: tuple[float, float] | None = None  # its values at the two ends of the colour scale
    arrow_text: list[list[str]] | None = None  # per layer, per arrow: the pushed vector, written out


def check_axes(axes: Axes | Mapping[str, Axes]) -> None:
    """Raise `Viz3dError` unless ``axes`` (or each layer's, in a mapping) are three component indices."""
    for name, chosen in axes.items() if isinstance(axes, Mapping) else [("", axes)]:
        where = f"axes[{name!r}]" if name else "axes"
        try:
            picked = tuple(chosen)
        except TypeError:
            picked = None
        if picked is None or len(picked) != 3 or not all(isinstance(a, (int, np.integer)) for a in picked):
            raise Viz3dError(f"{where}: {chosen!r} is not three component indices: pass e.g. (0, 1, 2) for x, y, z")
        if min(picked) < 0:
            raise Viz3dError(f"{where}: {picked} has a negative index: components count from 0, the largest first")
        if max(picked) >= N_COMPONENTS:  # past them no variance is known, and a rank-deficient layer's are noise
            raise Viz3dError(
                f"{where}: {picked} reaches past the top {N_COMPONENTS} components, the ones shown with their "
                f"variance: pick from 0 to {N_COMPONENTS - 1}"
            )
        if len(set(picked)) != 3:
            raise Viz3dError(f"{where}: {picked} repeats a component: pick three different ones, e.g. (0, 1, 2)")


def stage_partner(name: str, layer_names: list[str]) -> str | None:
    """The other stage of a Linear split into W·x and W·x + b (``stages=True``): ``"0"`` for ``"0:Wx"``
    and back; None for any other layer. The two share their display map, so their axes go together."""
    partner = name.removesuffix(WX_SUFFIX) if name.endswith(WX_SUFFIX) else name + WX_SUFFIX
    return partner if partner in layer_names else None


def _within(axes: Axes, components: int) -> Axes:
    """``axes`` for a layer of ``components`` components: one past them becomes the last one not already
    shown, so that no axis repeats another ((8, 9, 10) for ten components is (8, 9, 7), not (8, 9, 9))."""
    kept = [a if a < components else None for a in axes]
    free = [c for c in range(components - 1, -1, -1) if c not in kept]
    return tuple(a if a is not None else free.pop(0) for a in kept)  # type: ignore[return-value]


def axes_for(name: str, axes: Axes | Mapping[str, Axes]) -> Axes:
    if isinstance(axes, Mapping):
        return tuple(axes.get(name, (0, 1, 2)))  # type: ignore[return-value]
    return tuple(axes)  # type: ignore[return-value]


def project(
    snapshot: Snapshot,
    axes: Axes | Mapping[str, Axes] = (0, 1, 2),
    fit_rows: slice | None = None,
    previous: Projection | None = None,
    frozen: Mapping[str, LayerMap] | None = None,
    shared_scale: bool = False,
    input_cache: dict | None = None,
) -> Projection:
    """Project every layer of ``snapshot`` to display coordinates (see the module docstring).

    ``input_cache`` (a dict kept by the caller) remembers the input layer's map and positions: the probe
    does not change between captures, so neither do they.
    """
    check_axes(axes)
    unknown = [name for name in axes if name not in snapshot.layer_names] if isinstance(axes, Mapping) else []
    if unknown:
        raise Viz3dError(
            f"axes: no layer named {', '.join(map(repr, unknown))}: the snapshot's layers are "
            f"{', '.join(snapshot.layer_names)}"
        )
    rows = fit_subset(fit_rows, snapshot.n_samples)
    data_rows = fit_rows if fit_rows is not None else slice(None)
    fitted = len(range(*rows.indices(snapshot.n_samples)))  # the rows the PCA is fitted on (the data points)
    if fitted < MIN_ROWS:
        raise Viz3dError(
            f"{fitted} data row{'s' if fitted != 1 else ''} to fit the projection on: it needs at least "
            f"{MIN_ROWS}, so that a layer's points span the three axes they are drawn on"
        )
    first = snapshot.activations[snapshot.layer_names[0]]
    device = first.device
    positions, ratios, matrices, means, widths, shown_axes, bad, missing = [], [], [], [], [], [], [], []
    one_output: list[torch.Tensor] = []  # per layer, whether its fitted rows are all one row (a device bool)
    neighbour: torch.Tensor | None = None
    wx_map: LayerMap | None = None  # the map of a W·x stage just drawn (device tensors), which its +b takes
    wx_axes: Axes = (0, 1, 2)
    for name, kind in zip(snapshot.layer_names, snapshot.layer_kinds, strict=True):
        acts = snapshot.activations[name].float()
        width = acts.shape[1]
        widths.append(width)
        # a layer has as many components as it has columns, or fitted rows if fewer (see `_within`)
        chosen = _within(axes_for(name, axes), min(width, fitted)) if width > 3 else (0, 1, 2)
        frozen_map = frozen.get(name) if frozen else None
        if frozen_map is None and kind == WX_PLUS_B and wx_map is not None and wx_map.matrix.shape[0] == width:
            # +b through W·x's own map: the whole cloud moves by the bias, in W·x's axes and scale (its own
            # PCA would centre the shift away, and draw it exactly as W·x); the overlay picks both stages'
            # axes together (see `stage_partner`)
            frozen_map, chosen = wx_map, wx_axes
        shown_axes.append(chosen)
        cache_key = _input_key(name, acts, chosen) if input_cache is not None else None
        if cache_key is not None and cache_key in input_cache:
            _, found = input_cache[cache_key]
        else:
            target = _alignment_target(name, neighbour, previous, rows, acts.shape[0], device)
            found = _layer_map(acts, rows, chosen, frozen_map, target)
            if found is not None and cache_key is not None and frozen_map is None:
                input_cache.clear()
                input_cache[cache_key] = (acts, found)  # holding acts keeps its address from being reused
        layer_positions = None
        if found is not None:
            mean, matrix, ratio, layer_positions = found
        # NaN/Inf in a data row makes the layer bad; in other rows (grid samples where the model is undefined,
        # sqrt of a negative, say) it leaves those rows without a position, and the grid a hole there
        holes = layer_positions is not None and not _finite(layer_positions)
        if layer_positions is None or (holes and not _finite(layer_positions[data_rows])):
            bad.append(name)
            mean, matrix = torch.zeros(width, device=device), torch.zeros(width, 3, device=device)
            ratio = torch.full((N_COMPONENTS,), float("nan"), device=device)
            layer_positions = neighbour if neighbour is not None else torch.zeros(acts.shape[0], 3, device=device)
        else:
            if holes:
                missing.append(name)
            neighbour = layer_positions  # the next layer is aligned on its data rows, which are all finite
        wx_map = LayerMap(mean, matrix) if kind == WX and name not in bad else None
        wx_axes = chosen
        one_output.append(_one_output(acts[rows]))  # the activations themselves: no display choice counts
        positions.append(layer_positions)
        matrices.append(matrix)
        means.append(mean)
        ratios.append(ratio)
    scales = torch.stack([_matrix_scale(m) for m in matrices])  # on the device: no sync per layer
    if shared_scale:
        common = scales[scales > 0].min() if bool((scales > 0).any()) else scales.new_tensor(1.0)
        factors = torch.where(scales > 0, common / scales.clamp_min(1e-30), torch.ones_like(scales))
        positions = [p * f for p, f in zip(positions, factors, strict=True)]
        matrices = [m * f for m, f in zip(matrices, factors, strict=True)]
        scales = scales * factors
    stacked = torch.stack(positions).float().cpu().numpy()  # the one big device→host copy
    flags = torch.stack(one_output).cpu().tolist()
    collapsed = [name for name, flag in zip(snapshot.layer_names, flags, strict=True) if flag and name not in bad]
    return Projection(
        step=snapshot.step,
        layer_names=list(snapshot.layer_names),
        layer_labels=snapshot.labels(),
        positions=np.ascontiguousarray(stacked, dtype=np.float32),
        explained_variance_ratio=torch.stack(ratios).cpu().numpy(),
        scales=scales.float().cpu().numpy(),
        maps=[LayerMap(m.cpu().numpy(), x.cpu().numpy()) for m, x in zip(means, matrices, strict=True)],
        widths=widths,
        axes=shown_axes,
        bad_layers=bad,
        collapsed_layers=collapsed,
        missing_layers=missing,
    )


def _finite(values: torch.Tensor) -> bool:
    """Whether every value is finite: one sum, and the full check only where the sum is not finite."""
    return bool(torch.isfinite(values.sum())) or bool(torch.isfinite(values).all())


def _layer_map(
    acts: torch.Tensor,
    rows: slice,
    chosen: Axes,
    frozen_map: LayerMap | None,
    target: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """(mean, matrix, explained-variance ratios, positions) of one layer; None for NaN/Inf data."""
    fitted = _fit_map(acts, rows, chosen, frozen_map, target)
    return None if fitted is None else (*fitted, apply_map(acts, fitted[0], fitted[1]))


def _fit_map(
    acts: torch.Tensor,
    rows: slice,
    chosen: Axes,
    frozen_map: LayerMap | None,
    target: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """(mean, matrix, explained-variance ratios) of one layer's display map; None for NaN/Inf data."""
    device, width = acts.device, acts.shape[1]
    fit = acts[rows]
    if not _finite(fit):  # keep NaN out of the eigensolver
        return None
    try:
        pcs = principal_components(fit, k=N_COMPONENTS)
    except torch.linalg.LinAlgError:  # finite, but so large that the covariance overflows (a diverging model)
        return None
    ratio = torch.full((N_COMPONENTS,), float("nan"), device=device)
    ratio[: len(pcs.explained_variance_ratio)] = pcs.explained_variance_ratio
    if frozen_map is not None and frozen_map.matrix.shape[0] == width:
        return torch.as_tensor(frozen_map.mean, device=device), torch.as_tensor(frozen_map.matrix, device=device), ratio
    if width <= 3:
        pad = torch.eye(width, 3, device=device)
        return torch.zeros(width, device=device), pad * _own_scale(fit @ pad), ratio
    mean = pcs.mean
    basis = pcs.components[:, list(chosen)] if max(chosen) < pcs.components.shape[1] else _full_basis(fit, chosen)
    coords = (fit - mean) @ basis
    if target is not None:  # the rotation does not depend on scale, so align first, then scale
        rotation = procrustes_rotation(coords, target)
        basis, coords = basis @ rotation, coords @ rotation
    return mean, basis * _scale(coords), ratio


def _one_output(fit: torch.Tensor) -> torch.Tensor:
    """Whether every row of ``fit`` is the same, but for rounding (a 0-d bool tensor, on its device: no
    sync). NaN compares false: a layer with NaN is a bad layer, not a collapsed one. ``fit`` is float, as
    `project` makes every layer's activations."""
    spread = (fit.amax(dim=0) - fit.amin(dim=0)).max()
    return spread <= COLLAPSED_ULPS * torch.finfo(fit.dtype).eps * fit.abs().max()


def apply_map(acts: torch.Tensor, mean: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """``(acts - mean) @ matrix`` for every row, without an (N, D) temporary.

    Written as ``F.linear`` with the (3, D) transpose made contiguous: for this tall-skinny product the
    CPU BLAS streams each row against contiguous weight rows, 4x faster than ``acts @ matrix`` with a
    (D, 3) right-hand side (100k x 512: 30 -> 7.5 ms).
    """
    return torch.nn.functional.linear(acts, matrix.T.contiguous(), -(mean @ matrix))


def fit_subset(fit_rows: slice | None, n_rows: int) -> slice:
    """The fit rows, strided down to about FIT_SAMPLE of them when there are more."""
    start, stop, _ = (fit_rows or slice(None)).indices(n_rows)
    step = max(1, -(-(stop - start) // FIT_SAMPLE))
    return slice(start, stop, step)


def _input_key(name: str, acts: torch.Tensor, chosen: Axes) -> tuple | None:
    """Identify an unchanged input layer (the first: nothing before it to align to): the same storage,
    never written to since."""
    if name != "input" or acts.is_inference():  # a token's mean, made under inference_mode: no version to read
        return None
    return (acts.data_ptr(), acts._version, tuple(acts.shape), chosen)


def _scale(coords: torch.Tensor) -> torch.Tensor:
    """One factor that puts 99% of the rows inside [-1, 1]^3 (stays a device tensor: no sync)."""
    return _inverse(_extent(coords))


def _own_scale(coords: torch.Tensor) -> torch.Tensor:
    """The scale of a layer drawn in its own coordinates: 99% of its rows within 1 of their middle, as a
    centred layer fills [-1, 1]^3, but its origin no more than 1 / ORIGIN_SHARE of that away. Scaled about
    the origin, a layer of positive values (a ReLU's, a sigmoid's) filled only a corner of the cube, and
    one with a bias of +5 was a dot; the camera looks at the layer's middle (`app.state.center_of`)."""
    ends = torch.quantile(coords, torch.tensor([0.005, 0.995], device=coords.device, dtype=coords.dtype), dim=0)
    middle = ends.mean(dim=0)  # robust to a few far rows, as the 99% extent is
    return _inverse(torch.maximum(_extent(coords - middle), ORIGIN_SHARE * _extent(coords)))


def _inverse(extent: torch.Tensor) -> torch.Tensor:
    """The factor that brings ``extent`` to 1 (1 for a layer with no extent: all its rows alike)."""
    return torch.where(extent > 1e-12, 1.0 / extent, torch.ones_like(extent))


def _extent(coords: torch.Tensor) -> torch.Tensor:
    """How far from 0, in its largest coordinate, 99% of the rows lie."""
    extents = coords.abs().amax(dim=1)
    rank = max(1, math.ceil(FIT_QUANTILE * extents.numel()))  # a selection, not quantile's full sort
    return extents.kthvalue(rank).values


def _matrix_scale(matrix: torch.Tensor) -> torch.Tensor:
    """The display scale folded into a layer's map (its largest column norm; 0 for a skipped layer)."""
    return matrix.norm(dim=0).max()


def _full_basis(fit: torch.Tensor, chosen: Axes) -> torch.Tensor:
    """Components beyond the reported top ones, when an axis past N_COMPONENTS is asked for."""
    return principal_components(fit, k=max(chosen) + 1).components[:, list(chosen)]


def _alignment_target(
    name: str,
    neighbour: torch.Tensor | None,
    previous: Projection | None,
    rows: slice,
    n_rows: int,
    device: torch.device,
) -> torch.Tensor | None:
    """What a PCA layer is rotated onto: the layer before it plus its own picture at the previous step."""
    target = neighbour[rows] if neighbour is not None else None
    if previous is not None and name in previous.layer_names and previous.positions.shape[1] == n_rows:
        before = previous.positions[previous.layer_names.index(name)]
        before = torch.as_tensor(before, device=device)[rows]
        target = before if target is None else target + before
    return target
