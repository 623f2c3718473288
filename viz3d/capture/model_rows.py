"""How a user's rows reach their model: on the device of its weights, float rows in their dtype; and
which module runs them (`eager`: the one torch.compile wraps).

The weights are the model's floating-point parameters, or its floating-point buffers where it has no
parameters (a fixed map kept in a buffer); integer rows (token ids, indices) keep their dtype.
"""

from __future__ import annotations

from itertools import chain

import torch
from torch import nn

from viz3d.errors import Viz3dError


def eager(model: nn.Module) -> nn.Module:
    """The module ``torch.compile`` wrapped (an ``OptimizedModule``'s ``_orig_mod``), else the model itself.
    A compiled graph, once made, runs without the hooks a capture attaches later; the module it wraps runs
    them, and shares its weights, so captures and scores run it and training keeps the compiled one."""
    while isinstance(getattr(model, "_orig_mod", None), nn.Module):
        model = model._orig_mod
    return model


def _first_weights(model: nn.Module) -> torch.Tensor | None:
    tensors = chain(model.parameters(), model.buffers())
    return next((tensor for tensor in tensors if tensor.is_floating_point()), None)


def check_weights_have_values(model: nn.Module) -> None:
    """Refuse a model on the 'meta' device (made under torch.device("meta"), say), which has shapes but no
    values: there is nothing to draw (`watch` still runs on one, shapes only)."""
    weights = _first_weights(model)
    if weights is not None and weights.is_meta:
        raise Viz3dError(
            "the model's weights are on the 'meta' device, which holds shapes but no values: give it weights "
            "first, e.g. model.to_empty(device='cpu') and then model.load_state_dict(...)"
        )


def weights_dtype(model: nn.Module) -> torch.dtype | None:
    """The dtype of the model's first floating-point parameter, or buffer (None for a model with neither)."""
    weights = _first_weights(model)
    return None if weights is None else weights.dtype


def as_model_takes(model: nn.Module, rows: torch.Tensor) -> torch.Tensor:
    """``rows`` on the device of the model's weights, float rows in their dtype (integer rows as they are);
    a model without weights takes them as they are."""
    weights = _first_weights(model)
    if weights is None:
        return rows
    return rows.to(weights.device, weights.dtype) if rows.is_floating_point() else rows.to(weights.device)


def as_watched(model: nn.Module, rows: torch.Tensor, from_array: bool) -> torch.Tensor:
    """How `watch` and `pushforward` take rows: on the device of the model's weights, rows converted from
    an array (numpy's float64, say) in the weights' dtype (`as_model_takes`), the user's own tensors in
    theirs (a CPU batch for a CUDA model moves; its precision stays)."""
    if from_array:
        return as_model_takes(model, rows)
    weights = _first_weights(model)
    return rows if weights is None else rows.to(weights.device)
