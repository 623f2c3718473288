"""Lines keep their weight at any resolution: the grid, the axes and the arrows widen with the picture.

A core-profile context draws GL_LINES one pixel wide only, so a 4K recording drew hairlines; lines
wider than that are quads (shaders/include/wide_line.glsl). These tests measure the width of lines
read back from rendered frames, top-down, where one world unit is a known number of pixels.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import non_background_mask, probe_of, projection_of, render, top_down_state

SIZE = (240, 180)


def widths_across(lit: np.ndarray, rows: range, columns: slice) -> list[int]:
    """How many pixels are lit in each of ``rows``, within ``columns``."""
    return [int(lit[y, columns].sum()) for y in rows]


def vertical_line_scene(gl):
    """One vertical grid line at x = 0, from y = -0.8 to 0.8, made of 8 segments; the data far away."""
    from viz3d.render.renderer import FrameRenderer

    ys = np.linspace(-0.8, 0.8, 9)
    coords = np.c_[np.zeros(9), ys].astype(np.float32)
    segments = np.c_[np.arange(8), np.arange(1, 9)]
    positions = np.r_[[[9.0, 9.0, 0.0]], np.c_[coords, np.zeros(9)]][None]
    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0], coords, segments))
    renderer.set_projection(projection_of(positions))
    state = top_down_state(n_layers=1, layer=0.0)
    state.show_grid = True
    return renderer, state


def line_rows(state, y_from: float, y_to: float, x: float = 0.0) -> tuple[range, int]:
    """The pixel rows between two heights of the line at ``x``, and the column the line sits in."""
    (col, top), (_, bottom) = np.round(state.camera.to_pixels(np.array([[x, y_to, 0], [x, y_from, 0]]), *SIZE) - 0.5)
    return range(int(top), int(bottom) + 1), int(col)


@pytest.mark.parametrize("scale", [1.0, 2.0, 3.0])
def test_grid_lines_are_as_wide_as_the_picture_scale_and_unbroken(gl, scale):
    renderer, state = vertical_line_scene(gl)
    lit = non_background_mask(render(renderer, state, SIZE, pixel_scale=scale), tolerance=6)
    rows, col = line_rows(state, -0.6, 0.6)
    widths = widths_across(lit, rows, slice(col - 8, col + 9))
    assert min(widths) >= 1, "the line has a gap"
    assert abs(np.median(widths) - scale) <= 0.5, f"{scale:g}-pixel line measured {widths}"
    # Nothing beyond the line's ends: the translucent grid gets no caps, so joints show no beads.
    above, _ = line_rows(state, 0.8, 1.0)
    assert not lit[above.start : above.stop - 3, col - 8 : col + 9].any()


def test_wide_grid_segments_overlap_nowhere(gl):
    """Translucent segments that overlapped at their joints would be brighter there than along them."""
    renderer, state = vertical_line_scene(gl)
    image = render(renderer, state, SIZE, pixel_scale=3.0).astype(int)
    rows, col = line_rows(state, -0.7, 0.7)
    brightness = [image[y, col - 1 : col + 2].sum() for y in rows]
    assert max(brightness) - min(brightness) <= 6, brightness


def test_a_line_passing_behind_the_camera_is_cut_where_it_leaves_the_view(gl):
    """A segment from the plane up through the camera draws its near part only, not a mirrored ghost."""
    from viz3d.render.renderer import FrameRenderer

    coords = np.array([[0.5, 0.0], [0.5, 0.0]], np.float32)
    positions = np.array([[[9.0, 9.0, 0.0], [0.5, 0.0, 0.0], [0.5, 0.0, 40.0]]])
    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0], coords, [[0, 1]]))
    renderer.set_projection(projection_of(positions))
    state = top_down_state(n_layers=1, layer=0.0)
    state.show_grid = True
    lit = non_background_mask(render(renderer, state, SIZE, pixel_scale=3.0), tolerance=6)
    ((start_x, start_y),) = np.round(state.camera.to_pixels(np.array([[0.5, 0.0, 0.0]]), *SIZE) - 0.5).astype(int)
    assert lit[start_y, start_x + 2], "the segment's start, in front of the camera, is not drawn"
    assert lit[start_y, start_x:].sum() > 3 * (SIZE[0] - start_x) // 4, "its near part runs out to the edge"
    assert not lit[:, : SIZE[0] // 2 - 4].any(), "the part behind the camera came back mirrored"
    widths = [int(lit[:, x].sum()) for x in range(start_x + 2, SIZE[0])]
    assert max(widths) <= 4, f"a 3-pixel line widens into a wedge towards the camera: {widths[::10]}"


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_axes_widen_with_the_picture(gl, scale):
    from viz3d.render.renderer import FrameRenderer

    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0]))
    renderer.set_projection(projection_of(np.array([[[9.0, 9.0, 0.0]]])))
    state = top_down_state(n_layers=1, layer=0.0)
    state.show_axes = True
    image = render(renderer, state, SIZE, pixel_scale=scale).astype(int)
    red = (image[..., 0] > 120) & (image[..., 1] < 110)  # the x axis, from the origin to x = 1.25
    (x0, y0), (x1, _) = np.round(state.camera.to_pixels(np.array([[0.2, 0, 0], [1.0, 0, 0]]), *SIZE) - 0.5).astype(int)
    widths = [int(red[y0 - 8 : y0 + 9, x].sum()) for x in range(x0, x1)]
    assert min(widths) >= 1 and abs(np.median(widths) - scale) <= 0.5, widths


def arrow_frame(gl, base, tip, scale: float) -> tuple[np.ndarray, object]:
    """One arrow from ``base`` to ``tip``, top-down at ``scale``: the lit pixels, and the view state."""
    from viz3d.render.renderer import FrameRenderer

    probe = probe_of([0])
    probe = type(probe)(**{**probe.__dict__, "arrow_points": torch.zeros(1, 2), "arrow_vectors": torch.ones(1, 2)})
    renderer = FrameRenderer()
    renderer.set_probe(probe)
    renderer.set_projection(projection_of(np.array([[[9.0, 9.0, 0.0], base, tip]])))
    state = top_down_state(n_layers=1, layer=0.0)
    state.show_arrows = True
    return non_background_mask(render(renderer, state, SIZE, pixel_scale=scale), tolerance=30), state


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_arrows_are_twice_as_bold_as_lines_with_a_head_at_the_tip(gl, scale):
    base, tip = [-0.6, 0.0, 0.0], [0.6, 0.0, 0.0]
    lit, state = arrow_frame(gl, base, tip, scale)
    (bx, y), (tx, _) = np.round(state.camera.to_pixels(np.array([base, tip]), *SIZE) - 0.5).astype(int)
    shaft = [int(lit[y - 10 : y + 11, x].sum()) for x in range(bx + 2, bx + (tx - bx) // 2)]
    assert abs(np.median(shaft) - 2 * scale) <= 0.5, shaft
    # Each head stroke ends 12 px (scaled) back from the tip, turned 0.45 rad off the shaft.
    back, off = 12 * scale * np.cos(0.45), 12 * scale * np.sin(0.45)
    for side in (-1, 1):
        x, y_end = round(tx - back + 1), round(y + side * off)
        assert lit[y_end - 1 : y_end + 2, x - 1 : x + 2].any(), f"no head stroke ends near ({x}, {y_end})"
        assert not lit[round(y + side * (off + 2 * scale + 3)), x], "the head stroke reaches too far"


def test_the_arrows_strokes_meet_in_a_point_past_the_tip(gl):
    """Opaque strokes reach half their width past their ends; without that the tip is notched."""
    lit, state = arrow_frame(gl, [-0.6, 0.0, 0.0], [0.6, 0.0, 0.0], 3.0)
    ((tx, y),) = np.round(state.camera.to_pixels(np.array([[0.6, 0.0, 0.0]]), *SIZE) - 0.5).astype(int)
    assert lit[y - 1 : y + 2, tx + 1].all() and lit[y, tx + 2]


def test_an_arrow_from_behind_the_camera_points_its_head_the_right_way(gl):
    """Its head was built from the base divided by a negative w: it opened backwards, like a tail."""
    lit, state = arrow_frame(gl, [0.5, 0.0, 40.0], [0.5, 0.0, 0.0], 3.0)  # the base far above the camera
    ((tx, y),) = np.round(state.camera.to_pixels(np.array([[0.5, 0.0, 0.0]]), *SIZE) - 0.5).astype(int)
    assert lit[y, tx + 4 :].sum() > (SIZE[0] - tx) // 2, "the shaft runs from the tip out of the picture"
    assert not lit[:, : tx - 3].any(), "the head opens away from the shaft"
    assert lit[: y - 4, tx : tx + 40].any() and lit[y + 5 :, tx : tx + 40].any(), "a head stroke either side"


def test_a_zero_vector_draws_no_arrow(gl):
    lit, _ = arrow_frame(gl, [0.3, 0.2, 0.0], [0.3, 0.2, 0.0], 3.0)
    assert not lit.any()


def test_pictures_are_antialiased_as_recordings_are(gl, tmp_path, monkeypatch):
    """render and picture drew into a single-sample framebuffer: jagged lines, unlike the video's frames.
    Multisampled edges blend into the background, so a picture has many more distinct colours."""
    from PIL import Image
    from torch import nn

    import viz3d
    from viz3d.render.multisample import MultisampleTarget

    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    x, y = torch.randn(300, 2, generator=torch.Generator().manual_seed(0)), torch.arange(300) % 2

    def colours(name: str) -> int:
        out = viz3d.picture(model, x, y, tmp_path / name, size=(640, 360), panel=False, layer=0)
        return len(np.unique(np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3), axis=0))

    multisampled = colours("msaa.png")
    original = MultisampleTarget.__init__
    monkeypatch.setattr(MultisampleTarget, "__init__", lambda self, size, samples=4: original(self, size, 0))
    assert multisampled > 1.5 * colours("single.png")


@pytest.mark.parametrize("scale", [1.0, 3.0])
@pytest.mark.parametrize("layer", [1.0, 0.5])
def test_grid_rows_without_a_position_leave_a_gap_and_nothing_else(gl, scale, layer):
    """A grid sample that is NaN in a layer (a model undefined off the data) cuts the two segments that
    reach it, at rest on that layer and while morphing towards it; the rest of the line is drawn, and
    nothing runs off to the origin or the screen's centre."""
    from dataclasses import replace

    from viz3d.render.renderer import FrameRenderer

    x = 0.4  # off the centre column, where a segment run to the screen's centre would show
    ys = np.linspace(-0.8, 0.8, 9)
    coords = np.c_[np.full(9, x), ys].astype(np.float32)
    line = np.r_[[[9.0, 9.0, 0.0]], np.c_[coords, np.zeros(9)]].astype(np.float32)
    positions = np.stack([line, line])
    positions[1, 1 + 4] = np.nan  # the line's middle sample (y = 0), in the second layer only
    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0], coords, np.c_[np.arange(8), np.arange(1, 9)]))
    renderer.set_projection(replace(projection_of(positions), missing_layers=["layer1"]))
    state = top_down_state(n_layers=2, layer=layer)
    state.show_grid = True
    lit = non_background_mask(render(renderer, state, SIZE, pixel_scale=scale), tolerance=6)
    columns = slice(None)
    kept_top, col = line_rows(state, 0.25, 0.75, x)
    kept_bottom, _ = line_rows(state, -0.75, -0.25, x)
    gap, _ = line_rows(state, -0.15, 0.15, x)
    assert min(widths_across(lit, kept_top, columns)) >= 1 and min(widths_across(lit, kept_bottom, columns)) >= 1
    assert max(widths_across(lit, gap, columns)) == 0, "a segment reaching the missing sample was drawn"
    beside = np.ones(SIZE[0], bool)
    beside[col - 4 : col + 5] = False
    assert not lit[:, beside].any(), "something was drawn off the line"


