"""`Snapshot`: every watched layer's activations for the probe inputs at one training step."""

from __future__ import annotations

from dataclasses import dataclass

import torch

WX, WX_PLUS_B = "W·x", "W·x + b"  # the kinds of a Linear's two stages (``stages=True``), as labels show them
WX_SUFFIX = ":Wx"  # the W·x stage of the layer named "0" is named "0:Wx"; its W·x + b stage, "0"


@dataclass(frozen=True)
class Snapshot:
    """Activations of each watched layer, flattened to one row per probe sample.

    ``layer_names`` lists the stages in forward-execution order, starting with ``"input"``;
    ``layer_kinds`` gives each one's module class (``"Linear"``, ``"Tanh"``, ...), or for a Linear split
    into stages, `WX` and `WX_PLUS_B`.
    """

    step: int
    layer_names: list[str]
    layer_kinds: list[str]
    activations: dict[str, torch.Tensor]

    @property
    def n_samples(self) -> int:
        return next(iter(self.activations.values())).shape[0]

    @property
    def widths(self) -> list[int]:
        """Each layer's number of units, in ``layer_names`` order."""
        return [self.activations[name].shape[1] for name in self.layer_names]

    def labels(self) -> list[str]:
        """Short display labels, e.g. ``"input"``, ``"fc1 · Linear"``, ``"Linear (module 0)"``.

        A numbered module (an nn.Sequential's child) is labelled by its kind first: beside the layer's
        position ("layer 3"), a bare "2" would read as another position."""
        return [_label(name, kind) for name, kind in zip(self.layer_names, self.layer_kinds, strict=True)]


def _label(name: str, kind: str) -> str:
    if name == kind.lower():
        return name
    module, _, _stage = name.partition(":")  # "0:Wx" is the W·x stage of module 0
    if module.replace(".", "").isdigit():
        return f"{kind} (module {module})"
    return f"{module} · {kind}"  # "fc1 · W·x" for the stage named "fc1:Wx": the kind says which stage
