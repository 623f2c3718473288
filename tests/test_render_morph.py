"""The morph shader: points land where the positions texture says, at u_layer 0, 1 and 0.5."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import is_background, non_background_mask, probe_of, projection_of, render, top_down_state

from viz3d.colors import class_colors

SIZE = (200, 150)

# Three points, each a different class colour; layer 1 moves each one somewhere else.
LAYER0 = np.array([[-0.8, 0.5, 0.0], [0.0, 0.0, 0.0], [0.7, -0.6, 0.0]])
LAYER1 = np.array([[0.8, 0.5, 0.0], [0.0, -0.7, 0.0], [-0.7, -0.6, 0.0]])
LABELS = [0, 1, 2]


@pytest.fixture
def renderer(gl):
    from viz3d.render.renderer import FrameRenderer

    renderer = FrameRenderer()
    renderer.set_probe(probe_of(LABELS))
    renderer.set_projection(projection_of(np.stack([LAYER0, LAYER1])))
    return renderer


def expected_pixels(state, points: np.ndarray) -> np.ndarray:
    return np.round(state.camera.to_pixels(points, *SIZE) - 0.5).astype(int)


@pytest.mark.parametrize(
    ("layer", "where"),
    [(0.0, LAYER0), (1.0, LAYER1), (0.5, (LAYER0 + LAYER1) / 2)],
    ids=["layer0", "layer1", "halfway"],
)
def test_points_drawn_where_the_texture_says(renderer, layer, where):
    state = top_down_state(n_layers=2, layer=layer)
    image = render(renderer, state, SIZE)
    colors = (class_colors(np.array(LABELS))[:, :3] * 255).astype(int)
    for (x, y), color in zip(expected_pixels(state, where), colors, strict=True):
        pixel = image[y, x].astype(int)
        assert np.abs(pixel - color).max() < 40, f"pixel {pixel} at ({x}, {y}) should be {color}"
    # Nothing else is lit: three dots of about 9 px, so far fewer than 3 * 81 pixels.
    lit = non_background_mask(image).sum()
    assert 3 * 20 < lit < 3 * 90


def test_other_layers_positions_are_empty(renderer):
    state = top_down_state(n_layers=2, layer=0.0)
    image = render(renderer, state, SIZE)
    for x, y in expected_pixels(state, LAYER1):
        assert is_background(image[y, x])


def test_morph_is_eased_not_linear(renderer):
    """At a quarter of the way the smoothstep ease has moved 15.6% (3t² - 2t³), not 25%."""
    state = top_down_state(n_layers=2, layer=0.25)
    image = render(renderer, state, SIZE)
    eased = 0.25 * 0.25 * (3 - 2 * 0.25)
    x, y = expected_pixels(state, LAYER0 + eased * (LAYER1 - LAYER0))[0]
    assert not is_background(image[y, x])
    xl, yl = expected_pixels(state, LAYER0 + 0.25 * (LAYER1 - LAYER0))[0]
    assert abs(xl - x) > 6 and is_background(image[yl, xl])


def test_grid_lines_drawn_and_warped(gl):
    from viz3d.capture.probe import grid_lattice
    from viz3d.render.renderer import FrameRenderer

    coords, segments = grid_lattice(np.array([-0.8, -0.8]), np.array([0.8, 0.8]), lines=5, samples=9)
    flat = np.c_[coords, np.zeros(len(coords))]
    warped = flat * np.array([0.5, 1.0, 1.0])  # layer 1 squeezes x to half
    one_point = np.zeros((1, 3))  # the data: one point off to the side
    positions = np.stack([np.r_[one_point + 5, flat], np.r_[one_point + 5, warped]])
    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0], coords, segments))
    renderer.set_projection(projection_of(positions))

    for layer, half_width in ((0.0, 0.8), (1.0, 0.4)):
        state = top_down_state(n_layers=2, layer=layer)
        state.show_grid = True
        image = render(renderer, state, SIZE)
        lit = non_background_mask(image, tolerance=6)
        # The grid's outer vertical lines sit at x = ±half_width, its middle line at x = 0.
        for x_world in (-half_width, 0.0, half_width):
            x, y = expected_pixels(state, np.array([[x_world, 0.3, 0.0]]))[0]
            assert lit[y, x - 1 : x + 2].any(), f"no grid line at x={x_world} in layer {layer}"
        # Between the lines and outside the grid there is nothing.
        x, y = expected_pixels(state, np.array([[half_width + 0.3, 0.3, 0.0]]))[0]
        assert not lit[y, x]
        assert lit.sum() > 200


# Points far into the colours texture (4,096 per row), each on its own spot with its own class colour.
FAR_INDICES = [0, 4095, 4096, 8200, 12344, 19992]
FAR_SPOTS = np.array([[-0.8, 0.5, 0], [-0.3, 0.5, 0], [0.3, 0.5, 0], [0.8, 0.5, 0], [-0.5, -0.5, 0], [0.5, -0.5, 0]])


@pytest.mark.parametrize("stride", [1, 8], ids=["every-point", "one-in-8"])
def test_point_colours_follow_their_index_past_the_first_texture_row(gl, stride):
    """Thinned, the points drawn are `thinned_points`: each far point is the one drawn from its block of
    ``stride``, and another point of the same block, put in the middle, is not drawn."""
    from viz3d.render.renderer import FrameRenderer
    from viz3d.render.visuals import thinned_points

    n = 20_000
    drawn = thinned_points(n, stride)
    indices = [int(drawn[index // stride]) for index in FAR_INDICES]  # FAR_INDICES themselves, at stride 1
    labels = np.zeros(n, int)
    positions = np.full((1, n, 3), 50.0, np.float32)  # everything else off screen
    for label, (index, spot) in enumerate(zip(indices, FAR_SPOTS, strict=True), start=1):
        labels[index] = label
        positions[0, index] = spot
    skipped = indices[3] ^ 1 if stride > 1 else None  # in block 8200 // 8, beside the point drawn from it
    if skipped is not None:
        labels[skipped], positions[0, skipped] = 1, (0.0, 0.0, 0.0)
    renderer = FrameRenderer()
    renderer.set_probe(probe_of(labels))
    renderer.set_projection(projection_of(positions))
    state = top_down_state(n_layers=1, layer=0.0)
    state.lod_stride = stride
    image = render(renderer, state, SIZE)
    colors = (class_colors(np.arange(1, len(FAR_INDICES) + 1))[:, :3] * 255).astype(int)
    for (x, y), color, index in zip(expected_pixels(state, FAR_SPOTS), colors, indices, strict=True):
        pixel = image[y, x].astype(int)
        assert np.abs(pixel - color).max() < 40, f"point {index}: pixel {pixel} should be {color}"
    if skipped is not None:
        ((x, y),) = expected_pixels(state, np.zeros((1, 3)))
        assert is_background(image[y, x]), f"point {skipped} is not the one drawn from its block but was drawn"


def test_colours_are_uploaded_only_when_what_they_show_changes(gl, monkeypatch):
    from dataclasses import replace

    from viz3d.colors import CORRECT, WRONG
    from viz3d.render.renderer import FrameRenderer

    renderer = FrameRenderer()
    renderer.set_probe(probe_of(LABELS))
    uploads = []
    original = renderer.points.set_colors
    monkeypatch.setattr(renderer.points, "set_colors", lambda colors: (uploads.append(1), original(colors)))
    right = replace(projection_of(np.stack([LAYER0, LAYER1])), predictions=np.array(LABELS))
    for _ in range(3):
        renderer.set_projection(replace(right, predictions=np.array(LABELS)))  # new arrays, same classes
    assert uploads == []  # class colours depend on the labels only
    state = top_down_state(n_layers=2, layer=0.0)
    state.color_by = "correct"
    x, y = expected_pixels(state, LAYER0)[1]
    assert np.abs(render(renderer, state, SIZE)[y, x].astype(int) - np.array(CORRECT[:3]) * 255).max() < 40
    renderer.set_projection(replace(right, predictions=np.array(LABELS)))
    assert len(uploads) == 1  # switching to "correct", then the same predictions again
    predictions = np.array([0, 2, 2])  # point 1 now wrong
    renderer.set_projection(replace(right, predictions=predictions))
    assert len(uploads) == 2
    assert np.abs(render(renderer, state, SIZE)[y, x].astype(int) - np.array(WRONG[:3]) * 255).max() < 40
    predictions[1] = 1  # changed in place: right again
    renderer.set_projection(replace(right, predictions=predictions))
    assert len(uploads) == 3
    assert np.abs(render(renderer, state, SIZE)[y, x].astype(int) - np.array(CORRECT[:3]) * 255).max() < 40
    state.color_by = "neuron"
    render(renderer, state, SIZE)  # no neuron values yet: class colours
    assert len(uploads) == 4
    for _ in range(2):  # a diverged neuron: NaN counts as equal to NaN, so the second is skipped
        renderer.set_projection(replace(right, neuron_values=np.array([0.0, np.nan, 1.0])))
    assert len(uploads) == 5
    state.color_by = "class"
    image = render(renderer, state, SIZE)
    assert len(uploads) == 6
    assert np.abs(image[y, x].astype(int) - np.array(class_colors(np.array([1]))[0, :3]) * 255).max() < 40


def test_colours_for_another_number_of_points_are_refused(gl):
    from viz3d.render.visuals import PointCloud

    cloud = PointCloud(class_colors(np.array(LABELS)))
    with pytest.raises(ValueError, match="got colours for 2 points, but the cloud has 3"):
        cloud.set_colors(class_colors(np.array([0, 1])))
