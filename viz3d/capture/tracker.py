"""Forward hooks that record what each watched module outputs during a probe forward pass.

Hooks are attached only for the duration of `LayerTracker.snapshot`, so training runs at full speed
between captures. A module called twice in one forward shows up twice (``name``, ``name#2``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from viz3d.capture.snapshot import Snapshot
from viz3d.errors import Viz3dError

LayerSelector = str | type[nn.Module]


def first_tensor(output: object) -> torch.Tensor | None:
    """The tensor a module's output stands for: itself, or the first tensor inside a container."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        for item in output:
            found = first_tensor(item)
            if found is not None:
                return found
    return None


def select_modules(model: nn.Module, layers: Sequence[LayerSelector] | None) -> list[tuple[str, nn.Module]]:
    """Modules to hook: leaf modules by default, else those matching a name, glob or type."""
    named = [(name, module) for name, module in model.named_modules() if name]
    if layers is None:
        chosen = [(name, module) for name, module in named if not any(True for _ in module.children())]
    else:
        chosen = [(name, module) for name, module in named if _matches(name, module, layers)]
    if not chosen:
        names = ", ".join(name for name, _ in named) or "(none: the model has no submodules)"
        wanted = "leaf modules" if layers is None else f"modules matching {list(map(_show, layers))}"
        raise Viz3dError(f"no layer to watch: found no {wanted}; the model's modules are: {names}")
    return chosen


def _matches(name: str, module: nn.Module, selectors: Iterable[LayerSelector]) -> bool:
    for selector in selectors:
        if isinstance(selector, str):
            bare = name.removeprefix("module.")
            if fnmatch.fnmatchcase(name, selector) or fnmatch.fnmatchcase(bare, selector):
                return True
        elif isinstance(module, selector):
            return True
    return False


def _show(selector: LayerSelector) -> str:
    return selector if isinstance(selector, str) else selector.__name__


class LayerTracker:
    """Watches ``model`` on a fixed probe batch ``inputs``; `snapshot` runs one recorded forward."""

    def __init__(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        labels: torch.Tensor | None = None,
        layers: Sequence[LayerSelector] | None = None,
    ) -> None:
        self.model = model
        self.inputs = inputs
        self.labels = labels
        self.modules = select_modules(model, layers)

    def snapshot(self, step: int = 0) -> Snapshot:
        """Run the probe forward under inference mode and return every watched layer's output."""
        names = ["input"]
        kinds = ["input"]
        activations = {"input": self.inputs.detach().flatten(1)}
        seen: dict[str, int] = {}

        def record(name: str, module: nn.Module, output: object) -> None:
            tensor = first_tensor(output)
            if tensor is None or tensor.ndim == 0 or tensor.shape[0] != self.inputs.shape[0]:
                return
            seen[name] = seen.get(name, 0) + 1
            key = name if seen[name] == 1 else f"{name}#{seen[name]}"
            names.append(key)
            kinds.append(type(module).__name__)
            activations[key] = tensor.detach().flatten(1)

        handles = [
            module.register_forward_hook(lambda mod, _inp, out, name=name: record(name, mod, out))
            for name, module in self.modules
        ]
        was_training = self.model.training
        try:
            self.model.eval()
            with torch.inference_mode():
                self.model(self.inputs)
        finally:
            for handle in handles:
                handle.remove()
            self.model.train(was_training)
        if len(names) == 1:
            raise Viz3dError(
                "no layer to watch produced a tensor output during the probe forward: "
                "choose layers by name with layers=[...]"
            )
        return Snapshot(step=step, layer_names=names, layer_kinds=kinds, activations=activations)
