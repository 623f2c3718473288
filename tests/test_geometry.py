"""Pure numbers: projection, grid lattice, camera, view state and the shader files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from viz3d.app.preset_view import resolve_layer
from viz3d.app.state import ViewState
from viz3d.capture.probe import grid_lattice, lattice_segments
from viz3d.capture.snapshot import Snapshot
from viz3d.errors import Viz3dError
from viz3d.project.projection import project
from viz3d.render.camera import OrbitCamera
from viz3d.render.shaders import shader_source
from viz3d.resources import shader_dir


def snapshot_of(**layers) -> Snapshot:
    names = list(layers)
    return Snapshot(
        step=0,
        layer_names=names,
        layer_kinds=["Linear"] * len(names),
        activations={k: torch.as_tensor(v, dtype=torch.float32) for k, v in layers.items()},
    )


def test_narrow_layers_keep_their_own_coordinates_scaled():
    acts = np.array([[1.0, 2.0], [-2.0, 4.0], [0.5, -1.0]] * 40)
    proj = project(snapshot_of(input=acts))
    scale = proj.scales[0]
    np.testing.assert_allclose(proj.positions[0, :, :2], acts * scale, rtol=1e-6)
    assert np.all(proj.positions[0, :, 2] == 0)
    middle = np.quantile(proj.positions[0], [0.005, 0.995], axis=0).mean(axis=0)  # y runs -1..4: not centred
    assert np.quantile(np.abs(proj.positions[0] - middle).max(axis=1), 0.99) == pytest.approx(1.0, rel=1e-4)


@pytest.mark.parametrize("offset", [0.0, 1.0, 5.0, 100.0])
def test_a_narrow_layer_far_from_the_origin_fills_the_view_about_its_middle(offset):
    """An API trial's Linear layer with a bias of +5 was drawn as a dot (scaled to fit the cube about the
    origin). It fills [-1, 1] about its middle now, unless the origin would then be more than 4 away: points
    spread over [-1, 1] + offset reach offset + 1 from the origin, so the extent is max(1, (offset + 1) / 4)."""
    acts = np.random.default_rng(0).uniform(-1.0, 1.0, size=(2000, 2)) + offset
    proj = project(snapshot_of(input=acts))
    positions = proj.positions[0, :, :2]
    np.testing.assert_allclose(positions, acts * proj.scales[0], rtol=1e-5)  # its own coordinates, origin kept
    extent = max(1.0, (offset + 1.0) / 4)
    middle = np.quantile(positions, [0.005, 0.995], axis=0).mean(axis=0)
    np.testing.assert_allclose(middle, offset / extent, atol=0.05)
    spread = np.quantile(np.abs(positions - middle).max(axis=1), 0.99)
    assert spread == pytest.approx(1.0 / extent, rel=0.05)


def test_wide_layer_matches_sklearn_pca():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(500, 12)) @ rng.normal(size=(12, 12)) + 3.0
    proj = project(snapshot_of(hidden=acts))
    reference = PCA(n_components=10).fit(acts)
    np.testing.assert_allclose(proj.explained_variance_ratio[0], reference.explained_variance_ratio_, rtol=1e-4)
    ours = proj.positions[0] / proj.scales[0]
    theirs = reference.transform(acts)[:, :3]
    for axis in range(3):  # same axes up to sign
        corr = np.corrcoef(ours[:, axis], theirs[:, axis])[0, 1]
        assert abs(corr) > 0.9999


def test_fit_rows_set_the_scale_not_the_grid():
    data = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]] * 30)
    far_grid = np.array([[50.0, 50.0]])
    proj = project(snapshot_of(input=np.r_[data, far_grid]), fit_rows=slice(0, len(data)))
    assert proj.scales[0] == pytest.approx(1.0)
    assert proj.positions[0, -1, 0] == pytest.approx(50.0)


def test_grid_lattice_lines_and_segments():
    coords, segments = grid_lattice(np.array([0.0, 0.0]), np.array([2.0, 1.0]), lines=3, samples=5)
    assert coords.shape == (2 * 3 * 5, 2)
    assert segments.shape == (2 * 3 * 4, 2)
    first_line = coords[:5]
    np.testing.assert_allclose(first_line[:, 1], 0.0)  # a horizontal line at y = 0
    np.testing.assert_allclose(first_line[:, 0], [0, 0.5, 1, 1.5, 2])
    # Every segment joins neighbours on one line: one step of 0.5 in x or 0.25 in y.
    steps = np.abs(coords[segments[:, 1]] - coords[segments[:, 0]])
    assert np.all(
        (np.isclose(steps[:, 0], 0.5) & np.isclose(steps[:, 1], 0))
        | (np.isclose(steps[:, 0], 0) & np.isclose(steps[:, 1], 0.25))
    )


@pytest.mark.parametrize(("lines", "samples", "step"), [(5, 9, 2), (4, 5, 2), (101, 601, 4), (22, 127, 4)])
def test_a_coarser_lattice_is_every_step_th_line_and_sample_of_the_same_box(lines, samples, step):
    """The level of detail draws the grid through `lattice_segments(lines, samples, step)`: checked here against
    the lattice's own coordinates, line by line."""
    coords, full = grid_lattice(np.array([0.0, 0.0]), np.array([1.0, 1.0]), lines, samples)
    np.testing.assert_array_equal(lattice_segments(lines, samples), full)
    coarse = lattice_segments(lines, samples, step)
    starts, ends = coords[coarse[:, 0]], coords[coarse[:, 1]]
    horizontal = coarse[:, 0] < lines * samples
    assert np.allclose(starts[horizontal, 1], ends[horizontal, 1]) and np.allclose(
        starts[~horizontal, 0], ends[~horizontal, 0]
    )
    # the lines kept: 0, step, 2·step, ... and the last; each way the same, spanning the whole box
    spacing = 1 / (lines - 1)
    kept = sorted(set(np.round(starts[horizontal, 1] / spacing).astype(int)))
    expected = sorted(set(range(0, lines, step)) | {lines - 1})
    assert kept == expected
    assert sorted(set(np.round(starts[~horizontal, 0] / spacing).astype(int))) == expected
    # along a line, segments join every step-th sample (the last one shorter) and cover it end to end
    first_line = coarse[coarse[:, 0] < samples]
    along = np.round(coords[first_line, 0] * (samples - 1)).astype(int)
    assert along[0, 0] == 0 and along[-1, 1] == samples - 1 and np.array_equal(along[1:, 0], along[:-1, 1])
    assert set(np.diff(along, axis=1).ravel()[:-1]) == {step}
    assert len(coarse) == 2 * len(expected) * (len(along))


