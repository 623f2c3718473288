"""Adaptive level of detail: when frames get slow, drop multisampling, then draw every 2nd, 4th, ... point.

Multisampling goes first: it costs every pixel of every point and line four samples (on Mesa's llvmpipe
a million-point frame thinned to 62,500 points took 125 ms with it and 50 ms without, where thinning
further would spoil the picture), and losing it only roughens the edges. What it costs cannot be told
from a frame drawn without it (a vsynced window's frames take 16.7 ms however little they draw), so it
comes back on trial, last: after TRIAL_SECONDS of frames at full detail that are not slow. A trial that
turns slow within as long as it was waited for doubles the wait for the next (up to a minute); one that
holds longer halves it, so a passing hiccup (a resize, a screenshot saved) costs multisampling for
seconds only. The first STARTUP_SECONDS of frames (shaders compiled, the first upload) change nothing,
and each decision reads only the frames drawn since the last change.

The controller watches a smoothed frame time. Above the slow limit (28 fps: a window synced to a 60 Hz
display shows any frame of 17 to 33 ms at 30 fps, which is not slow) it doubles the stride. It halves
it again only where the frame would still be fast enough with twice the points, taking twice the time
as the worst case: a frame at half the points is never slow and the full one never fast, so there is
no flicker between them (the first version restored at 50 fps and thinned at 30, and a vsynced window
flipped every few seconds). Never more often than twice a second. It never thins the cloud below
MIN_POINTS: below that, points are not what makes a frame slow (training sharing the CPU is), and
thinning would only spoil the picture. The overlay says when points are being skipped.

The grid thins with the points (`grid_step`): ``--points`` makes it denser (121,200 segments at a million
points), and with 62,500 points drawn of a million the frame took 49.5 ms with that full grid, 37.4 ms
with one 4x coarser. Where halving the stride would also make the grid finer, the grid's part of the
frame grows four times, so the stride is halved only where four times the frame would still do.
"""

from __future__ import annotations

from dataclasses import dataclass

SLOW_SECONDS = 1 / 28
MIN_POINTS = 50_000
SETTLE_SECONDS = 0.5
STARTUP_SECONDS = 1.0
TRIAL_SECONDS = 4.0  # at full detail, not slow, before multisampling is tried again (doubling after a failed try)
FAILED_TRIAL_SECONDS = 2.0  # dropped again this soon after a trial: the trial failed
MOST_TRIAL_SECONDS = 64.0
MIN_GRID_LINES = 21  # the presets' own grid: a coarser one would blur how the plane bends


def grid_step(point_stride: int, grid_shape: tuple[int, int]) -> int:
    """How much coarser to draw a grid of ``grid_shape`` (lines, samples) while one point in ``point_stride``
    is drawn: every step-th line each way and sample along it (`lattice_segments`), so step² times fewer
    segments, with step² at most the point stride and never fewer than MIN_GRID_LINES lines each way."""
    lines = grid_shape[0]
    step = 1
    while (2 * step) ** 2 <= point_stride and (lines - 1) // (2 * step) + 1 >= MIN_GRID_LINES:
        step *= 2
    return step


@dataclass
class DetailController:
    stride: int = 1
    multisample: bool = True  # draw the scene 4x multisampled
    smoothed: float = 0.0
    since_change: float = 0.0
    enabled: bool = True
    elapsed: float = 0.0  # seconds of frames fed
    trial_wait: float = TRIAL_SECONDS  # how long multisampling stays off before it is tried again
    since_trial: float = float("inf")  # seconds since multisampling was last turned back on
    shown_seconds: float = 0.0  # the smoothed frame time the panel reports

    def update(self, frame_seconds: float, n_points: int, grid_shape: tuple[int, int] = (0, 0)) -> int:
        """Feed one frame's duration; returns the stride to draw the next frame with (the grid of ``grid_shape``
        thinned by `grid_step` of it)."""
        max_stride = 1
        while n_points // (max_stride * 2) >= MIN_POINTS:
            max_stride *= 2
        started = self.elapsed >= STARTUP_SECONDS
        self.elapsed += frame_seconds
        if not started and self.elapsed >= STARTUP_SECONDS:
            self.smoothed = 0.0  # the start-up frames (shaders compiled, the first upload) are not what comes next
        self.smoothed = frame_seconds if self.smoothed == 0 else 0.9 * self.smoothed + 0.1 * frame_seconds
        self.shown_seconds = self.smoothed  # what the panel says, kept where a change starts the smoothing afresh
        self.since_change += frame_seconds
        self.since_trial += frame_seconds
        if not self.enabled:
            self.stride, self.multisample = 1, True
        elif self.elapsed >= STARTUP_SECONDS and self.since_change >= SETTLE_SECONDS:
            stride, multisample = self.stride, self.multisample
            if self.smoothed > SLOW_SECONDS:
                if self.multisample:
                    self._drop_multisampling()
                elif self.stride < max_stride:
                    self.stride *= 2
            elif self.stride > 1:
                if self._growth(grid_shape) * self.smoothed < SLOW_SECONDS:  # it would still do
                    self.stride //= 2
            elif not self.multisample and self.since_change >= self.trial_wait:
                self.multisample, self.since_trial = True, 0.0
            if (stride, multisample) != (self.stride, self.multisample):
                # the next decision reads frames drawn since: the slow ones before a change had thinned the points
                # after every failed multisampling trial too (a review)
                self.since_change, self.smoothed = 0.0, 0.0
        return self.stride

    def _drop_multisampling(self) -> None:
        """Off. A trial dropped within as long as it was waited for failed: the next waits twice as long; one
        that held longer halves the wait (a review: with resets to 4 s, multisampling that was slow now and
        then flapped on and off every 10 s)."""
        failed = self.since_trial < max(FAILED_TRIAL_SECONDS, self.trial_wait)
        wait = 2 * self.trial_wait if failed else self.trial_wait / 2
        self.trial_wait = min(max(wait, TRIAL_SECONDS), MOST_TRIAL_SECONDS)
        self.multisample = False

    def _growth(self, grid_shape: tuple[int, int]) -> int:
        """How many times longer a frame may take at half the stride: twice the points, and four times the grid
        segments where the grid also gets twice as fine."""
        return 2 if grid_step(self.stride // 2, grid_shape) == grid_step(self.stride, grid_shape) else 4

    def describe(self, n_points: int, coarser: int = 1) -> str:
        """The panel's note while detail is dropped; ``coarser``: the grid's step (`grid_step`) drawn with them."""
        if self.stride == 1 and self.multisample:
            return ""
        drawn = (
            "every point"
            if self.stride == 1
            else f"1 point in {self.stride} ({n_points // self.stride:,} of {n_points:,})"
        )
        grid = f" and a {coarser}x coarser grid" if coarser > 1 else ""
        edges = "" if self.multisample else ", without multisampling,"
        return (
            f"level of detail: drawing {drawn}{grid}{edges} to keep the view smooth "
            f"({1000 * self.shown_seconds:.0f} ms a frame)"
        )
