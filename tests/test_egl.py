"""Headless contexts made with EGL itself: the displays tried and their order, a chosen device, and
contexts that come and go in any order while another stays in use."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import run_cli
from helpers import non_background_mask, probe_of, projection_of, render, top_down_state
from test_cli import one_line_error
from torch import nn

import viz3d
import viz3d.render.egl as egl
from viz3d.errors import GLContextError


def test_gpus_come_first_then_mesa_then_its_software_device(monkeypatch):
    """A GPU server lists its GPUs as EGL devices, and Mesa adds its software one: llvmpipe must never
    be chosen over a GPU, and it is reached through Mesa's surfaceless platform before its device."""
    monkeypatch.delenv(egl.DEVICE_VARIABLE, raising=False)
    monkeypatch.setattr(egl, "_extensions", lambda display: "EGL_EXT_platform_device EGL_MESA_platform_surfaceless")
    monkeypatch.setattr(egl, "_devices", lambda: [("llvmpipe", True), ("gpu-a", False), ("gpu-b", False)])
    assert [where for where, _ in egl._displays()] == [
        "EGL device 1",
        "EGL device 2",
        "Mesa's surfaceless platform",
        "EGL device 0 (software)",
        "EGL's default display",
    ]
    monkeypatch.setattr(egl, "_extensions", lambda display: "")  # EGL 1.4: no client extensions at all
    assert [where for where, _ in egl._displays()] == ["EGL's default display"]


def test_a_chosen_device_is_the_only_one_tried(monkeypatch):
    monkeypatch.setattr(egl, "_extensions", lambda display: "EGL_EXT_platform_device EGL_MESA_platform_surfaceless")
    monkeypatch.setattr(egl, "_devices", lambda: [("gpu-a", False), ("gpu-b", False)])
    monkeypatch.setenv(egl.DEVICE_VARIABLE, "1")
    assert [where for where, _ in egl._displays()] == [
        "EGL device 1, chosen by VIZ3D_EGL_DEVICE (unset it to try the others)"
    ]
    for wrong, problem in (("2", "names no EGL device"), ("-1", "is not a device number"), ("gpu", "is not a")):
        monkeypatch.setenv(egl.DEVICE_VARIABLE, wrong)
        with pytest.raises(GLContextError, match=f"VIZ3D_EGL_DEVICE={wrong} {problem}.* 0 to 1 or unset"):
            egl._displays()


def test_every_refusal_is_named_in_the_one_error(monkeypatch):
    def refused():
        raise RuntimeError("no such thing\nwith a long dump after it")

    monkeypatch.setattr(egl, "_displays", lambda: [("EGL device 0", refused), ("EGL's default display", refused)])
    with pytest.raises(GLContextError) as caught:
        egl.create_context()
    assert (
        str(caught.value)
        == "EGL device 0: RuntimeError: no such thing; EGL's default display: RuntimeError: no such thing"
    )


def test_picture_drawn_through_egl_device_platform(tmp_path, monkeypatch, gl):
    """The device platform is the path NVIDIA's EGL offers; here it is Mesa's software device, the first
    (and only) device EGL lists. The picture must hold the scene, not a blank frame."""
    from viz3d.render.egl import _devices

    if not _devices():
        pytest.skip("this EGL lists no devices")
    monkeypatch.setenv(egl.DEVICE_VARIABLE, "0")
    from viz3d.render import context as contexts

    made = []
    create_context = egl.create_context
    monkeypatch.setattr(contexts, "create_context", lambda *size: made.append(create_context(*size)) or made[-1])
    torch.manual_seed(0)
    x = torch.randn(300, 2)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    path = viz3d.picture(model, x, (x[:, 0] > 0).long(), tmp_path / "device.png", size=(320, 180), panel=False)
    from PIL import Image

    image = np.asarray(Image.open(path).convert("RGB"))
    assert non_background_mask(image).mean() > 0.01
    assert [made_one.where for made_one in made] == [
        "EGL device 0, chosen by VIZ3D_EGL_DEVICE (unset it to try the others)"
    ]


