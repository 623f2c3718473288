"""A wide layer drawn through its principal components: the clusters show, in their colours."""

from __future__ import annotations

import numpy as np
import torch
from helpers import full_batch_step, non_background_mask, render
from PIL import Image
from torch import nn

from viz3d.app.state import ViewState
from viz3d.capture.probe import make_probe
from viz3d.colors import class_colors
from viz3d.render.camera import OrbitCamera
from viz3d.train.session import TrainingSession


def blob_session() -> TrainingSession:
    """Four Gaussian blobs in 12-D through a 32-wide MLP, briefly trained."""
    torch.manual_seed(0)
    centres = torch.randn(4, 12) * 3
    labels = torch.arange(4).repeat_interleave(150)
    x = centres[labels] + torch.randn(600, 12)
    model = nn.Sequential(nn.Linear(12, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4))
    train_step = full_batch_step(model, x, labels, torch.optim.Adam(model.parameters(), lr=0.01))
    return TrainingSession(model, make_probe(x, labels, 9, 33, 0.1), train_step)


def test_wide_layer_renders_its_clusters(gl, tmp_path):
    from viz3d.render.renderer import FrameRenderer

    session = blob_session()
    session.train(100)
    projection = session.capture()
    assert projection.widths[3] == 32  # the second hidden Linear: drawn through PCA
    assert projection.explained_variance_ratio[3, :3].sum() > 0.8  # four blobs live in ~3 dimensions

    renderer = FrameRenderer()
    renderer.set_probe(session.probe)
    renderer.set_projection(projection)
    state = ViewState(n_layers=len(projection.layer_names), show_grid=True, point_size=6.0)
    state.camera = OrbitCamera(azimuth=-60, elevation=30, distance=3.8)
    state.set_layer(4)
    image = render(renderer, state, (480, 320))
    Image.fromarray(image).save(tmp_path / "wide-layer.png")

    palette = (class_colors(np.arange(4))[:, :3] * 255).astype(int)
    pixels = image.reshape(-1, 3).astype(int)
    for color in palette:
        close = np.abs(pixels - color).max(axis=1) < 30
        assert close.sum() > 40, f"class colour {color} barely appears"
    assert non_background_mask(image).mean() > 0.02
