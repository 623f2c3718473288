"""Preset models: MLPs whose Linear and activation modules are separate stages to watch, one plain
matrix (a change of basis), and the fixed quadratic map of the Jacobian example."""

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


class QuadraticMap(nn.Module):
    """h(x1, x2) = (x1² + x2, x1 + x2): a smooth map whose Jacobian changes from point to point."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[:, 0], x[:, 1]
        return torch.stack([x1 * x1 + x2, x1 + x2], dim=1)


def mlp(in_features: int, hidden: tuple[int, ...], n_out: int, activation: str = "tanh") -> nn.Sequential:
    """``Linear → activation`` for each hidden width, then a ``Linear`` to the outputs."""
    layers: list[nn.Module] = []
    width = in_features
    act = ACTIVATIONS[activation]
    for out in hidden:
        layers.append(nn.Linear(width, out))
        if act is not None:
            layers.append(act())
        width = out
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def make_model(spec: ModelSpec, in_features: int, n_out: int) -> nn.Module:
    """Build the preset's model with its weights drawn from the preset's seed (or given outright)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        if spec.kind == "quadratic-map":
            model: nn.Module = nn.Sequential(QuadraticMap())
        elif spec.kind == "linear":
            rows = len(spec.weight) if spec.weight else n_out
            model = nn.Sequential(nn.Linear(in_features, rows, bias=spec.bias))
            if spec.weight:
                with torch.no_grad():
                    model[0].weight.copy_(torch.tensor(spec.weight, dtype=torch.float32))
        else:
            model = mlp(in_features, spec.hidden, n_out, spec.activation)
    model.requires_grad_(spec.trainable)
    return model
