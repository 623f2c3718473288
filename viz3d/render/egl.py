"""Headless OpenGL 3.3 core contexts made with EGL itself: no window system, no glfw.

glfw's Null platform with EGL, which viz3d used first, fails on NVIDIA's EGL (as seen on this
project's H100 and H200 machines), while EGL's device platform is what GPU servers offer. The
displays are tried in turn until one gives a context:

1. each GPU that EGL lists (``VIZ3D_EGL_DEVICE=N`` keeps only EGL's N-th device, as on a multi-GPU
   server; EGL numbers devices its own way, not as CUDA does);
2. Mesa's surfaceless platform (Mesa's software renderer, llvmpipe, where there is no GPU);
3. Mesa's software device, then EGL's default display.

The context is made current with a small pbuffer (8-bit RGBA, 24-bit depth) as its default framebuffer,
as a hidden window would give, or without a surface where a display has no pbuffers but allows that
(EGL_KHR_surfaceless_context); viz3d's pictures draw into framebuffer objects either way.
A display, once initialised, stays so for the process: EGL counts no references, so terminating it
would pull it from under any other EGL user in the process (another picture's context, pyrender,
MuJoCo, vispy's EGL backend), and NVIDIA's takes a while to start again.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from typing import Any

from viz3d.errors import GLContextError, error_summary

DEVICE_VARIABLE = "VIZ3D_EGL_DEVICE"
PLATFORM_DEVICE = 0x313F  # EGL_PLATFORM_DEVICE_EXT
PLATFORM_SURFACELESS = 0x31DD  # EGL_PLATFORM_SURFACELESS_MESA
SOFTWARE_DEVICE = "EGL_MESA_device_software"  # in the device extensions of Mesa's llvmpipe device
MAX_DEVICES = 64  # Mesa lists a device per GPU too, besides the vendor's own and its software one


class EGLContext:
    """One current-able OpenGL 3.3 core context on an EGL display; `where` says which, for messages."""

    def __init__(self, display: Any, context: Any, surface: Any, where: str) -> None:
        self.display, self.context, self.surface, self.where = display, context, surface, where

    def make_current(self) -> None:
        from OpenGL import EGL

        try:
            EGL.eglBindAPI(EGL.EGL_OPENGL_API)  # the bound API is per thread
            made = EGL.eglMakeCurrent(self.display, self.surface, self.surface, self.context)
        except Exception as err:  # noqa: BLE001 - PyOpenGL raises EGLError where EGL reports one
            why = error_summary(err)
            raise GLContextError(f"the OpenGL context on {self.where} could not be made current ({why})") from None
        if not made:
            raise GLContextError(f"the OpenGL context on {self.where} could not be made current")

    def release(self) -> None:
        """Destroy the context and its pbuffer (the display stays initialised: see the module's doc)."""
        from OpenGL import EGL

        try:
            if _address(EGL.eglGetCurrentContext()) == _address(self.context):
                EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT)
            if _address(self.surface):
                EGL.eglDestroySurface(self.display, self.surface)
        finally:
            EGL.eglDestroyContext(self.display, self.context)


def create_context(width: int = 64, height: int = 64) -> EGLContext:
    """A new OpenGL 3.3 core context, current on this thread, from the first display that gives one;
    its default framebuffer is ``width`` x ``height`` where the display has pbuffers."""
    try:
        from OpenGL import EGL  # noqa: F401 - loads libEGL
    except (ImportError, OSError) as err:
        raise GLContextError(f"no EGL library to draw without a display ({err})") from err
    reasons = []
    for where, get_display in _displays():
        try:
            return _context_on(get_display(), where, (width, height))
        except Exception as err:  # noqa: BLE001 - a display EGL refuses is only one candidate among several
            reasons.append(f"{where}: {error_summary(err) if not isinstance(err, GLContextError) else err}")
    raise GLContextError("; ".join(reasons) or "EGL lists no display")


def _displays() -> list[tuple[str, Callable[[], Any]]]:
    """(description, display getter) for each display worth trying, in order (see the module's doc)."""
    from OpenGL import EGL

    client = _extensions(EGL.EGL_NO_DISPLAY)
    devices = _devices() if "EGL_EXT_platform_device" in client else []
    chosen = os.environ.get(DEVICE_VARIABLE, "").strip()
    if chosen:
        return [_chosen_device(chosen, devices)]
    hardware = [(f"EGL device {i}", d) for i, (d, software) in enumerate(devices) if not software]
    software = [(f"EGL device {i} (software)", d) for i, (d, software) in enumerate(devices) if software]
    candidates = [(where, _platform_display(PLATFORM_DEVICE, device)) for where, device in hardware]
    if "EGL_MESA_platform_surfaceless" in client:
        candidates.append(("Mesa's surfaceless platform", _platform_display(PLATFORM_SURFACELESS, None)))
    candidates += [(where, _platform_display(PLATFORM_DEVICE, device)) for where, device in software]
    candidates.append(("EGL's default display", lambda: EGL.eglGetDisplay(EGL.EGL_DEFAULT_DISPLAY)))
    return candidates


