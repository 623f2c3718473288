"""`OffscreenScene`: the headless pieces a picture or a recording draws its frames with.

A GL context of its own (EGL, or a hidden window where a display is open), the frame renderer holding
the probe and the projection, a 4x multisampled target of the picture's size, and an ImGui layer for
the panel and the tangent arrows' labels. `frame` draws the scene, then the overlay, and reads the
pixels back; `viz3d render` draws one frame, `viz3d record` one per frame of the video.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import numpy as np

from viz3d.app.state import ViewState
from viz3d.capture.probe import ProbeSet
from viz3d.project.projection import Projection
from viz3d.render.picture_scale import picture_scale


class OffscreenScene:
    def __init__(self, probe: ProbeSet, projection: Projection, size: tuple[int, int], overlay: bool = True) -> None:
        """``overlay``: whether frames draw an ImGui overlay (a panel or the arrows' labels) over the scene."""
        from viz3d.render.context import open_headless
        from viz3d.render.imgui_layer import ImGuiLayer
        from viz3d.render.multisample import MultisampleTarget
        from viz3d.render.renderer import FrameRenderer

        self.size = size
        self.context = open_headless()
        self.imgui: ImGuiLayer | None = None
        self.target: MultisampleTarget | None = None
        try:
            self.imgui = ImGuiLayer(self.context) if overlay else None
            self.renderer = FrameRenderer()
            self.renderer.set_probe(probe)
            self.renderer.set_projection(projection)
            self.target = MultisampleTarget(size)  # antialiased: pictures and recordings alike
        except BaseException:
            self.close()  # what was made so far, the context last
            raise

    def set_projection(self, projection: Projection) -> None:
        self.renderer.set_projection(projection)

    def layout(self, draw_overlay: Callable[[], None], dt: float = 1 / 60) -> None:
        """Lay the overlay out without drawing it, so the panel has measured itself before the scene is
        framed beside it (see `ImGuiLayer.layout_frame`)."""
        if self.imgui is not None:
            self.imgui.layout_frame(draw_overlay, self.size, dt)

    def frame(self, state: ViewState, draw_overlay: Callable[[], None] | None = None, dt: float = 1 / 60) -> np.ndarray:
        """Draw the scene as ``state`` says, then ``draw_overlay`` in ImGui; the pixels as (H, W, 3) uint8."""
        assert self.target is not None
        self.target.bind()
        self.renderer.draw(state, self.size, pixel_scale=picture_scale(self.size))
        if self.imgui is not None and draw_overlay is not None:
            self.imgui.new_frame(dt, self.size)
            draw_overlay()
            self.imgui.render()
        return self.target.read()

    def close(self) -> None:
        try:
            if self.target is not None:
                self.target.release()
        finally:
            if self.imgui is not None:
                self.imgui.shutdown()
            self.context.close()

    def __enter__(self) -> OffscreenScene:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
