"""Which torch function made a model's output: a sigmoid or a softmax there makes it a probability.

Read from one forward of a few rows under a `TorchFunctionMode`, which sees every torch function and
tensor method that runs (``nn.Sigmoid``, ``torch.sigmoid`` in ``forward``, ``x.softmax(1)``) whatever the
grad mode. (The autograd graph, read before, has no nodes under ``torch.inference_mode``, nor where the
parameters are frozen and the inputs are token ids: a sigmoid's output was then scored as a logit.)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from viz3d.capture.tracker import evaluating, first_tensor

# functions that only reshape, copy or convert: the sigmoid or softmax may sit behind them
PASS_THROUGH = frozenset(
    {"view", "reshape", "squeeze", "unsqueeze", "flatten", "clone", "to", "float", "double", "half", "contiguous",
     "expand", "view_as", "reshape_as", "detach", "type"}
)  # fmt: skip


class _MadeBy(TorchFunctionMode):
    """For each tensor a torch function returns: the function's name and the tensor it was applied to."""

    def __init__(self) -> None:
        super().__init__()
        self.made: dict[int, tuple[str, torch.Tensor | None, torch.Tensor]] = {}  # holding each result keeps ids

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        result = func(*args, **(kwargs or {}))
        if isinstance(result, torch.Tensor):
            source = next((arg for arg in args if isinstance(arg, torch.Tensor)), None)
            name = getattr(func, "__name__", "")
            if not (result is source and name in PASS_THROUGH):  # x.float() of a float x is x: still a sigmoid's
                self.made[id(result)] = (name, source, result)
        return result


def last_operation(model: nn.Module, data: torch.Tensor, output_key: str | int | None = None) -> str:
    """The name of the torch function that made the model's output, past reshapes and copies: "sigmoid",
    "softmax", "log_softmax", "linear", ... (an in-place one without its "_"); "" where none is seen."""
    recorder = _MadeBy()
    with evaluating(model), torch.no_grad(), recorder:
        output = first_tensor(model(data[:4]), output_key)
    tensor = output
    while tensor is not None and id(tensor) in recorder.made:
        name, source, _ = recorder.made[id(tensor)]
        name = name.removesuffix("_")
        if name not in PASS_THROUGH or source is None or source is tensor:
            return name
        tensor = source
    return ""
