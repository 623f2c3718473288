"""ImGui in our GL context: the backend that feeds it input and draws its output.

In a window, imgui-bundle's ``GlfwRenderer`` takes glfw's input callbacks; headless, the plain
programmable-pipeline renderer draws into whatever framebuffer is bound and input comes only from
what the caller adds to ``imgui.get_io()``; there the panel is scaled with the picture's height
(`picture_scale`). Around each ImGui draw we apply gl-notes gotcha 3: unbind
the program first and make vispy forget its cached current program after.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import imgui_bundle
from imgui_bundle import imgui
from imgui_bundle.python_backends.glfw_backend import GlfwRenderer
from imgui_bundle.python_backends.opengl_backend_programmable import ProgrammablePipelineRenderer
from OpenGL import GL

from viz3d.render.context import GLContext
from viz3d.render.picture_scale import picture_scale

FONT_SIZE = 16.0  # base font size in window pixels: readable from the back of a room
# Roboto, which imgui-bundle ships: a clean, scalable sans-serif (the built-in pixel font's slashed zero
# read as 8 at small sizes: "3,000" as "3,888"). ImGui 1.92 rasterises it at the size drawn.
PANEL_FONT = Path(imgui_bundle.__file__).parent / "assets" / "fonts" / "Roboto" / "Roboto-Regular.ttf"


BACKGROUND_LAYER = "##Background"  # the name ImGui gives the draw list under every window


class _DrawLists:
    """Part of a frame's ``ImDrawData`` for the backend to draw: the lists it reads, clip rects already scaled."""

    def __init__(self, cmd_lists: list) -> None:
        self.cmd_lists = cmd_lists

    def scale_clip_rects(self, _scale: imgui.ImVec2) -> None:
        """Done once for the whole frame (see `ImGuiLayer.render`)."""


class ImGuiLayer:
    def __init__(self, context: GLContext) -> None:
        self.context = context
        imgui.create_context()
        io = imgui.get_io()
        io.set_ini_filename(None)  # never write imgui.ini into the user's working directory
        style = imgui.get_style()
        style.font_size_base = FONT_SIZE
        style.font_scale_dpi = context.content_scale()
        if PANEL_FONT.is_file():  # else ImGui's own font, which does as well, less finely
            io.fonts.add_font_from_file_ttf(str(PANEL_FONT), FONT_SIZE)
        style.window_rounding = 6.0
        style.frame_rounding = 4.0
        self.backend: ProgrammablePipelineRenderer
        if context.headless:
            self.backend = ProgrammablePipelineRenderer()
        else:
            self.backend = GlfwRenderer(context.window)

    def new_frame(self, dt: float, size: tuple[int, int] | None = None) -> None:
        """Start an ImGui frame; headless callers pass the framebuffer ``size``."""
        io = imgui.get_io()
        if isinstance(self.backend, GlfwRenderer):
            self.backend.process_inputs()
        else:  # laid out in "window pixels" and drawn scaled up, as on a HiDPI screen
            width, height = size or self.context.framebuffer_size()
            scale = picture_scale((width, height))
            io.display_size = imgui.ImVec2(width / scale, height / scale)
            io.display_framebuffer_scale = imgui.ImVec2(scale, scale)  # ImGui 1.92 rasterises fonts at this scale
            io.delta_time = max(dt, 1e-4)
        imgui.new_frame()

    def layout_frame(self, draw: Callable[[], None], size: tuple[int, int], dt: float = 1 / 60) -> None:
        """Run ``draw`` for frames that are never shown: an auto-sized window measures its content on
        its first frame and takes that size on its second, so an offscreen picture lays out twice before
        the frame it keeps (and the panel's edge read on the second is the one that will be drawn)."""
        for _ in range(2):
            self.new_frame(dt, size)
            draw()
            imgui.render()

    def render(self, between: Callable[[], None] | None = None) -> None:
        """Finish the frame and draw it over what is in the bound framebuffer.

        With ``between``, ImGui's background layer (the arrows' labels: part of the scene) is drawn first,
        then ``between`` is called (to read back the scene with its labels but without the panel), and
        then the windows over it."""
        imgui.render()
        self.context.canvas.flush()
        GL.glUseProgram(0)
        draw_data = imgui.get_draw_data()
        try:
            if between is None:
                self.backend.render(draw_data)
                return
            # The backend scales the clip rectangles in place, so they are scaled once, here, for both parts.
            draw_data.scale_clip_rects(imgui.get_io().display_framebuffer_scale)
            scene, panel = [], []
            for commands in draw_data.cmd_lists:
                # (an imgui-bundle without the name: everything is drawn after ``between``, labels included)
                (scene if getattr(commands, "_owner_name", "") == BACKGROUND_LAYER else panel).append(commands)
            self.backend.render(_DrawLists(scene))
            try:
                between()
            finally:
                self.backend.render(_DrawLists(panel))
        finally:
            self.context.canvas.context.shared.parser.env.pop("current_program", None)

    def shutdown(self) -> None:
        self.backend.shutdown()
        imgui.destroy_context()
