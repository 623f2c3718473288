"""An antialiased offscreen target: draw into a 4× multisampled framebuffer, resolve, read back.

vispy.gloo has no multisampled renderbuffers, so this one is plain OpenGL: a multisampled colour and
depth renderbuffer pair, blitted into a single-sample framebuffer that `read` reads. Where the
driver offers no multisampling, it falls back to one sample (aliased but correct).
"""

from __future__ import annotations

import numpy as np
from OpenGL import GL

from viz3d.render.readback import PixelReader

SAMPLES = 4


class MultisampleTarget:
    def __init__(self, size: tuple[int, int], samples: int = SAMPLES) -> None:
        width, height = size
        self.size = size
        self.samples = min(samples, int(GL.glGetIntegerv(GL.GL_MAX_SAMPLES)))
        self.reader = PixelReader()
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
        self._check("multisampled")
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.read_fbo)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, resolved)
        self._check("resolve")
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)

    @staticmethod
    def _check(which: str) -> None:
        status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
        if status != GL.GL_FRAMEBUFFER_COMPLETE:
            raise RuntimeError(f"the {which} framebuffer is incomplete (status 0x{int(status):x})")

    def bind(self) -> None:
        """Draw into the multisampled buffers from now on."""
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.draw_fbo)

    def read(self) -> np.ndarray:
        """Resolve the samples and return the image as (height, width, 3) uint8, top row first."""
        width, height = self.size
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self.draw_fbo)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, self.read_fbo)
        GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_NEAREST)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.read_fbo)
        pixels = self.reader.read(self.size)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.draw_fbo)
        return pixels

    def release(self) -> None:
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        GL.glDeleteFramebuffers(2, self._framebuffers)
        GL.glDeleteRenderbuffers(3, self._buffers)
