"""`Projector`: projection with memory, for a picture that stays steady while the network trains.

It remembers the projection shown last (each new one is aligned to it), the axes chosen per layer (and
those for every other layer: a preset's [view] axes), and, when the basis is frozen, the maps of the
step it was frozen at.
"""

from __future__ import annotations

from viz3d.capture.snapshot import Snapshot
from viz3d.project.projection import Axes, LayerMap, Projection, project


class Projector:
    def __init__(self, fit_rows: slice | None = None, shared_scale: bool = False) -> None:
        self.fit_rows = fit_rows
        self.shared_scale = shared_scale
        self.axes: dict[str, Axes] = {}
        self.default_axes: Axes = (0, 1, 2)  # for the layers ``axes`` does not name
        self.previous: Projection | None = None
        self.frozen: dict[str, LayerMap] | None = None
        self.frozen_step: int | None = None
        self.input_cache: dict = {}  # the input layer's map: the probe does not change between captures

    def project(self, snapshot: Snapshot, remember: bool = True) -> Projection:
        projection = project(
            snapshot,
            {name: self.axes.get(name, self.default_axes) for name in snapshot.layer_names},
            self.fit_rows,
            previous=self.previous,
            frozen=self.frozen,
            shared_scale=self.shared_scale,
            input_cache=self.input_cache,
        )
        if remember:
            self.previous = projection
        return projection

    def freeze(self, projection: Projection) -> None:
        """Hold ``projection``'s axes for every later step."""
        self.frozen = dict(zip(projection.layer_names, projection.maps, strict=True))
        self.frozen_step = projection.step

    def unfreeze(self) -> None:
        self.frozen = None
        self.frozen_step = None

    def set_axes(self, axes: dict[str, Axes]) -> None:
        self.axes = dict(axes)
