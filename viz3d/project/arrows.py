"""Tangent arrows in display space: each layer's base point and tip, through that layer's own map.

An arrow at input point p with vector v appears in layer l from f_l(p) to f_l(p) + J_l·v, both mapped
by the layer's affine display map (the tip's offset by its linear part alone), so the drawn arrow is
exactly the pushed-forward vector seen through the same projection as the points.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from viz3d.project.projection import Projection


def arrow_rows(
    projection: Projection, values: dict[str, torch.Tensor], tangents: dict[str, torch.Tensor]
) -> np.ndarray:
    """(L, 2A, 3) float32: for each layer, base then tip of every arrow, interleaved."""
    rows = []
    previous: np.ndarray | None = None
    for name, layer_map in zip(projection.layer_names, projection.maps, strict=True):
        if name in values and name not in projection.bad_layers:
            base = layer_map.apply(values[name].float().cpu().numpy())  # float32: numpy has no bfloat16
            tip = base + layer_map.push(tangents[name].float().cpu().numpy())
            pairs = np.stack([base, tip], axis=1).reshape(-1, 3)
        else:  # a layer the tangent pass did not see: hold the previous layer's arrows
            count = len(next(iter(values.values())))
            pairs = previous if previous is not None else np.zeros((2 * count, 3), np.float32)
        rows.append(pairs)
        previous = pairs
    return np.stack(rows).astype(np.float32)


def arrow_text(projection: Projection, tangents: dict[str, torch.Tensor]) -> list[list[str]]:
    """Each arrow's vector in each layer's own coordinates, e.g. ``(1.9, 1.0)``; wide layers give its length."""
    text = []
    for name, width in zip(projection.layer_names, projection.widths, strict=True):
        vectors = tangents[name].float().cpu().numpy() if name in tangents else None
        if vectors is None:
            text.append([""] * len(next(iter(tangents.values()))))
        elif width <= 3:
            text.append(["(" + ", ".join(_number(c) for c in v) + ")" for v in vectors])
        else:
            text.append([f"|v| = {_number(np.linalg.norm(v))}" for v in vectors])
    return text


def _number(value: float) -> str:
    """Two decimals at most, one at least: 1.9, 1.0, -0.25, 12.0."""
    text = f"{value:.2f}".rstrip("0")
    if text in ("-0.", "-."):  # -0.001 and -0.0 round to zero: no sign on it
        text = "0."
    return text + "0" if text.endswith(".") else text


def with_arrows(projection: Projection, rows: np.ndarray, text: list[list[str]] | None = None) -> Projection:
    """The projection with arrow rows appended after its probe rows (data, grid, regions); a layer where an
    arrow's rows are NaN or Inf joins ``missing_layers`` (the renderer then draws no arrow there)."""
    positions = np.ascontiguousarray(np.concatenate([projection.positions, rows], axis=1), dtype=np.float32)
    holes = [n for n, layer in zip(projection.layer_names, rows, strict=True) if not np.isfinite(layer).all()]
    missing = projection.missing_layers + [name for name in holes if name not in projection.missing_layers]
    return dataclasses.replace(projection, positions=positions, arrow_text=text, missing_layers=missing)