def test_camera_centre_and_axes_on_screen():
    camera = OrbitCamera(azimuth=-90, elevation=0.0, distance=5.0)
    pixels = camera.to_pixels(np.array([[0, 0, 0], [1, 0, 0], [0, 0, 1]]), 400, 200)
    np.testing.assert_allclose(pixels[0], [200, 100], atol=1e-6)
    assert pixels[1, 0] > 200 and pixels[1, 1] == pytest.approx(100)  # +x to the right
    assert pixels[2, 1] < 100 and pixels[2, 0] == pytest.approx(200)  # +z up


def test_the_view_matrix_matches_a_hand_worked_look_at():
    """Eye at (0, -5, 0) looking along +y with z up (azimuth -90, elevation 0): world x is the eye's right,
    world z its up, and a point 1 further along +y is 6 in front of the eye."""
    view = OrbitCamera(azimuth=-90.0, elevation=0.0, distance=5.0).view_matrix()
    world = np.array([[0, 0, 0, 1], [1, 0, 0, 1], [0, 0, 1, 1], [0, 1, 0, 1]], float)
    np.testing.assert_allclose(world @ view, [[0, 0, -5, 1], [1, 0, -5, 1], [0, 1, -5, 1], [0, 0, -6, 1]], atol=1e-12)
    turned = OrbitCamera(azimuth=0.0, elevation=0.0, distance=5.0, center=np.array([1.0, 2.0, 3.0]))
    # eye at centre + (5, 0, 0) looking along -x: world +y is now the eye's right
    np.testing.assert_allclose(np.array([1.0, 3.0, 3.0, 1.0]) @ turned.view_matrix(), [1, 0, -5, 1], atol=1e-12)


