"""The training thread: steps the session while playing and posts a projection every K steps.

It never waits for the renderer: projections go into `Mailbox`es that keep only the newest, one for
the live model and one for stored steps the user scrubs to. View requests from the UI (axes, frozen
basis, a stored step) are served between steps, paused or not. A step that raises (or whose loss is
NaN) pauses training and records the error with its traceback in the status; the last good
projection stays in the mailbox, so the picture on screen stays too.
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from dataclasses import dataclass, replace

from viz3d.project.projection import Axes, Projection
from viz3d.train.mailbox import Mailbox
from viz3d.train.session import TrainingSession
from viz3d.train.status import TrainingStatus


@dataclass(frozen=True)
class ViewRequest:
    """What the user wants to see; the thread recomputes when it changes."""

    axes: tuple[tuple[str, Axes], ...] = ()
    freeze: bool = False
    history_step: int | None = None  # None: the live model
    neuron: tuple[str, int] | None = None  # colour by this (layer, unit)


SMOOTH_STEPS = 60.0  # steps a second under which a paced cycle is one step


class TrainingThread:
    def __init__(
        self,
        session: TrainingSession,
        mailbox: Mailbox[Projection],
        capture_every: int = 10,
        steps_per_cycle: int = 4,
        playing: bool = True,
        steps_per_second: float | None = None,
        history_mailbox: Mailbox[Projection] | None = None,
    ) -> None:
        self.session = session
        self.mailbox = mailbox
        self.history_mailbox = history_mailbox if history_mailbox is not None else Mailbox()
        self.capture_every = max(1, capture_every)
        self._most_per_cycle = max(1, steps_per_cycle)
        self.steps_per_cycle = self._most_per_cycle
        self.cycle_seconds = 0.0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._next_cycle = 0.0  # perf_counter time before which a paced cycle does not start
        self._last_started = -math.inf  # when the last paced cycle started
        self.set_speed(steps_per_second)
        self._single_steps = 0
        self._wanted = ViewRequest()
        self._served = ViewRequest()
        # a model shown as it is comes with its scores already (`last_stats`)
        playing = playing and session.trainable
        self._status = TrainingStatus.scored(session.step, session.last_stats, playing, session.trainable)
        self._thread = threading.Thread(target=self._run, name="viz3d-training", daemon=True)

    # --- controls (called from the render thread) -------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def set_playing(self, playing: bool) -> None:
        playing = playing and self.session.trainable
        with self._lock:
            if playing == self._status.playing:
                return
            # Playing again clears the error: the user has seen it and wants another try.
            error = None if playing else self._status.error
            self._status = replace(self._status, playing=playing, error=error)
        self._wake.set()

    def set_speed(self, steps_per_second: float | None) -> None:
        """Pace training at ``steps_per_second`` for a watchable demo; None (or inf) trains as fast as it can.
        Under SMOOTH_STEPS a second, one step a cycle: four at a time at 5 a second came in jerks."""
        paced = steps_per_second is not None and math.isfinite(steps_per_second) and steps_per_second > 0
        with self._lock:
            if paced:
                self.steps_per_cycle = 1 if steps_per_second < SMOOTH_STEPS else self._most_per_cycle
                self.cycle_seconds = self.steps_per_cycle / steps_per_second
            else:
                self.steps_per_cycle, self.cycle_seconds = self._most_per_cycle, 0.0
            # the new pace from the last cycle's start, not after the old one's wait; and not from now, or a
            # dragged slider (a new speed every frame) would start a cycle every frame (a review: 60 steps a
            # second at 2)
            self._next_cycle = self._last_started + self.cycle_seconds
        self._wake.set()

    def step_once(self) -> None:
        """Run exactly one step (and capture after it) while paused."""
        with self._lock:
            self._single_steps += 1
        self._wake.set()

    def request_view(
        self,
        axes: dict[str, Axes],
        freeze: bool,
        history_step: int | None,
        neuron: tuple[str, int] | None = None,
    ) -> None:
        """Ask for other PCA axes, a frozen basis, a stored step or a neuron; cheap to call every frame."""
        wanted = ViewRequest(tuple(sorted(axes.items())), freeze, history_step, neuron)
        with self._lock:
            if wanted == self._wanted:
                return
            self._wanted = wanted
        self._wake.set()

    def status(self) -> TrainingStatus:
        with self._lock:
            return self._status

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # --- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        self._publish()  # the picture at the current step, before any training
        self._score_untrained()
        while True:
            self._wake.clear()  # what woke it is served next: a view asked for, a new speed, a step, stop
            if self._stop.is_set():  # after the clear: a stop that came before it is not lost
                return
            self._serve_view()
            with self._lock:
                paced = self._status.playing and self.cycle_seconds  # a single step while paused waits for nothing
                early = self._next_cycle - time.perf_counter() if paced else 0.0
                if early > 0:
                    steps = 0  # a request woke it mid-cycle: served above; the pace holds
                elif self._status.playing:
                    steps = self.steps_per_cycle
                elif self._single_steps and self.session.trainable:
                    self._single_steps -= 1
                    steps = 1
                else:
                    steps = 0
            if steps == 0:
                self._wake.wait(early if early > 0 else 0.1)
                continue
            started = time.perf_counter()
            for _ in range(steps):
                if not self._step():
                    break
            if paced:
                with self._lock:
                    self._last_started = started
                    self._next_cycle = started + self.cycle_seconds

    def _step(self) -> bool:
        session = self.session
        try:
            stats = session.train_step()
            with self._lock:
                self._status = replace(self._status, step=session.step, loss=stats.loss, accuracy=stats.accuracy)
                paused = not self._status.playing
            if session.step % self.capture_every == 0 or paused:
                self._publish(raise_errors=True)
            return True
        except Exception as err:  # noqa: BLE001 - any failure of user code must not end the thread
            self._fail(err)
            return False

    def _score_untrained(self) -> None:
        """The model's loss and accuracy before its first step, where the session can evaluate it: a
        window opened paused showed "loss - accuracy -" until a step, where a speaker wants "50% now"."""
        session = self.session
        if session.last_stats is not None or session.evaluate is None:
            return
        try:
            session.last_stats = session.evaluate()
        except Exception as err:  # noqa: BLE001 - user code: shown in the overlay, as a failed step is
            self._fail(err)
            return
        scored = TrainingStatus.scored(session.step, session.last_stats)
        with self._lock:  # before any step: steps run on this thread, after this
            self._status = replace(self._status, loss=scored.loss, accuracy=scored.accuracy)

    def _serve_view(self) -> None:
        with self._lock:
            wanted, served = self._wanted, self._served
        if wanted == served:
            return
        projector, session = self.session.projector, self.session
        try:
            projector.set_axes(dict(wanted.axes))
            session.neuron = wanted.neuron
            if wanted.freeze and projector.frozen is None:
                shown = self.history_mailbox.latest() if served.history_step is not None else self.mailbox.latest()
                if shown is not None:
                    projector.freeze(shown)
            elif not wanted.freeze:
                projector.unfreeze()
            if wanted.history_step is not None:
                self.history_mailbox.post(session.capture_at(wanted.history_step))
            if (wanted.axes, wanted.freeze, wanted.neuron) != (served.axes, served.freeze, served.neuron):
                live = session.reproject()
                if live is not None:
                    self.mailbox.post(live)
            self._served = wanted
            self._update_history_status()
        except Exception as err:  # noqa: BLE001
            self._served = wanted  # do not retry a request that fails
            self._fail(err)

    def _publish(self, raise_errors: bool = False) -> None:
        try:
            self.mailbox.post(self.session.capture())
            self._update_history_status()
        except Exception as err:  # noqa: BLE001
            if raise_errors:
                raise
            self._fail(err)

    def _update_history_status(self) -> None:
        with self._lock:
            self._status = replace(
                self._status,
                stored_steps=tuple(self.session.history.steps),
                frozen_step=self.session.projector.frozen_step,
            )

    def _fail(self, err: BaseException) -> None:
        line = f"training paused at step {self.session.step}: {type(err).__name__}: {err}".splitlines()[0]
        with self._lock:
            self._status = replace(self._status, playing=False, error=line, error_detail=traceback.format_exc())
