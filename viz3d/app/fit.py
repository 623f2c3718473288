"""`FollowFit`: the live view's camera backs off, smoothly, wherever the layer shown would run off the window.

`viz3d render` and `record` fit their camera to the layers they show (`ViewState.distance_to_show`,
the recorder's eased fit); this does it for the live loop, at a frame's budget: the sampled rows of
the layers shown are kept until the projection or the layer changes, the fit is recomputed every
`REFIT_SECONDS`, and the distance eases towards it every frame. It never comes nearer than the
camera's home distance, and the distance stays put while the user holds the zoom (``ViewState.fit_distance``).
The first picture is framed at once (a trial's window opened on a layer running off its edges). The
camera's centre eases the same way to the middle of the layer shown (`center_of`) when the layer
changes, and while it trains only once that middle has wandered off (`recentered`); until the user pans
(``ViewState.fit_center``), when only the distance follows. The ground follows the middle throughout.
"""

from __future__ import annotations

import math

import numpy as np

from viz3d.app.state import FIT_SECONDS, ViewState, center_of, fit_rows, recentered

REFIT_SECONDS = 0.1  # how often the fit is recomputed as the camera turns (40,000 rows take ~2 ms)


class FollowFit:
    def __init__(self) -> None:
        self._positions: np.ndarray | None = None  # the projection's positions the rows were sampled from
        self._shown = slice(0)  # ... and the layers they cover
        self._rows = np.zeros((0, 3), np.float32)
        self._target: float | None = None
        self._center: np.ndarray | None = None  # the middle of the rows, where the centre eases to
        self._since_fit = math.inf

    def update(self, state: ViewState, positions: np.ndarray, aspect: float, dt: float) -> None:
        """Ease the camera's centre and distance towards the fit of the layer shown (both ends of a morph)."""
        if not (state.fit_distance or state.fit_center) or not len(positions):
            return
        shown = state.layers_shown(len(positions))
        new_layer = shown != self._shown
        if positions is not self._positions or new_layer:
            self._positions, self._shown = positions, shown
            self._rows = fit_rows(positions[shown], state.data_rows)  # views until the sample: no copy of all
            self._since_fit = math.inf
        self._since_fit += max(dt, 0.0)
        camera = state.camera
        first = self._target is None  # the window's first picture: framed at once, not eased in from afar
        if self._since_fit >= REFIT_SECONDS:
            home = camera.home[2] if camera.home else camera.distance
            # another layer: its middle; the same one, training: its middle only once it has wandered off
            keep = self._center is not None and not new_layer
            self._center = recentered(self._center, self._rows) if keep else center_of(self._rows)
            if first:  # framed beside the panel at once too, not slid over to it
                state.settle_frame()
            heading = self._center if state.fit_center else None  # the distance from where the centre is going
            self._target = max(home, camera.distance_to_fit(self._rows, aspect, center=heading))
            self._since_fit = 0.0
        ease = 1.0 if first else 1.0 - math.exp(-max(dt, 0.0) / FIT_SECONDS)
        if self._center is not None:  # the ground follows the layer's middle, even where the user panned
            state.ground_center = (state.ground_center + (self._center - state.ground_center) * ease).astype(np.float32)
        if state.fit_center and self._center is not None:
            camera.center = (camera.center + (self._center - camera.center) * ease).astype(np.float32)
        if state.fit_distance and self._target is not None:
            camera.distance += (self._target - camera.distance) * ease