def test_camera_controls_and_reset():
    camera = OrbitCamera(azimuth=10, elevation=20, distance=4)
    camera.rotate(100, 1000)
    assert camera.elevation == 89.0  # clamped short of the pole
    camera.zoom(1)
    assert camera.distance == pytest.approx(3.6)
    camera.pan(30, 0, viewport_height=500)
    assert np.linalg.norm(camera.center) > 0
    camera.reset()
    assert (camera.azimuth, camera.elevation, camera.distance) == (10, 20, 4)
    assert np.all(camera.center == 0)


def test_layer_keys_animate_between_whole_layers():
    state = ViewState(n_layers=4, morph_speed=2.0)
    state.step_layer(+1)
    assert state.layer == 0 and state.layer_target == 1
    state.advance(0.25)
    assert state.layer == pytest.approx(0.5)
    state.step_layer(+1)  # pressed again mid-morph: heads on to layer 2
    assert state.layer_target == 2
    state.advance(10)
    assert state.layer == 2 and state.layer_target is None
    state.step_layer(-1)
    state.step_layer(-1)
    state.step_layer(-1)  # cannot go below the input
    assert state.layer_target == 0
    state.set_layer(2.7)  # the slider jumps and cancels the animation
    assert state.layer == 2.7 and state.layer_target is None
    state.step_layer(+1)
    assert state.layer_target == 3


def test_resolve_layer():
    names = ["input", "0", "1", "2"]
    assert resolve_layer("last", names) == 3
    assert resolve_layer(0, names) == 0  # numbers are positions, even where a module is called "0" ...
    with pytest.raises(Viz3dError, match=r"^'0' is both position 0 and the name of the layer at position 1"):
        resolve_layer("0", names)  # ... and a string that is both is refused, naming both readings
    assert resolve_layer("3", names) == 3  # no layer is named "3": a position
    assert resolve_layer(-2, names) == 2
    assert resolve_layer("1.5", names) == 1.5
    assert resolve_layer("input", names) == 0
    with pytest.raises(Viz3dError, match=r"out of range: this model has layers 0 to 3 \(or -4 to -1\)"):
        resolve_layer("4", names)
    with pytest.raises(Viz3dError, match=r"unknown layer 'conv'.*position from 0 to 3, a name \(input\)$"):
        resolve_layer("conv", names)  # the numbered modules are not offered as names: "1" means position 1
    labels = ["input", "Linear (module 0)", "Tanh (module 1)", "Linear (module 2)"]
    assert resolve_layer("Tanh (module 1)", names, labels) == 2  # as the panel shows it
    assert resolve_layer("tanh (module 1)", names, labels) == 2
    with pytest.raises(Viz3dError, match=r"a name \(input\), or a label as the panel shows it, such as 'Linear"):
        resolve_layer("conv", names, labels)


def test_every_shader_file_is_one_ascii_program_with_a_header():
    programs = sorted(shader_dir().glob("*.glsl"))
    assert {p.stem for p in programs} >= {"points", "grid", "reference"}
    for path in programs:
        text = path.read_text()
        assert text.startswith("// "), f"{path.name} should open with a header comment"
        assert text.isascii(), f"{path.name}: vispy passes character counts to GL, so shaders must be ASCII"
        vertex, fragment = shader_source(path.stem)
        assert "#version 330 core" in vertex and "#version 330 core" in fragment
        assert "#include" not in vertex + fragment


def test_unknown_shader_names_the_known_ones():
    with pytest.raises(FileNotFoundError, match="known programs are .*points"):
        shader_source("sparkles")


