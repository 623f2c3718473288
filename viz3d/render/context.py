"""OpenGL 3.3 core contexts: a real glfw window, or EGL without any display (`egl`).

Both run the same drawing code. After the context is current, vispy.gloo is attached to it through
a ``FakeCanvas`` and the two core-profile fixes from gl-notes are applied (bind a VAO; flush once and
drain vispy's ``GL_POINT_SPRITE`` error). A failure is one `GLContextError` line saying what fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# isort: off
import imgui_bundle  # noqa: F401  - load imgui's libglfw first, so pyglfw binds the same library
import glfw
# isort: on

from viz3d.errors import GLContextError
from viz3d.render.egl import DEVICE_VARIABLE, EGLContext, create_context
from viz3d.render.platform import GL_PACKAGES, has_display, is_headless


@dataclass
class GLContext:
    """A current GL context: its glfw window (hidden when headless) and vispy's canvas for gloo."""

    window: Any
    canvas: Any
    headless: bool

    def framebuffer_size(self) -> tuple[int, int]:
        return glfw.get_framebuffer_size(self.window)

    def window_size(self) -> tuple[int, int]:
        return glfw.get_window_size(self.window)

    def content_scale(self) -> float:
        return 1.0 if self.headless else float(glfw.get_window_content_scale(self.window)[0])

    def should_close(self) -> bool:
        return bool(glfw.window_should_close(self.window))

    def poll(self) -> None:
        glfw.poll_events()

    def swap(self) -> None:
        glfw.swap_buffers(self.window)

    def set_title(self, title: str) -> None:
        glfw.set_window_title(self.window, title)

    def make_current(self) -> None:
        glfw.make_context_current(self.window)

    def close(self) -> None:
        """Destroy this context's window (glfw itself stops with the last one); gloo forgets its canvas."""
        _forget_canvas(self.canvas)
        glfw.destroy_window(self.window)
        _open_windows.discard(id(self.window))
        if not _open_windows:
            glfw.terminate()


class HeadlessContext:
    """An offscreen OpenGL 3.3 core context made with EGL (see `egl`); it draws into framebuffer objects."""

    headless = True

    def __init__(self, egl_context: EGLContext, canvas: Any) -> None:
        self.egl_context = egl_context
        self.canvas = canvas

    def content_scale(self) -> float:
        return 1.0

    def make_current(self) -> None:
        self.egl_context.make_current()

    def close(self) -> None:
        """Release the EGL context; gloo forgets its canvas."""
        _forget_canvas(self.canvas)
        self.egl_context.release()


def _forget_canvas(canvas: Any) -> None:
    """Have gloo forget a closed context's canvas: kept alive (by a traceback that holds the context, say),
    it would stay gloo's current canvas, and the next context's commands would run through its stale
    table of GL objects."""
    from vispy.gloo.context import forget_canvas

    forget_canvas(canvas)


_open_windows: set[int] = set()


def _glfw_error(code: int, message: bytes) -> None:
    _glfw_error.last = message.decode(errors="replace") if isinstance(message, bytes) else str(message)


_glfw_error.last = ""


def _core_profile_hints() -> None:
    glfw.default_window_hints()  # hints outlive a window: a hidden one must not hide the next
    glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
    glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
    glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
    glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)


def open_window(width: int, height: int, title: str) -> GLContext:
    """A resizable, vsynced, HiDPI-aware window with an OpenGL 3.3 core context."""
    if not has_display():
        raise GLContextError(
            "no display to open a window on (DISPLAY is not set): run `viz3d render` to write PNG files "
            "(from Python: viz3d.picture or viz3d.video), or start under Xvfb (xvfb-run -a viz3d run ...)"
        )
    _start_glfw()
    glfw.window_hint(glfw.RESIZABLE, True)
    glfw.window_hint(glfw.SCALE_TO_MONITOR, True)
    # one sample a pixel: the live loop multisamples the scene itself (`ResolvedScene`), so that its level of
    # detail can drop it while the window is open; the panel is antialiased by ImGui
    glfw.window_hint(glfw.SAMPLES, 0)
    if is_headless():  # PyOpenGL was pointed at EGL (Wayland, or a headless choice): make the window's context EGL too
        glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)
    failure = f"update the GPU driver, or install Mesa with `apt-get install {GL_PACKAGES}`"
    window = _create_window(width, height, title, lambda why: f"could not open an OpenGL 3.3 window ({why}): {failure}")
    glfw.swap_interval(1)
    return GLContext(window=window, canvas=_attach_gloo(), headless=False)


def open_headless(width: int = 64, height: int = 64) -> GLContext | HeadlessContext:
    """An offscreen OpenGL 3.3 core context through EGL (see `egl`); draw into framebuffer objects.

    Its default framebuffer is ``width`` x ``height``. If OpenGL was set up for windows earlier in this
    process (`viz3d.live` ran first), it is a hidden window's context instead, on the display (see
    `use_headless`).
    """
    if not is_headless() and has_display():
        return _hidden_window(width, height)
    if not is_headless():
        raise GLContextError(
            "headless rendering needs PYOPENGL_PLATFORM=egl before GL is imported: "
            "call viz3d.render.platform.use_headless() first"
        )
    try:
        egl_context = create_context(width, height)
    except GLContextError as err:
        if DEVICE_VARIABLE in str(err):
            raise
        install = f"install `apt-get install {GL_PACKAGES}` (or an NVIDIA driver with EGL)"
        raise GLContextError(f"no headless OpenGL 3.3 context through EGL ({err}): {install}") from err
    try:
        return HeadlessContext(egl_context, _attach_gloo())
    except BaseException:
        egl_context.release()
        raise


def _hidden_window(width: int, height: int) -> GLContext:
    """An offscreen context where GL already serves windows: an invisible window on the display."""
    _start_glfw()
    glfw.window_hint(glfw.VISIBLE, False)
    window = _create_window(
        width, height, "viz3d (offscreen)", lambda why: f"could not make an offscreen OpenGL 3.3 context ({why})"
    )
    return GLContext(window=window, canvas=_attach_gloo(), headless=True)


def _start_glfw() -> None:
    """glfw started on the display's platform, with OpenGL 3.3 core hints set."""
    glfw.set_error_callback(_glfw_error)
    if not glfw.init():
        raise GLContextError(f"glfw could not start ({_glfw_error.last}): check DISPLAY and the X server")
    _core_profile_hints()


def _create_window(width: int, height: int, title: str, failure: Callable[[str], str]) -> Any:
    """The window with the hints set, its context current and counted as open; else `GLContextError`
    with ``failure(glfw's last error)`` (glfw is stopped again if no other window needs it)."""
    window = glfw.create_window(width, height, title, None, None)
    if not window:
        if not _open_windows:
            glfw.terminate()
        raise GLContextError(failure(_glfw_error.last))
    glfw.make_context_current(window)
    _open_windows.add(id(window))
    return window


def _attach_gloo() -> Any:
    from OpenGL import GL
    from vispy.gloo.context import FakeCanvas

    canvas = FakeCanvas()
    GL.glBindVertexArray(GL.glGenVertexArrays(1))  # core profile: vispy never binds a VAO
    canvas.flush()  # vispy's first flush enables GL_POINT_SPRITE, invalid in core profile ...
    while GL.glGetError() != GL.GL_NO_ERROR:  # ... so drain the error it leaves
        pass
    return canvas