def test_without_missing_rows_the_grid_is_drawn_whole_after_a_projection_that_had_some(gl):
    """The grid of a projection after one with gaps is whole: nothing of the gaps stays behind (the
    enable itself is checked on the renderer's calls below, as llvmpipe clips without it)."""
    from dataclasses import replace

    renderer, state = vertical_line_scene(gl)
    whole = renderer.projection
    holed = whole.positions.copy()
    holed[0, 5] = np.nan
    renderer.set_projection(replace(whole, positions=holed, missing_layers=["layer0"]))
    render(renderer, state, SIZE)
    renderer.set_projection(whole)
    lit = non_background_mask(render(renderer, state, SIZE), tolerance=6)
    rows, col = line_rows(state, -0.75, 0.75)
    assert min(widths_across(lit, rows, slice(col - 4, col + 5))) >= 1


def test_clip_distance_is_on_exactly_around_the_grid_and_regions_of_a_projection_with_gaps(gl, monkeypatch):
    """llvmpipe clips by gl_ClipDistance whether or not GL_CLIP_DISTANCE0 is enabled (a review checked), so
    the pictures above cannot tell; an NVIDIA driver needs the enable, and must not keep it for programs
    that write no clip distance. Checked on the calls the renderer makes."""
    from dataclasses import replace

    from OpenGL import GL

    from viz3d.render.visuals import PointCloud, WarpedGrid

    calls = []
    enable, disable = GL.glEnable, GL.glDisable
    monkeypatch.setattr(GL, "glEnable", lambda cap: calls.append(("on", cap)) or enable(cap))
    monkeypatch.setattr(GL, "glDisable", lambda cap: calls.append(("off", cap)) or disable(cap))
    for visual, name in ((WarpedGrid, "grid"), (PointCloud, "points")):
        draw = visual.draw
        monkeypatch.setattr(
            visual, "draw", lambda self, *a, draw=draw, name=name, **k: calls.append(name) or draw(self, *a, **k)
        )
    renderer, state = vertical_line_scene(gl)
    render(renderer, state, SIZE)
    assert ("on", GL.GL_CLIP_DISTANCE0) not in calls  # no gaps: no clipping pass
    holed = renderer.projection.positions.copy()
    holed[0, 5] = np.nan
    renderer.set_projection(replace(renderer.projection, positions=holed, missing_layers=["layer0"]))
    calls.clear()
    render(renderer, state, SIZE)
    clip = [c for c in calls if c in ("grid", "points") or c[1] == GL.GL_CLIP_DISTANCE0]
    assert clip == [("on", GL.GL_CLIP_DISTANCE0), "grid", ("off", GL.GL_CLIP_DISTANCE0), "points"], clip
