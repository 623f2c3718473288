"""Pushforward of tangent vectors: how each watched layer moves a small step taken at a point.

``torch.func.jvp`` runs one forward-mode pass over the whole batch: for points (N, D) and vectors
(N, D), every watched layer's Jacobian-vector product J·v comes out at once. Rows are independent
(the model runs in eval mode), so batching gives each point its own pushforward.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from viz3d.capture.model_rows import as_watched
from viz3d.capture.probe import ArrayLike, as_tensor
from viz3d.capture.tracker import LayerSelector, LayerTracker, Token, evaluating
from viz3d.errors import Viz3dError, first_line


def trace_tangents(
    tracker: LayerTracker, points: torch.Tensor, vectors: torch.Tensor
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Activations and tangents {layer name: (N, D)} at ``points`` along ``vectors``."""
    names: list[str] = []

    def forward(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        layers = tracker.trace(x)
        names[:] = [name for name, _, _ in layers]
        return tuple(rows for _, _, rows in layers)

    model = tracker.model
    with evaluating(model):
        primals, tangents = _jvp(forward, points, vectors.to(points.dtype))
    # Inside jvp the W·x stage (output minus bias) gets the Linear's tangent: a bias has no derivative.
    values = {name: p.detach() for name, p in zip(names, primals, strict=True)}
    tangent_rows = {name: t.detach() for name, t in zip(names, tangents, strict=True)}
    return values, tangent_rows


def _jvp(forward: Callable, points: torch.Tensor, vectors: torch.Tensor) -> tuple:
    """``torch.func.jvp`` (forward mode). Where a kernel has no forward-mode derivative, again with
    oneDNN and cuDNN off (oneDNN's LSTM, which CPU torch runs, has none; torch's plain one has) and
    attention on its plain math kernel (the flash and memory-efficient ones have none), then by
    the double-backward trick (``torch.autograd.functional.jvp``), which needs only backward passes
    that can themselves be differentiated: CUDA's fused LSTM and GRU cells, custom autograd Functions
    (of the older kind, without ``setup_context``, too, which torch.func refuses outright)."""
    try:
        return torch.func.jvp(forward, (points,), (vectors,))
    except NotImplementedError as err:
        missing = first_line(err)
    except RuntimeError as err:  # an autograd.Function of the older kind, without setup_context
        if "setup_context" not in str(err):
            raise
        missing = "a custom autograd.Function without setup_context or jvp"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")  # oneDNN's flags say so
        with (
            torch.backends.mkldnn.flags(enabled=False),
            torch.backends.cudnn.flags(enabled=False),
            sdpa_kernel(SDPBackend.MATH),  # attention's fused kernels have no forward-mode derivative
        ):
            try:
                return torch.func.jvp(forward, (points,), (vectors,))
            except (NotImplementedError, RuntimeError):
                pass
            try:
                return torch.autograd.functional.jvp(forward, points, vectors, strict=True)  # never zeros for none
            except (NotImplementedError, RuntimeError):
                pass
    raise Viz3dError(
        f"tangent arrows need the derivative of every watched layer along a vector, and torch has none for one "
        f"of these ({missing}): watch only the layers before it, with layers=[...]"
    )


def pushforward(
    model: nn.Module,
    points: ArrayLike,
    vectors: ArrayLike,
    layers: Sequence[LayerSelector] | None = None,
    output_key: str | int | None = None,
    token: Token = "last",
    stages: bool = False,
) -> dict[str, torch.Tensor]:
    """Tangent vectors (N, D) at every watched layer, for ``vectors`` (N, D_in) at ``points`` (tensors or
    numpy arrays)."""
    points = as_watched(model, as_tensor("points", points), from_array=not isinstance(points, torch.Tensor))
    vectors = as_watched(model, as_tensor("vectors", vectors), from_array=not isinstance(vectors, torch.Tensor))
    if points.ndim < 2:
        raise Viz3dError(
            f"points: shape {tuple(points.shape)} has no batch dimension: pass points[None] and vectors[None] "
            "for one point"
        )
    if not points.is_floating_point():
        raise Viz3dError(
            f"points: integers ({points.dtype}, token ids), which have no directions to push a tangent along: "
            "pass float points (for a model over tokens, push forward from its embeddings instead)"
        )
    if points.shape != vectors.shape:
        raise Viz3dError(
            f"points {tuple(points.shape)} and vectors {tuple(vectors.shape)}: give one vector for each point, "
            "both of the same shape"
        )
    tracker = LayerTracker(model, points, layers=layers, output_key=output_key, token=token, stages=stages)
    return trace_tangents(tracker, points, vectors)[1]
