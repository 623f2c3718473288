"""History of training: the model's weights every K steps, in a store with a memory budget.

Activations are not kept (they would be L × N × D per step); weights are small for the nets we
show, and any stored step's picture can be recomputed from them. When the store outgrows its budget,
the spacing it keeps doubles (only steps that are multiples of the stride stay), so the survivors
are evenly spread over the whole run; the newest checkpoint is always kept, on the stride or not.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

DEFAULT_BUDGET_BYTES = 512 * 2**20


def state_nbytes(state: dict[str, torch.Tensor]) -> int:
    return sum(t.numel() * t.element_size() for t in state.values())


class WeightHistory:
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._states: OrderedDict[int, dict[str, torch.Tensor]] = OrderedDict()
        self.nbytes = 0
        self.stride = 0  # 0 until the first thinning: every step is kept

    def record(self, step: int, model: nn.Module) -> None:
        """Copy the model's weights (and buffers) to host memory as they are at ``step``."""
        if step in self._states:
            return
        if self._states:
            newest = next(reversed(self._states))
            if not self._on_stride(newest):  # it was kept only for being the newest
                self._drop(newest)
        state = {name: t.detach().to("cpu", copy=True) for name, t in model.state_dict().items()}
        self._states[step] = state
        self.nbytes += state_nbytes(state)
        while self.nbytes > self.budget_bytes and len(self._states) > 1:
            self._thin()

    def _on_stride(self, step: int) -> bool:
        return self.stride == 0 or step % self.stride == 0

    def _thin(self) -> None:
        steps = list(self._states)
        if self.stride == 0:
            self.stride = max(1, min(b - a for a, b in zip(steps, steps[1:], strict=False)))
        self.stride *= 2
        for step in steps[:-1]:
            if not self._on_stride(step):
                self._drop(step)

    def _drop(self, step: int) -> None:
        self.nbytes -= state_nbytes(self._states.pop(step))

    @property
    def steps(self) -> list[int]:
        return list(self._states)

    def weights(self, step: int) -> dict[str, torch.Tensor]:
        return self._states[step]

    def __len__(self) -> int:
        return len(self._states)
