"""Test set-up: headless EGL rendering (even where a display exists), seeded RNGs, one GL context.

The environment variables must be set before anything imports OpenGL or vispy.gloo, so they are set
at import time of this file, which pytest loads first.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

os.environ["PYOPENGL_PLATFORM"] = "egl"
os.environ["EGL_PLATFORM"] = "surfaceless"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
VIZ3D = [sys.executable, "-m", "viz3d.cli"]


@pytest.fixture(autouse=True)
def _seed() -> None:
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def gl_context():
    """One headless GL 3.3 core context for the whole session (EGL on Mesa llvmpipe in CI)."""
    from viz3d.render.context import open_headless
    from viz3d.render.platform import use_headless

    use_headless()
    context = open_headless()
    yield context
    context.close()


@pytest.fixture
def gl(gl_context):
    gl_context.make_current()
    return gl_context


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 180):
    """Run ``viz3d`` in a subprocess, headless; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DISPLAY", None)
    full_env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [*VIZ3D, *args], capture_output=True, text=True, env=full_env, cwd=cwd or REPO, timeout=timeout
    )


def has_xvfb() -> bool:
    return shutil.which("xvfb-run") is not None
