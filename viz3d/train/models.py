"""Preset models: plain MLPs whose Linear and activation modules are separate stages to watch."""

from __future__ import annotations

import torch
from torch import nn

from viz3d.presets import ModelSpec

ACTIVATIONS: dict[str, type[nn.Module] | None] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "none": None,
}


def mlp(in_features: int, hidden: tuple[int, ...], n_classes: int, activation: str = "tanh") -> nn.Sequential:
    """``Linear → activation`` for each hidden width, then a ``Linear`` to the class logits."""
    layers: list[nn.Module] = []
    width = in_features
    act = ACTIVATIONS[activation]
    for out in hidden:
        layers.append(nn.Linear(width, out))
        if act is not None:
            layers.append(act())
        width = out
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def make_model(spec: ModelSpec, in_features: int, n_classes: int) -> nn.Sequential:
    """Build the preset's model with its weights drawn from the preset's seed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        return mlp(in_features, spec.hidden, n_classes, spec.activation)