def test_the_default_framebuffer_is_8_bit_rgba_with_depth_as_a_hidden_window_gave(gl):
    """EGL's first configuration had been RGB565 without depth: the live loop's tests draw into it."""
    from OpenGL import GL

    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
    attachment = GL.GL_FRAMEBUFFER_ATTACHMENT_RED_SIZE
    assert GL.glGetFramebufferAttachmentParameteriv(GL.GL_FRAMEBUFFER, GL.GL_BACK_LEFT, attachment) == 8
    depth = GL.GL_FRAMEBUFFER_ATTACHMENT_DEPTH_SIZE
    assert GL.glGetFramebufferAttachmentParameteriv(GL.GL_FRAMEBUFFER, GL.GL_DEPTH, depth) == 24


def test_contexts_close_in_any_order_while_another_draws(gl):
    """EGL initialises a display once for all the process's users: closing one context must not terminate
    the display under the others (the session's context draws after two more came and went)."""
    from viz3d.render.context import open_headless
    from viz3d.render.renderer import FrameRenderer

    first, second = open_headless(), open_headless()
    first.close()
    second.make_current()
    second.close()
    gl.make_current()
    renderer = FrameRenderer()
    renderer.set_probe(probe_of(np.array([0, 1, 2])))
    renderer.set_projection(projection_of(np.array([[[0, 0, 0], [0.5, 0.5, 0], [-0.5, 0.2, 0]]], np.float32)))
    image = render(renderer, top_down_state(1, 0.0))
    assert non_background_mask(image).sum() > 20


def test_a_device_that_does_not_exist_is_one_line(tmp_path):
    result = run_cli(
        "render", "spirals", "--out", str(tmp_path / "x.png"), "--steps", "0", env={"VIZ3D_EGL_DEVICE": "7"}
    )
    one_line_error(result, "VIZ3D_EGL_DEVICE=7 names no EGL device", "unset it")
    assert result.returncode == 3
    assert not (tmp_path / "x.png").exists()


def test_a_picture_too_large_for_multisampling_falls_back_to_fewer_samples_then_says_so(gl, monkeypatch):
    """A trial's --size 16384x16384 (in the documented range) ended as "the multisampled framebuffer is
    incomplete (status 0x8cd6)", reported as a viz3d bug: llvmpipe cannot make it at 4 samples, nor at 1."""
    import viz3d.render.multisample as multisample
    from viz3d.errors import Viz3dError

    real_complete = multisample._complete
    tried = []

    def only_one_sample() -> bool:  # a driver with memory for one sample a pixel only
        samples = int(multisample.GL.glGetIntegerv(multisample.GL.GL_SAMPLES))  # the bound framebuffer's
        tried.append(samples)
        return real_complete() and samples <= 1

    monkeypatch.setattr(multisample, "_complete", only_one_sample)
    target = multisample.MultisampleTarget((64, 48))
    assert target.samples == 0 and target.read().shape == (48, 64, 3)  # one sample a pixel
    assert tried[0] == 4 and tried[-2:] == [0, 0]  # 4 samples first; the single-sample pair last
    target.release()
    monkeypatch.setattr(multisample, "_complete", lambda: False)
    with pytest.raises(Viz3dError, match=r"^64x48 is too large for this GL's framebuffers .*: choose a smaller size$"):
        multisample.MultisampleTarget((64, 48))
    monkeypatch.setattr(multisample, "_complete", real_complete)
    storage = multisample.GL.glRenderbufferStorageMultisample

    def out_of_memory(target, samples, *rest):  # a driver that raises it (a review: llvmpipe's 20000²)
        if samples > 0:
            raise multisample.GLError(err=multisample.GL.GL_OUT_OF_MEMORY, result=None, baseOperation=storage)
        return storage(target, samples, *rest)

    monkeypatch.setattr(multisample.GL, "glRenderbufferStorageMultisample", out_of_memory)
    target = multisample.MultisampleTarget((64, 48))
    assert target.samples == 0 and target.read().shape == (48, 64, 3)
    target.release()
    largest = int(multisample.GL.glGetIntegerv(multisample.GL.GL_MAX_RENDERBUFFER_SIZE))
    with pytest.raises(Viz3dError, match=rf"^{largest + 1}x16 is larger than this GL draws \({largest} pixels a side"):
        multisample.MultisampleTarget((largest + 1, 16))
