"""Helpers shared by the rendering tests: a scene from hand-made positions, drawn into an FBO."""

from __future__ import annotations

import numpy as np

from viz3d.app.state import ViewState
from viz3d.capture.probe import ProbeSet
from viz3d.colors import BACKGROUND
from viz3d.project.projection import Projection
from viz3d.render.camera import OrbitCamera

BACKGROUND_RGB = (np.array(BACKGROUND[:3]) * 255).round().astype(int)


def probe_of(labels, grid_coords=None, segments=None, n_dims: int = 2, grid_shape=(0, 0)) -> ProbeSet:
    import torch

    grid = np.zeros((0, 2), np.float32) if grid_coords is None else np.asarray(grid_coords, np.float32)
    segs = np.zeros((0, 2), np.uint32) if segments is None else np.asarray(segments, np.uint32)
    return ProbeSet(
        inputs=torch.zeros(len(labels) + len(grid), n_dims),
        n_data=len(labels),
        labels=np.asarray(labels),
        grid_coords=grid,
        grid_segments=segs,
        grid_shape=grid_shape,
    )


def projection_of(positions: np.ndarray) -> Projection:
    n_layers = positions.shape[0]
    names = [f"layer{i}" for i in range(n_layers)]
    return Projection(
        step=0,
        layer_names=names,
        layer_labels=names,
        positions=np.ascontiguousarray(positions, np.float32),
        explained_variance_ratio=np.zeros((n_layers, 10), np.float32),
        scales=np.ones(n_layers, np.float32),
        widths=[3] * n_layers,
        axes=[(0, 1, 2)] * n_layers,
    )


def top_down_state(n_layers: int, layer: float) -> ViewState:
    """Looking straight down at the xy-plane, x to the right and y up, nothing but the scene."""
    state = ViewState(n_layers=n_layers, show_axes=False, show_grid=False, point_size=9.0)
    state.camera = OrbitCamera(azimuth=-90.0, elevation=89.99, distance=4.0)
    state.set_layer(layer)
    return state


def render(renderer, state: ViewState, size=(200, 150), pixel_scale: float = 1.0) -> np.ndarray:
    from viz3d.render.renderer import Offscreen

    target = Offscreen(size)
    with target.fbo:
        renderer.draw(state, size, pixel_scale=pixel_scale)
        return renderer.read_pixels(size)


def is_background(pixel: np.ndarray, tolerance: int = 12) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - BACKGROUND_RGB) <= tolerance))


def non_background_mask(image: np.ndarray, tolerance: int = 12) -> np.ndarray:
    return np.any(np.abs(image.astype(int) - BACKGROUND_RGB) > tolerance, axis=-1)


def preset_with_view(name: str, **view: str) -> str:
    """A shipped preset's TOML with these [view] keys set (replacing any it has), for a test's own file."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "presets" / f"{name}.toml").read_text()
    for key in view:
        text = re.sub(rf"^{key} = .*\n", "", text, flags=re.MULTILINE)
    lines = "".join(f'{key} = "{value}"\n' for key, value in view.items())
    return text.replace("[view]\n", f"[view]\n{lines}")


class PanelText:
    """Every line of text the overlay draws, newest frame last, to read what the panel says."""

    def __init__(self, monkeypatch):
        from imgui_bundle import imgui

        self.lines: list[str] = []
        text, text_colored = imgui.text, imgui.text_colored

        def spy(line, *args, **kwargs):
            self.lines.append(line)
            return text(line, *args, **kwargs)

        def spy_colored(color, line, *args, **kwargs):
            self.lines.append(line)
            return text_colored(color, line, *args, **kwargs)

        monkeypatch.setattr(imgui, "text", spy)
        monkeypatch.setattr(imgui, "text_colored", spy_colored)

    def last(self, prefix: str) -> str | None:
        return next((line for line in reversed(self.lines) if line.startswith(prefix)), None)


def full_batch_step(model, x, y, optimizer, steps: list | None = None):
    """A user's train_step: one cross-entropy step of ``optimizer`` on all of ``x``; the step numbers it
    was called with go into ``steps`` where one is given. Returns the loss as a float."""
    import torch

    def train_step(step: int) -> float:
        if steps is not None:
            steps.append(step)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    return train_step