@pytest.mark.parametrize("frame_left", [0.0, 0.35])
def test_distance_to_fit_puts_the_outermost_point_on_the_margin(frame_left):
    from viz3d.render.camera import OrbitCamera

    points = np.random.default_rng(0).normal(size=(500, 3))
    camera = OrbitCamera(azimuth=-60.0, elevation=40.0, distance=2.0, frame_left=frame_left)
    camera.center = np.array([0.1, -0.2, 0.05], np.float32)
    camera.distance = camera.distance_to_fit(points, 16 / 9, margin=0.05)
    pixels = camera.to_pixels(points, 1600, 900)
    ndc_x, ndc_y = pixels[:, 0] / 800 - 1, 1 - pixels[:, 1] / 450
    free_x = (ndc_x - frame_left) / (1 - frame_left)  # -1..1 across the part beside the panel
    reach = np.maximum(np.abs(free_x), np.abs(ndc_y))
    assert reach.max() == pytest.approx(0.95, abs=1e-6)  # in the picture, and no farther away than that


def test_the_view_backs_off_to_show_a_layer_but_never_comes_closer():
    state = ViewState(n_layers=2)
    state.camera.distance = 4.0
    small = np.zeros((2, 10, 3))
    small[:, :, 0] = np.linspace(-0.1, 0.1, 10)
    assert state.distance_to_show(small, 16 / 9) == 4.0
    wide = small * 40  # x from -4 to 4, across the picture: 4 * focal_x / (1 - margin)
    focal_x = 1 / np.tan(np.radians(state.camera.fov / 2)) / (16 / 9)
    assert state.distance_to_show(wide, 16 / 9) == pytest.approx(4 * focal_x / 0.95)


def test_the_live_view_backs_off_to_keep_the_layer_shown_in_the_window_until_the_user_zooms():
    from viz3d.app.fit import FollowFit

    rng = np.random.default_rng(0)
    small = rng.uniform(-0.5, 0.5, size=(2000, 3))
    positions = np.stack([small, small * 6.0, small]).astype(np.float32)  # layer 1 is six times larger
    state, fit = ViewState(n_layers=3), FollowFit()
    home = state.camera.distance

    def settle(layer: float) -> None:
        state.set_layer(layer)
        for _ in range(240):  # four seconds at 60 fps
            fit.update(state, positions, 16 / 9, 1 / 60)

    settle(0)
    assert state.camera.distance == pytest.approx(home)  # it fits: the preset's distance stays
    settle(1)
    pixels = state.camera.to_pixels(positions[1], 1600, 900)
    assert state.camera.distance > home * 2
    assert (pixels >= 0).all() and (pixels[:, 0] <= 1600).all() and (pixels[:, 1] <= 900).all()  # all in view
    settle(2)
    assert state.camera.distance == pytest.approx(home, rel=1e-3)  # and comes back
    state.fit_distance = False  # the user zoomed: the distance is theirs
    state.camera.distance = 2.0
    settle(1)
    assert state.camera.distance == 2.0


def test_the_live_windows_first_picture_is_framed_at_once():
    """A trial: the window opened on a layer running off its right and bottom edges, eased into view a
    second later, in front of the audience."""
    from viz3d.app.fit import FollowFit
    from viz3d.app.state import center_of

    rng = np.random.default_rng(0)
    layer = rng.uniform(0.0, 6.0, size=(2000, 3)).astype(np.float32)  # large, and off the origin
    positions = np.stack([layer, layer]).astype(np.float32)
    state, fit = ViewState(n_layers=2, panel_right=0.3), FollowFit()
    fit.update(state, positions, 16 / 9, 1 / 60)
    np.testing.assert_allclose(state.camera.center, center_of(layer), atol=1e-4)
    assert state.camera.frame_left == state.frame_left_target > 0  # beside the panel at once, not slid over
    pixels = state.camera.to_pixels(layer, 1600, 900)
    assert (pixels >= 0).all() and (pixels[:, 0] <= 1600).all() and (pixels[:, 1] <= 900).all()
    framed = state.camera.distance
    for _ in range(120):  # a second rehearsal: it then zoomed in by 30% over 2 s (fitted from the old centre)
        fit.update(state, positions, 16 / 9, 1 / 60)
    assert state.camera.distance == pytest.approx(framed, rel=1e-3)
    state.set_layer(1)  # later moves still ease
    distance = state.camera.distance
    fit.update(state, positions * 3, 16 / 9, 1 / 60)
    assert distance < state.camera.distance < 2 * distance