def _chosen_device(chosen: str, devices: list[tuple[Any, bool]]) -> tuple[str, Callable[[], Any]]:
    listed = f"EGL lists {len(devices)} device{'s' if len(devices) != 1 else ''}"
    if not chosen.isdigit() or int(chosen) >= len(devices):
        numbers = "0" if len(devices) == 1 else f"0 to {len(devices) - 1}"
        fix = f"set it to {numbers} or unset it" if devices else "unset it"
        problem = "names no EGL device" if chosen.isdigit() else "is not a device number"
        raise GLContextError(f"{DEVICE_VARIABLE}={chosen} {problem} ({listed}): {fix}")
    where = f"EGL device {chosen}, chosen by {DEVICE_VARIABLE} (unset it to try the others)"
    return where, _platform_display(PLATFORM_DEVICE, devices[int(chosen)][0])


def _devices() -> list[tuple[Any, bool]]:
    """EGL's devices, each with whether it is Mesa's software renderer."""
    try:
        from OpenGL.EGL import EGL_EXTENSIONS
        from OpenGL.EGL.EXT.device_base import egl_get_devices, eglQueryDeviceStringEXT

        return [
            (device, SOFTWARE_DEVICE in (eglQueryDeviceStringEXT(device, EGL_EXTENSIONS) or b"").decode())
            for device in egl_get_devices(MAX_DEVICES)
        ]
    except Exception:  # noqa: BLE001 - no device enumeration: the other platforms remain
        return []


def _platform_display(platform: int, native: Any) -> Callable[[], Any]:
    def get() -> Any:
        from OpenGL.EGL.EXT.platform_base import eglGetPlatformDisplayEXT

        return eglGetPlatformDisplayEXT(platform, native, None)

    return get


def _context_on(display: Any, where: str, size: tuple[int, int]) -> EGLContext:
    from OpenGL import EGL

    if not _address(display):
        raise GLContextError("no such display")
    major, minor = EGL.EGLint(), EGL.EGLint()
    if not EGL.eglInitialize(display, ctypes.pointer(major), ctypes.pointer(minor)):
        raise GLContextError("eglInitialize failed")
    EGL.eglBindAPI(EGL.EGL_OPENGL_API)
    config, pbuffers = _config(display)
    core_33 = (EGL.EGLint * 7)(
        EGL.EGL_CONTEXT_MAJOR_VERSION,
        3,
        EGL.EGL_CONTEXT_MINOR_VERSION,
        3,
        EGL.EGL_CONTEXT_OPENGL_PROFILE_MASK,
        EGL.EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
        EGL.EGL_NONE,
    )
    context = EGL.eglCreateContext(display, config, EGL.EGL_NO_CONTEXT, core_33)
    if not _address(context):
        raise GLContextError("no OpenGL 3.3 core context")
    surface = EGL.EGL_NO_SURFACE
    try:
        if pbuffers:
            extent = (EGL.EGLint * 5)(EGL.EGL_WIDTH, size[0], EGL.EGL_HEIGHT, size[1], EGL.EGL_NONE)
            surface = EGL.eglCreatePbufferSurface(display, config, extent)
        made = EGLContext(display, context, surface, where)
        made.make_current()
        return made
    except BaseException:
        if _address(surface):
            EGL.eglDestroySurface(display, surface)
        EGL.eglDestroyContext(display, context)
        raise


# What is asked of a configuration, best first: the colour and depth a hidden window has, with a pbuffer;
# any pbuffer; then, where a display has no pbuffers but allows contexts without a surface, no surface.
RGBA8_DEPTH24 = ("RED_SIZE", 8, "GREEN_SIZE", 8, "BLUE_SIZE", 8, "ALPHA_SIZE", 8, "DEPTH_SIZE", 24)
WITH_PBUFFER = ("SURFACE_TYPE", "PBUFFER_BIT")


def _config(display: Any) -> tuple[Any, bool]:
    """An OpenGL configuration of ``display``, and whether it makes pbuffers."""
    from OpenGL import EGL

    wishes = [(RGBA8_DEPTH24 + WITH_PBUFFER, True), (WITH_PBUFFER, True)]
    if "EGL_KHR_surfaceless_context" in _extensions(display):
        wishes += [(RGBA8_DEPTH24, False), ((), False)]
    for wish, pbuffers in wishes:
        names = [getattr(EGL, f"EGL_{item}") if isinstance(item, str) else item for item in wish]
        attributes = (EGL.EGLint * (len(names) + 3))(EGL.EGL_RENDERABLE_TYPE, EGL.EGL_OPENGL_BIT, *names, EGL.EGL_NONE)
        config, found = EGL.EGLConfig(), EGL.EGLint()
        if EGL.eglChooseConfig(display, attributes, ctypes.pointer(config), 1, ctypes.pointer(found)) and found.value:
            return config, pbuffers
    raise GLContextError("no OpenGL configuration")


def _extensions(display: Any) -> str:
    from OpenGL import EGL

    try:
        return (EGL.eglQueryString(display, EGL.EGL_EXTENSIONS) or b"").decode()
    except Exception:  # noqa: BLE001 - EGL 1.4 without client extensions answers NO_DISPLAY with an error
        return ""


def _address(handle: Any) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0
