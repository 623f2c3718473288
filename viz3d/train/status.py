"""`TrainingStatus`: what the overlay shows of training (its step and scores, playing or not, an error,
the steps stored in the history), handed from the training thread, the recorder or a still to the UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from viz3d.train.step_stats import StepStats


@dataclass(frozen=True)
class TrainingStatus:
    step: int = 0
    loss: float | None = None
    accuracy: float | None = None
    playing: bool = False
    error: str | None = None  # one line: what went wrong and what to do
    error_detail: str | None = None  # the traceback, for the overlay's details
    stored_steps: tuple[int, ...] = ()  # steps in the weight history, oldest first
    frozen_step: int | None = None  # the step whose axes are held, if the basis is frozen
    trainable: bool = True  # False for a fixed map: nothing to train, only to look at

    @classmethod
    def scored(
        cls, step: int, stats: StepStats | None, playing: bool = False, trainable: bool = True
    ) -> TrainingStatus:
        """The status at ``step`` with the scores in ``stats`` (none yet: None)."""
        loss, accuracy = (None, None) if stats is None else (stats.loss, stats.accuracy)
        return cls(step=step, loss=loss, accuracy=accuracy, playing=playing, trainable=trainable)