def test_the_live_view_looks_at_the_middle_of_the_layer_shown_until_the_user_pans():
    """A layer of positive values (after a ReLU, a sigmoid) sat in a corner of a view centred on the origin."""
    from viz3d.app.fit import FollowFit
    from viz3d.app.state import center_of

    rng = np.random.default_rng(0)
    positive = rng.uniform(0.0, 2.0, size=(2000, 3))
    positions = np.stack([positive - 1.0, positive]).astype(np.float32)  # layer 1: the same, all positive
    np.testing.assert_allclose(center_of(positions[1]), [1.0, 1.0, 1.0], atol=0.01)
    state, fit = ViewState(n_layers=2), FollowFit()

    def settle(layer: float) -> None:
        state.set_layer(layer)
        for _ in range(240):
            fit.update(state, positions, 16 / 9, 1 / 60)

    settle(1)
    np.testing.assert_allclose(state.camera.center, center_of(positions[1]), atol=1e-3)
    settle(0)
    np.testing.assert_allclose(state.camera.center, center_of(positions[0]), atol=1e-3)  # slides back
    state.fit_center = False  # the user panned: the centre is theirs
    state.camera.center = np.array([5.0, 0.0, 0.0], np.float32)
    settle(1)
    np.testing.assert_allclose(state.camera.center, [5.0, 0.0, 0.0])


def test_while_a_layer_trains_the_camera_follows_it_only_once_it_has_wandered_off():
    """A review: a camera that re-centred at every capture cancelled the layer's own motion (disks-3d's layer
    moved half its size while training, and the picture showed the axes move instead)."""
    from viz3d.app.fit import FollowFit
    from viz3d.app.state import RECENTER_SLACK, recentered

    rng = np.random.default_rng(0)
    layer = rng.uniform(-1.0, 1.0, size=(2000, 3)).astype(np.float32)  # half-size 1
    center = np.zeros(3, np.float32)
    assert recentered(center, layer + [0.8 * RECENTER_SLACK, 0, 0]) is center  # a small drift: stay
    np.testing.assert_allclose(recentered(center, layer + [2 * RECENTER_SLACK, 0, 0]), [0.5, 0, 0], atol=0.01)
    state, fit = ViewState(n_layers=2), FollowFit()
    state.set_layer(1)
    for step in range(240):  # the layer drifts 0.2 along x over four seconds: within the slack
        positions = np.stack([layer, layer + [0.2 * step / 240, 0, 0]]).astype(np.float32)
        fit.update(state, positions, 16 / 9, 1 / 60)
    assert abs(float(state.camera.center[0])) < 0.01  # the picture shows the layer move
    state.set_layer(0)  # another layer: framed on its own middle
    for _ in range(240):
        fit.update(state, positions + [0, 3.0, 0], 16 / 9, 1 / 60)
    np.testing.assert_allclose(state.camera.center, center_of_rows(positions[0] + [0, 3.0, 0]), atol=5e-3)
    np.testing.assert_allclose(state.ground_center, state.camera.center, atol=1e-3)  # the ground below it


def center_of_rows(rows: np.ndarray) -> np.ndarray:
    return (rows.min(axis=0) + rows.max(axis=0)) / 2


