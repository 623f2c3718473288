"""Antialiased targets: draw into a 4× multisampled framebuffer, then resolve it.

`MultisampleTarget` is the offscreen one pictures and recordings read back. vispy.gloo has no
multisampled renderbuffers, so it is plain OpenGL: a multisampled colour and depth renderbuffer pair,
blitted into a single-sample framebuffer that `read` reads. Where the driver offers no multisampling,
or not at this size (a 16384² picture at 4 samples needs 2 GiB), it falls back to fewer samples, down
to one (aliased but correct). `ResolvedScene` draws the live window's scene through one, resolved
into the window, so that the level of detail can give multisampling up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from OpenGL import GL
from OpenGL.error import GLError
from vispy import gloo

from viz3d.errors import Viz3dError
from viz3d.render.readback import PixelReader

if TYPE_CHECKING:
    from viz3d.app.state import ViewState
    from viz3d.render.renderer import FrameRenderer

SAMPLES = 4


class MultisampleTarget:
    def __init__(self, size: tuple[int, int], samples: int = SAMPLES) -> None:
        self.size = size
        self.reader = PixelReader()
        largest = int(GL.glGetIntegerv(GL.GL_MAX_RENDERBUFFER_SIZE))
        if max(size) > largest:
            raise Viz3dError(
                f"{size[0]}x{size[1]} is larger than this GL draws ({largest} pixels a side at most): choose a "
                "smaller size"
            )
        most = min(samples, int(GL.glGetIntegerv(GL.GL_MAX_SAMPLES)))
        for tried in sorted({most, min(2, most), 0}, reverse=True):  # fewer where memory runs short; 0: one
            # sample a pixel (Mesa makes 4 of a request for 1)
            self.samples = tried
            if self._allocate():
                return
            self.release()
        width, height = size
        raise Viz3dError(
            f"{width}x{height} is too large for this GL's framebuffers (even without multisampling): choose a "
            "smaller size"
        )

    def _allocate(self) -> bool:
        """The buffers at ``self.samples`` samples; whether the driver could make both framebuffers (out of
        memory is an error some drivers raise and others only tell by the framebuffer's status)."""
        self._buffers = self._framebuffers = None
        try:
            return self._make_buffers()
        except GLError:
            return False

    def _make_buffers(self) -> bool:
        width, height = self.size
        self._buffers = GL.glGenRenderbuffers(3)
        color, depth, resolved = (int(b) for b in self._buffers)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, color)
        GL.glRenderbufferStorageMultisample(GL.GL_RENDERBUFFER, self.samples, GL.GL_RGBA8, width, height)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, depth)
        GL.glRenderbufferStorageMultisample(GL.GL_RENDERBUFFER, self.samples, GL.GL_DEPTH_COMPONENT24, width, height)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, resolved)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_RGBA8, width, height)
        self._framebuffers = GL.glGenFramebuffers(2)
        self.draw_fbo, self.read_fbo = (int(f) for f in self._framebuffers)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.draw_fbo)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, color)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, depth)
        drawn = _complete()
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.read_fbo)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, resolved)
        resolving = _complete()
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        return drawn and resolving

    def bind(self) -> None:
        """Draw into the multisampled buffers from now on."""
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.draw_fbo)

    def read(self) -> np.ndarray:
        """Resolve the samples and return the image as (height, width, 3) uint8, top row first."""
        self.resolve_into(self.read_fbo)
        pixels = self.reader.read(self.size)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.draw_fbo)
        return pixels

    def resolve_into(self, framebuffer: int) -> None:
        """Resolve the samples into ``framebuffer`` (of this size), and leave it bound."""
        width, height = self.size
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self.draw_fbo)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, framebuffer)
        GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_NEAREST)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, framebuffer)

    def release(self) -> None:
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        if self._framebuffers is not None:
            GL.glDeleteFramebuffers(2, self._framebuffers)
        if self._buffers is not None:
            GL.glDeleteRenderbuffers(3, self._buffers)


class ResolvedScene:
    """The live window's scene, drawn multisampled where asked and resolved into the framebuffer that was
    bound (the window's, which has one sample a pixel): the level of detail can then drop multisampling
    while the window stays open (`app.detail`). The target is made again when the window's size changes;
    where it cannot be made (no memory for it), the scene is drawn single-sampled from then on, as a
    window whose driver refused the samples would be."""

    def __init__(self) -> None:
        self._target: MultisampleTarget | None = None
        self._into: int | None = None  # the framebuffer to resolve into, while a multisampled scene is drawn
        self.unavailable = False  # the target could not be made: single-sampled for the rest of the session

    def draw(
        self,
        renderer: FrameRenderer,
        state: ViewState,
        size: tuple[int, int],
        multisample: bool,
        pixel_scale: float = 1.0,
    ) -> None:
        """``renderer``'s frame of ``state``, multisampled if asked, in the framebuffer bound now (nothing in a
        window of no size: a minimised one, on some systems)."""
        if min(size) <= 0:
            gloo.flush()  # the uploads queued meanwhile run now, not all at once when the window comes back
            return
        self.begin(size, multisample)
        try:
            renderer.draw(state, size, pixel_scale=pixel_scale)
        finally:
            self.end()

    def begin(self, size: tuple[int, int], multisample: bool) -> None:
        """Draw what follows multisampled (or, with ``multisample`` False, straight into the bound framebuffer)."""
        self._into = None
        if not multisample or self.unavailable:
            return
        gloo.flush()  # a framebuffer gloo was asked to bind is bound only when its queue runs
        into = int(GL.glGetIntegerv(GL.GL_DRAW_FRAMEBUFFER_BINDING))  # before making a target, which unbinds it
        if self._target is not None and self._target.size != tuple(size):
            self.release()
        if self._target is None:
            try:
                self._target = MultisampleTarget(tuple(size))
            except (Viz3dError, GLError):
                self.unavailable = True
                GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, into)
                return
        self._into = into
        self._target.bind()

    def end(self) -> None:
        """Resolve what was drawn since `begin` into the framebuffer bound before it, and bind that again."""
        if self._into is None or self._target is None:
            return
        self._target.resolve_into(self._into)
        self._into = None

    def release(self) -> None:
        """Free the multisampled buffers (while the context is current: before it closes)."""
        if self._target is not None:
            self._target.release()
            self._target = None


def _complete() -> bool:
    return GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER) == GL.GL_FRAMEBUFFER_COMPLETE
