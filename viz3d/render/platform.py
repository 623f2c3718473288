"""Chooses between a window and headless EGL before any GL library is imported.

PyOpenGL and vispy read ``PYOPENGL_PLATFORM`` when they are first imported, so the choice has to be
made first: `use_headless` points them at EGL (contexts come from `egl`). If OpenGL was already
imported for a window, pictures use a hidden window while there is a display, and it refuses (with a
one-line reason) where there is none.
"""

from __future__ import annotations

import os
import sys

from viz3d.errors import GLContextError

HEADLESS_ENV = {"PYOPENGL_PLATFORM": "egl", "EGL_PLATFORM": "surfaceless"}
GL_PACKAGES = "libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri"


def has_display() -> bool:
    """Whether a window can be shown: an X11 or Wayland display is named in the environment."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def use_headless() -> None:
    """Select EGL without a display for everything GL imported from now on.

    Where OpenGL was already imported for a window (`viz3d.live` ran first in this process) and the
    display is still there, offscreen pictures are drawn in a hidden window instead (`open_headless`).
    """
    if "OpenGL.GL" in sys.modules and os.environ.get("PYOPENGL_PLATFORM") != "egl":
        if has_display():
            return
        raise GLContextError(
            "OpenGL was imported for a window before headless rendering was chosen: "
            "call viz3d.render.platform.use_headless() before importing OpenGL or vispy.gloo"
        )
    for key, value in HEADLESS_ENV.items():
        os.environ.setdefault(key, value)


def is_headless() -> bool:
    return os.environ.get("PYOPENGL_PLATFORM") == "egl"