@pytest.mark.parametrize("pixel_scale", [1.0, 2.0], ids=["hairlines", "wide-lines"])
def test_the_ground_lies_below_the_middle_of_the_layer_and_the_axes_stay_at_the_origin(gl, pixel_scale):
    from helpers import non_background_mask, probe_of, projection_of, render

    from viz3d.render.renderer import FrameRenderer

    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0]))
    renderer.set_projection(projection_of(np.full((1, 1, 3), 50.0, np.float32)))  # the one point far away
    state = ViewState(n_layers=1, show_grid=False, point_size=1.0)
    state.camera = OrbitCamera(azimuth=-90.0, elevation=89.99, distance=9.0)
    size = (400, 300)

    def lit(x: float, y: float, ground_center) -> bool:
        state.ground_center = np.asarray(ground_center, np.float32)
        image = render(renderer, state, size, pixel_scale=pixel_scale)
        ((px, py),) = np.round(state.camera.to_pixels(np.array([[x, y, -1.1]]), *size) - 0.5).astype(int)
        return bool(non_background_mask(image, tolerance=4)[py - 1 : py + 2, px - 1 : px + 2].any())

    assert lit(1.25, -0.6, (0, 0, 0)) and not lit(2.25, -0.6, (0, 0, 0))  # the ground's right edge at 1.25
    assert lit(2.25, -0.6, (1.0, 0, 0)) and not lit(-1.25, -0.6, (1.0, 0, 0))  # moved with the middle
    x_axis_tip = state.camera.to_pixels(np.array([[1.25, 0.0, 0.0]]), *size)[0]  # the axes have not moved
    image = render(renderer, state, size, pixel_scale=pixel_scale)
    assert non_background_mask(image)[int(x_axis_tip[1]), int(x_axis_tip[0]) - 4 : int(x_axis_tip[0]) - 1].any()


def test_a_picture_of_a_layer_of_positive_values_has_it_in_the_middle(gl, tmp_path):
    from helpers import non_background_mask
    from PIL import Image

    import viz3d

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    with torch.no_grad():
        model[0].bias.fill_(2.0)  # every output positive: the cloud far from the origin
    x = torch.randn(400, 2) * 0.3
    labels = (x[:, 0] > 0).long()
    view = {"show_axes": False, "show_grid": False}
    out = viz3d.picture(model, x, labels, tmp_path / "p.png", size=(640, 360), panel=False, **view)
    rows, columns = np.nonzero(non_background_mask(np.asarray(Image.open(out))[:, :, :3]))
    middle = ((columns.min() + columns.max()) / 2, (rows.min() + rows.max()) / 2)
    assert abs(middle[0] - 320) < 30 and abs(middle[1] - 180) < 30, middle


def test_pictures_scale_from_a_720p_layout_by_their_short_side():
    from viz3d.render.picture_scale import picture_scale

    assert picture_scale((1280, 720)) == 1.0
    assert picture_scale((1920, 1080)) == 1.5 and picture_scale((3840, 2160)) == 3.0
    assert picture_scale((640, 360)) == 0.75  # text stays legible
    assert picture_scale((1080, 1920)) == 1.5  # a portrait clip's text as large as the landscape one's
    assert picture_scale((720, 1280)) == 1.0  # (by the width it was 0.75: 9-pixel text in a trial)
    assert picture_scale((1080, 1080)) == 1.5 and picture_scale((7680, 4320)) == 3.0


def test_a_scene_framed_below_the_panel_is_centred_and_fitted_in_the_part_left_to_it():
    from viz3d.render.camera import OrbitCamera

    camera = OrbitCamera(frame_top=0.4)
    width, height = 720, 1280
    centre = camera.to_pixels(np.zeros((1, 3)), width, height)[0]
    assert centre == pytest.approx([width / 2, height * (1 + 0.4) / 2], abs=0.5)  # the middle of the free part
    points = np.random.default_rng(0).uniform(-1.5, 1.5, size=(500, 3))
    camera.distance = camera.distance_to_fit(points, width / height)
    pixels = camera.to_pixels(points, width, height)
    assert pixels[:, 1].min() >= 0.4 * height - 0.5  # nothing under the panel
    assert pixels[:, 1].max() <= height + 0.5 and pixels[:, 0].min() >= 0 and pixels[:, 0].max() <= width
