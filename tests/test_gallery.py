"""The shipped presets: each loads, renders, and shows the numbers its story depends on."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import REPO, run_cli
from helpers import non_background_mask, preset_with_view, render
from PIL import Image

import viz3d
from viz3d.app.state import ViewState
from viz3d.capture.probe import make_probe
from viz3d.colors import CORRECT, WRONG, class_colors, palette, point_colors, region_colors
from viz3d.errors import PresetError, Viz3dError
from viz3d.presets import known_presets, load_preset
from viz3d.train.session import session_from_preset

REQUIRED = {"spirals", "disks-2d", "disks-3d", "change-of-basis", "jacobian", "digits", "mnist", "mnist-3b1b"}


def test_the_required_presets_ship():
    assert set(known_presets()) >= REQUIRED


@pytest.mark.parametrize("name", sorted(known_presets()))
def test_every_preset_loads_and_renders_a_small_frame(name, tmp_path):
    preset = load_preset(name)
    assert preset.description and preset.look_for and preset.accuracy
    out = tmp_path / f"{name}.png"
    result = run_cli("render", name, "--out", str(out), "--steps", "3", "--size", "640x360")  # with a panel
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape == (360, 640, 3)
    assert non_background_mask(image[:, 400:]).mean() > 0.01  # the scene, right of the panel, is not empty
    corner = image[12:60, 14:200].astype(int)  # the panel (no title bar in a picture): its background, and text
    assert (np.abs(corner - [41, 41, 42]).max(axis=-1) <= 4).mean() > 0.5 and (corner.max(axis=-1) > 200).sum() > 50


def test_presets_command_lists_every_preset_with_its_description():
    result = run_cli("presets")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == known_presets()
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_train_prints_one_json_line():
    result = run_cli("train", "spirals", "--steps", "300")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    record = json.loads(line)
    assert set(record) == {"preset", "step", "loss", "accuracy"}
    assert record["preset"] == "spirals" and record["step"] == 300
    assert record["accuracy"] > 0.95 and record["loss"] < 0.2
    # float32 figures as numpy prints them: "accuracy": 0.907, not 0.9070000052452087
    assert all(record[key] == float(str(np.float32(record[key]))) for key in ("loss", "accuracy"))


def test_train_on_a_fixed_map_reports_nothing_to_train():
    record = json.loads(run_cli("train", "jacobian").stdout)
    assert record == {"preset": "jacobian", "step": 0, "loss": None, "accuracy": None}


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('schema_version = 1\n[dataset]\nkind = "circles"\n', ["[dataset] kind", "expected one of spirals"]),
        ('schema_version = 1\n[model]\nhidden = "wide"\n', ["[model] hidden", "a list of integers", "'wide'"]),
        ('title = "no version"\n', ["schema_version", "found nothing"]),
        (
            "schema_version = 1\n[[tour.keyframes]]\ntime = 2.0\n[[tour.keyframes]]\ntime = 1.0\n",
            ["[tour] keyframes", "expected times in order"],
        ),
        (  # would have been time 0, the start: a trial's keyframe meant for later took over the first
            "schema_version = 1\n[[tour.keyframes]]\nlayer = 0\n[[tour.keyframes]]\nlayer = 2\n",
            ["[tour.keyframes 2] time: missing"],
        ),
        ('schema_version = 1\n[dataset]\nkind = "disks"\nring = [1.0, 0.5]\n', ["ring", "inner < outer", "[1.0, 0.5]"]),
        (
            'schema_version = 1\n[dataset]\nkind = "disks"\ninner_radius = 0.8\n',
            ["[dataset] inner_radius: 0.8 reaches into the ring, which starts at 0.65"],
        ),
        ("schema_version = 1\n[view]\naxes = [0, 0, 1]\n", ["[view] axes: expected three different components"]),
        ('schema_version = 1\n[dataset]\nkind = "disks"\nring = [-0.5, 1.0]\n', ["ring", "0 <= inner < outer"]),
        (  # "not a list of lists of numbers", though NaN is a float
            'schema_version = 1\n[dataset]\nkind = "map-samples"\nmatrix = [[1.0, nan]]\n',
            ["[dataset] matrix: expected a list of lists of finite numbers, found [[1.0, nan]]"],
        ),
        (  # had been ignored without a word
            'schema_version = 1\n[dataset]\nkind = "map-samples"\nmatrix = [[1.0, 0.0]]\n[training]\nloss = "mse"\n'
            "[probe]\nregions = 40\n",
            ["[probe] regions: a regression has no classes to tint the plane by"],
        ),
        (  # had been one line without the file's name, at the first step
            'schema_version = 1\n[dataset]\nkind = "map-samples"\n[training]\nloss = "mse"\n',
            ["[dataset] matrix: map-samples needs the map whose samples to learn"],
        ),
        ("schema_version = 1\n[[keyframes]]\ntime = 0\n", ["unknown key 'keyframes' ([[tour.keyframes]] for a tour"]),
        (  # had been a torch traceback about mat1 and mat2 at the first step
            'schema_version = 1\n[dataset]\nkind = "map-samples"\nmatrix = [[1, 2, 3]]\n[training]\nloss = "mse"\n',
            ["[dataset] matrix: expected rows of 2 numbers", "[[1.0, 2.0, 3.0]]"],
        ),
    ],
    ids=[
        "unknown-dataset",
        "wrong-type",
        "missing-key",
        "tour-order",
        "no-time",
        "ring",
        "inner-radius",
        "axes",
        "negative-ring",
        "nan-in-matrix",
        "regions-of-a-regression",
        "no-matrix",
        "keyframes-at-the-top",
        "matrix",
    ],
)
def test_malformed_preset_gives_one_line_and_exit_code_2(tmp_path, text, fragments):
    path = tmp_path / "broken.toml"
    path.write_text(text)
    result = run_cli("train", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken.toml" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def test_tour_keyframes_load_typed(tmp_path):
    path = tmp_path / "tour.toml"
    path.write_text(
        "schema_version = 1\n[[tour.keyframes]]\ntime = 0\nlayer = 0\n[[tour.keyframes]]\ntime = 4.5\nazimuth = 30\n"
    )
    first, second = load_preset(str(path)).tour.keyframes
    assert (first.time, first.layer, first.azimuth) == (0.0, 0.0, None)
    assert (second.time, second.azimuth) == (4.5, 30.0)
    path.write_text('schema_version = 1\n[[tour.keyframes]]\ntime = "soon"\n')
    with pytest.raises(PresetError, match="tour.keyframes 1\\] time: expected a finite number"):
        load_preset(str(path))


# --- the numbers the stories rest on ---------------------------------------------------------------


def test_jacobian_pushes_03_07_at_2_3_to_19_10():
    session = session_from_preset(load_preset("jacobian"))
    tangents = viz3d.pushforward(session.model, torch.tensor([[2.0, 3.0]]), torch.tensor([[0.3, 0.7]]))
    torch.testing.assert_close(tangents["0"], torch.tensor([[1.9, 1.0]]))
    projection = session.capture()
    assert projection.arrow_text[0][0] == "(0.3, 0.7)"
    assert projection.arrow_text[-1][0] == "(1.9, 1.0)"


@pytest.mark.parametrize(("size", "left_out"), [((640, 360), True), ((640, 420), False), ((360, 640), False)])
def test_a_picture_too_short_for_the_presets_prose_says_so(tmp_path, capsys, size, left_out):
    """A lecturer's trial lost the description and 'look for' lines at 640x360 and found why only deep in
    the README: the picture now says so (the panel drops them below 560 layout pixels, 420 at 0.75)."""
    from viz3d.app import still

    still.render_still(load_preset("spirals"), still.StillRequest(out=tmp_path / "s.png", size=size, steps=1))
    said = "the panel leaves out the description and what to look for below 420 pixels tall" in capsys.readouterr().err
    assert said == left_out


def test_arrow_labels_fade_out_as_a_morph_leaves_their_layer(tmp_path):
    """A trial's arrow at layer 1.5 was clearly drawn but labelled with the next layer's "|v| = 0.0". A label
    is its layer's: full at rest, gone midway (pixels of the label's full colour); that it fades in between
    rests on the opacity asserted below."""
    from PIL import Image

    from viz3d.app import still
    from viz3d.ui.labels import faded, layer_label_opacity

    def label_pixels(layer: float) -> int:
        out = tmp_path / f"{layer}.png"
        still.render_still(load_preset("jacobian"), still.StillRequest(out=out, size=(960, 540), layer=layer))
        image = np.asarray(Image.open(out))[:, :, :3].astype(int)
        return int((np.abs(image - [255, 158, 191]).max(axis=2) < 30).sum())  # overlay.ARROW_TEXT

    assert label_pixels(0.0) > 20 and label_pixels(0.2) == 0 and label_pixels(0.5) == 0
    assert [layer_label_opacity(e) for e in (0.0, 0.5, 1.0)] == [1.0, 0.0, 1.0] and 0 < layer_label_opacity(0.2) < 1
    assert faded(0xFF_BF_9E_FF, 0.5) == 0x80_BF_9E_FF and faded(0xB4_18_13_11, 0.0) == 0x00_18_13_11


def test_an_arrow_label_has_no_negative_zero():
    """An API trial's label read (-0.12, 0.15, -0.0)."""
    from viz3d.project.arrows import _number

    written = [_number(v) for v in (-0.0, -0.001, -0.004, -0.006, -0.25, 12.0)]
    assert written == ["0.0", "0.0", "0.0", "-0.01", "-0.25", "12.0"]


def test_change_of_basis_maps_1_1_to_5_minus_1():
    session = session_from_preset(load_preset("change-of-basis"))
    with torch.no_grad():
        torch.testing.assert_close(session.model(torch.tensor([[1.0, 1.0]])), torch.tensor([[5.0, -1.0]]))
    projection = session.capture()
    assert projection.arrow_text[-1] == ["(2.0, 1.0)", "(3.0, -2.0)", "(5.0, -1.0)"]
    # One shared display scale: the drawn arrow for (1, 1) is W's stretch of it, not renormalised.
    arrows = projection.positions[:, -6:]
    drawn_in, drawn_out = arrows[0, 5] - arrows[0, 4], arrows[-1, 5] - arrows[-1, 4]
    np.testing.assert_allclose(drawn_out[:2] / drawn_in[0], [5.0, -1.0], rtol=1e-5)


def test_change_of_basis_learned_recovers_w():
    preset = load_preset("change-of-basis-learned")
    session = session_from_preset(preset)
    session.train(preset.training.steps)
    learned = session.model[0].weight.detach()
    torch.testing.assert_close(learned, torch.tensor([[2.0, 3.0], [1.0, -2.0]]), atol=1e-3, rtol=0)


def test_width_two_disks_never_reach_width_three():
    scores = {}
    for name in ("disks-2d", "disks-3d"):
        preset = load_preset(name)
        session = session_from_preset(preset)
        session.train(preset.training.steps)
        scores[name] = session.evaluate().accuracy
    assert scores["disks-3d"] >= 0.99
    assert scores["disks-2d"] < scores["disks-3d"] - 0.05


def test_digits_cluster_and_reach_their_accuracy():
    preset = load_preset("digits")
    session = session_from_preset(preset)
    session.train(preset.training.steps)
    assert session.evaluate().accuracy >= 0.99
    projection = session.capture()
    assert projection.widths == [64, 32, 32, 16, 16, 10]
    assert np.isfinite(projection.explained_variance_ratio[:, :3]).all()


# --- colour modes and decision regions ------------------------------------------------------------


def test_colour_modes():
    labels = np.array([0, 1, 2, 1])
    predictions = np.array([0, 2, 2, 1])
    np.testing.assert_array_equal(point_colors("class", labels, predictions), class_colors(labels))
    np.testing.assert_array_equal(point_colors("prediction", labels, predictions), class_colors(predictions))
    correct = point_colors("correct", labels, predictions)
    np.testing.assert_allclose(correct[[0, 2, 3]], np.tile(CORRECT, (3, 1)))
    np.testing.assert_allclose(correct[1], WRONG)
    neuron = point_colors("neuron", labels, neuron_values=np.array([0.0, 1.0, 2.0, 3.0]))
    assert not np.allclose(neuron[0], neuron[-1])  # a continuous map, low to high
    assert neuron[0, :3].max() > 0.45  # even the lowest value stands out from the near-black background
    np.testing.assert_array_equal(point_colors("prediction", labels, None), class_colors(labels))  # no predictions


def test_a_regressions_targets_colour_points_by_value_in_every_mode_without_classes():
    from vispy.color import get_colormap

    from viz3d.colors import VIRIDIS_LOW

    labels, targets = np.zeros(5, np.int64), np.array([-3.0, 0.0, 1.0, 2.0, 10.0], np.float32)
    by_value = point_colors("class", labels, targets=targets)
    lo, hi = np.percentile(targets, [2, 98])  # the scale's ends, as for a neuron: outliers do not squash it
    scaled = np.clip((targets - lo) / (hi - lo), 0, 1)
    expected = get_colormap("viridis").map(VIRIDIS_LOW + (1 - VIRIDIS_LOW) * scaled)
    np.testing.assert_allclose(by_value, expected, atol=1e-6)
    for mode in ("prediction", "correct"):  # no class predictions from a regressor: the targets again
        np.testing.assert_array_equal(point_colors(mode, labels, targets=targets), by_value)
    neuron = point_colors("neuron", labels, neuron_values=-targets, targets=targets)  # its values win there
    np.testing.assert_allclose(neuron, get_colormap("viridis").map(1 - (1 - VIRIDIS_LOW) * scaled), atol=1e-6)


REGRESSION_PRESET = """schema_version = 1
title = "A regression"
[dataset]
kind = "map-samples"
points = 300
matrix = [[1.0, -0.5]]
[model]
kind = "mlp"
hidden = [3, 3]
[training]
steps = 100
loss = "mse"
[view]
layer = 2
color_by = "COLOR_BY"
"""


@pytest.mark.parametrize("color_by", ["class", "prediction"])
def test_a_presets_regression_onto_one_value_colours_its_points_by_value(tmp_path, color_by):
    """A trial's map-samples regression drew every point one orange with an empty legend, while the same
    model through viz3d.picture was coloured by its targets: now presets do as the Python API does."""
    path = tmp_path / "regression.toml"
    path.write_text(REGRESSION_PRESET.replace("COLOR_BY", color_by))
    session = session_from_preset(load_preset(str(path)))
    np.testing.assert_allclose(session.probe.targets, session.probe.inputs[:300] @ torch.tensor([1.0, -0.5]), atol=1e-5)
    assert session.predicts_values
    result = run_cli("render", str(path), "--out", str(tmp_path / "r.png"), "--size", "320x180", "--no-ui")
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(tmp_path / "r.png").convert("RGB")).reshape(-1, 3).astype(int)
    yellow = (image[:, 0] > 180) & (image[:, 1] > 170) & (image[:, 2] < 110)  # viridis' top end
    blue = (image[:, 2] > 110) & (image[:, 0] < 90) & (image[:, 2] > image[:, 1])  # its bottom end
    assert yellow.sum() > 5 and blue.sum() > 5


def test_view_axes_show_other_principal_components_in_every_wide_layer():
    """[view] axes picks the components of a picture or a recording, as the live panel's pickers do."""
    from dataclasses import replace

    preset = load_preset("digits")
    session = session_from_preset(replace(preset, view=replace(preset.view, axes=(1, 2, 4))))
    projection = session.capture()
    wide = [i for i, width in enumerate(projection.widths) if width > 3]
    assert wide and all(projection.axes[i] == (1, 2, 4) for i in wide)
    assert all(projection.axes[i] == (0, 1, 2) for i in range(len(projection.widths)) if i not in wide)
    from sklearn.decomposition import PCA

    n = session.probe.n_data
    for i in wide:  # the drawn points are an affine image of scikit-learn's PC2, PC3 and PC5 scores, not PC1-3's
        acts = session.last_snapshot.activations[projection.layer_names[i]][:n].double().numpy()
        scores = PCA(n_components=5).fit_transform(acts)
        drawn = projection.positions[i][:n].astype(np.float64)

        def unexplained(columns, drawn=drawn, scores=scores):
            design = np.hstack([scores[:, columns], np.ones((n, 1))])
            residual = drawn - design @ np.linalg.lstsq(design, drawn, rcond=None)[0]
            return float((residual**2).sum() / ((drawn - drawn.mean(0)) ** 2).sum())

        assert unexplained([1, 2, 4]) < 1e-6 and unexplained([0, 1, 2]) > 0.05


def test_float_labels_are_targets_and_integer_labels_classes():
    x = torch.randn(6, 2)
    probe = make_probe(x, torch.linspace(-1.0, 1.0, 6), grid_lines=3, grid_samples=3, grid_margin=0.0)
    np.testing.assert_array_equal(probe.labels, np.zeros(6))
    np.testing.assert_allclose(probe.targets, np.linspace(-1.0, 1.0, 6), atol=1e-6)
    assert probe.targets.dtype == np.float32
    classes = make_probe(x, torch.tensor([0, 1, 2, 0, 1, 2]), grid_lines=3, grid_samples=3, grid_margin=0.0)
    assert classes.targets is None and classes.labels.tolist() == [0, 1, 2, 0, 1, 2]


def test_region_colours_blend_classes_by_probability():
    tints = region_colors(np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
    pure = class_colors(np.array([0, 1]))[:, :3]
    np.testing.assert_allclose(tints[:2, :3], pure)
    np.testing.assert_allclose(tints[2, :3], pure.mean(axis=0))
    assert np.all(tints[:, 3] < 0.5)  # translucent


def test_decision_regions_tint_the_plane(gl):
    from viz3d.render.renderer import FrameRenderer

    preset = load_preset("disks-2d")
    session = session_from_preset(preset)
    session.train(200)
    projection = session.capture()
    assert projection.region_probs is not None and projection.predictions is not None
    renderer = FrameRenderer()
    renderer.set_probe(session.probe)
    renderer.set_projection(projection)
    state = ViewState.from_spec(preset.view, n_layers=len(projection.layer_names))
    state.set_layer(0)
    state.show_grid = state.show_axes = False
    state.point_size = 1.0
    with_regions = render(renderer, state, (320, 180))
    state.show_regions = False
    without = render(renderer, state, (320, 180))
    assert non_background_mask(with_regions).mean() > non_background_mask(without).mean() + 0.2


def test_a_loss_that_does_not_fit_the_data_is_named_before_what_follows_from_it(tmp_path):
    """A lecturer's trial: loss = "mse" on disks with regions was told to leave regions out, and only then
    that the loss needs targets. Which dataset kinds have targets is checked against the datasets here."""
    from viz3d.presets import CHOICES, TARGET_KINDS, DatasetSpec, PresetError
    from viz3d.train.datasets import make_dataset

    for kind in CHOICES["dataset", "kind"]:
        spec = DatasetSpec(kind=kind, points=20, matrix=((1.0, 0.0),) if kind == "map-samples" else ())
        assert make_dataset(spec).is_regression == (kind in TARGET_KINDS), kind
    path = tmp_path / "mse.toml"
    path.write_text('schema_version = 1\n[dataset]\nkind = "disks"\n[training]\nloss = "mse"\n[probe]\nregions = 32\n')
    with pytest.raises(PresetError, match=r"\[training\] loss mse needs regression targets"):
        load_preset(str(path))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[model]\nkind = "linear"\nweight = [[1.0, 2.0, 3.0]]\n', "[model] weight: rows of 3 numbers"),
        ("[probe]\narrow_points = [[0.0, 0.0, 0.0]]\narrow_vectors = [[1.0, 0.0, 0.0]]\n", "[probe] arrow_points"),
        ('[training]\nloss = "mse"\n', "loss mse needs regression targets"),
        ("[optimizer]\nlr = nan\n", "expected a finite number"),
    ],
    ids=["weight-shape", "arrow-dims", "loss-kind", "nan-lr"],
)
def test_model_data_and_probe_that_cannot_fit_are_one_line(tmp_path, text, fragment):
    path = tmp_path / "misfit.toml"
    path.write_text("schema_version = 1\n" + text)
    result = run_cli("train", str(path), "--steps", "1")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "misfit.toml" in lines[0]


def test_colour_by_neuron_without_a_layer_named_colours_by_a_unit_of_the_layer_shown(tmp_path):
    from vispy.color import get_colormap

    images = {}
    for mode in ("class", "neuron"):
        path = tmp_path / f"{mode}.toml"
        path.write_text(preset_with_view("spirals", color_by=mode))
        out = tmp_path / f"{mode}.png"
        result = run_cli("render", str(path), "--out", str(out), "--steps", "30", "--size", "320x180", "--no-ui")
        assert result.returncode == 0, result.stderr
        images[mode] = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3).astype(int)

    def near(pixels, colors):  # pixels within 12 levels of one of the colours
        distance = np.abs(pixels[:, None, :] - np.asarray(colors, int)[None, :, :]).max(axis=2)
        return int((distance.min(axis=1) <= 12).sum())

    viridis = (get_colormap("viridis").map(np.linspace(0, 1, 64))[:, :3] * 255).round()
    classes = (palette()[:2, :3] * 255).round()
    assert near(images["class"], classes) > 200
    assert near(images["neuron"], viridis) > 200
    assert near(images["neuron"], classes) < near(images["class"], classes) / 10


def test_a_still_reports_the_accuracy_that_train_reports(tmp_path, monkeypatch):
    """The panel of `render` shows the model in the picture (after its last update), as `train` does."""
    from viz3d.app import still

    shown = []
    blank = np.zeros((2, 2, 3), np.uint8)
    monkeypatch.setattr(still, "render_offscreen", lambda *args, **_: shown.append(args[-1]) or blank)
    still.render_still(load_preset("disks-2d"), still.StillRequest(out=tmp_path / "x.png", steps=40))
    session = session_from_preset(load_preset("disks-2d"))
    session.train(40)
    expected = session.evaluate()
    assert shown[0].accuracy == expected.accuracy and shown[0].loss == pytest.approx(expected.loss)
    assert session.last_stats.accuracy != expected.accuracy  # what the panel showed before


def test_legend_names_come_from_the_data_else_the_class_numbers():
    from viz3d.colors import legend_names

    assert legend_names(np.array([0, 1, 1]), ("disk", "ring")) == ["disk", "ring"]
    assert legend_names(np.array([0, 1, 1])) == ["class 0", "class 1"]
    assert legend_names(np.arange(10)) == [str(k) for k in range(10)]
    assert legend_names(np.zeros(5, int), ("points",)) == []  # one class: nothing to tell apart
    assert legend_names(np.array([0.5, 1.5])) == []  # regression targets are not classes
    assert session_from_preset(load_preset("spirals")).class_names == ("spiral A", "spiral B")


def test_a_neuron_layer_the_model_lacks_is_one_line_naming_the_key(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text(preset_with_view("spirals", color_by="neuron", neuron_layer="inptu"))
    commands = {
        "render": ("--out", str(tmp_path / "t.png"), "--steps", "2"),
        "record": ("--out", str(tmp_path / "t.mp4"), "--frames", "2"),
        "run": (),  # before the window: here, with no display, before the "no display" error
    }
    for command, options in commands.items():
        result = run_cli(command, str(path), *options)
        assert result.returncode == 2, result.stderr
        assert (
            "typo.toml: [view] neuron_layer: unknown layer 'inptu' (did you mean 'input'?): use last, a position "
            "from 0 to 9" in result.stderr
        )
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("given", "named"),
    [(2, "1"), (-1, "8"), ("last", "8"), ("input", "input"), ("tanh (module 1)", "1"), ("-1", "8")],
)
def test_the_neuron_layer_is_given_as_any_layer_is(given, named):
    """A position (3 or "3", as for `layer`), last, a name or the panel's label; "3" used to mean the
    module named 3, which the panel calls layer 4, while `layer = 3` meant layer 3."""
    from dataclasses import replace

    from viz3d.app.preset_view import preset_view_state

    preset = load_preset("spirals")
    preset = replace(preset, view=replace(preset.view, color_by="neuron", neuron_layer=given, neuron_index=1))
    names = ["input", *map(str, range(9))]
    labels = ["input", *(f"{'Linear' if k % 2 == 0 else 'Tanh'} (module {k})" for k in range(9))]
    state = preset_view_state(preset, names, [2] * 10, labels=labels)
    assert state.neuron == (named, 1)


def test_a_neuron_layer_that_is_a_position_and_another_layers_name_is_refused_with_both_fixes():
    """neuron_layer = "2" used to mean the module named 2; now positions come first, as for layer, so a
    string that is both is an error rather than a silent change of layer."""
    from dataclasses import replace

    from viz3d.app.preset_view import preset_view_state

    preset = load_preset("spirals")
    preset = replace(preset, view=replace(preset.view, color_by="neuron", neuron_layer="2"))
    labels = ["input", "Linear (module 0)", "Tanh (module 1)", "Linear (module 2)"]
    with pytest.raises(PresetError, match=r"'2' is both position 2 and the name of the layer at position 3: write 2 "):
        preset_view_state(preset, ["input", "0", "1", "2"], [2] * 4, labels=labels)


def test_a_layer_string_that_is_a_position_and_another_layers_name_is_refused_as_neuron_layer_is():
    """layer = "2" on a Sequential quietly meant position 2 (module 1), where a trial meant the module named 2."""
    from dataclasses import replace

    from viz3d.app.preset_view import preset_view_state

    preset = load_preset("spirals")
    labels = ["input", "Linear (module 0)", "Tanh (module 1)", "Linear (module 2)"]
    for view in (replace(preset.view, layer="2"), replace(preset.view, layer=2.0)):
        ambiguous = replace(preset, view=view)
        if isinstance(view.layer, str):
            with pytest.raises(PresetError, match=r"\[view\] layer: '2' is both position 2 and the name of the"):
                preset_view_state(ambiguous, ["input", "0", "1", "2"], [2] * 4, labels=labels)
        else:  # a number is a position
            assert preset_view_state(ambiguous, ["input", "0", "1", "2"], [2] * 4, labels=labels).layer == 2.0


def test_a_tour_keyframe_past_the_last_layer_is_refused_not_clamped():
    from dataclasses import replace

    from viz3d.app.preset_view import with_layer_positions
    from viz3d.presets import Keyframe

    preset = load_preset("spirals")
    preset = replace(preset, tour=replace(preset.tour, keyframes=(Keyframe(time=0.0, layer=42.0),)))
    with pytest.raises(PresetError, match=r"\[tour.keyframes 1\] layer: layer 42 is out of range: this model has"):
        with_layer_positions(preset, ["input", "0", "1", "2"])
    negative = replace(preset, tour=replace(preset.tour, keyframes=(Keyframe(time=0.0, layer=-1.0),)))
    assert with_layer_positions(negative, ["input", "0", "1", "2"]).tour.keyframes[0].layer == 3.0


def test_a_neuron_layer_between_two_layers_is_refused():
    from dataclasses import replace

    from viz3d.app.preset_view import preset_view_state

    preset = load_preset("spirals")
    preset = replace(preset, view=replace(preset.view, color_by="neuron", neuron_layer="2.5"))
    with pytest.raises(PresetError, match=r"neuron_layer: '2.5' lies between two layers: name one layer, such as 2"):
        preset_view_state(preset, ["input", "0", "1", "2"], [2] * 4)


def test_a_neuron_index_past_the_layer_names_its_position_as_well_as_its_name():
    """An nn.Sequential's module "1" sits at position 2: "layer 1" alone named the wrong one."""
    state = ViewState(n_layers=4, color_by="neuron", neuron=("1", 7))
    with pytest.raises(Viz3dError, match=r"^neuron_index: layer 2 \('1'\) has units 0 to 3, not 7$"):
        state.pick_neuron(["input", "0", "1", "2"], [2, 4, 4, 2])


def test_a_neuron_index_past_the_layer_is_one_line_and_regression_says_why_no_accuracy(tmp_path):
    path = tmp_path / "unit.toml"
    path.write_text((REPO / "presets" / "jacobian.toml").read_text().replace("neuron_index = 0", "neuron_index = 5"))
    result = run_cli("render", str(path), "--out", str(tmp_path / "u.png"))
    assert result.returncode == 2 and "[view] neuron_index: layer 0 ('input') has units 0 to 1, not 5" in result.stderr
    assert session_from_preset(load_preset("change-of-basis-learned")).accuracy_note == "n/a (regression)"
    assert session_from_preset(load_preset("spirals")).accuracy_note == "-"


def test_arrow_labels_belong_to_the_scene_and_stay_without_the_panel(tmp_path):
    """`--no-ui` leaves out the panel, not the vectors written beside the arrows: they are the point of
    the jacobian and change-of-basis pictures."""
    still, frames = tmp_path / "bare.png", tmp_path / "bare"
    for command in (("render", "--out", str(still)), ("record", "--out", f"{frames}/", "--frames", "1")):
        result = run_cli(command[0], "jacobian", "--no-ui", *command[1:], "--size", "960x540")
        assert result.returncode == 0, result.stderr
    for picture in (still, frames / "frame-000000.png"):
        image = np.asarray(Image.open(picture).convert("RGB")).astype(int)
        label_text = (np.abs(image - [255, 158, 191]).max(axis=-1) <= 60).sum()  # ARROW_TEXT, antialiased
        assert label_text > 10, picture  # none at all before


def test_the_live_window_gets_the_neuron_layer_by_name(monkeypatch):
    """The live loop's state has no layer labels: `viz3d run` hands it the name the preset's form means."""
    from dataclasses import replace

    from viz3d.app import live

    preset = load_preset("spirals")
    preset = replace(preset, view=replace(preset.view, color_by="neuron", neuron_layer="Tanh (module 1)"))
    views = []
    monkeypatch.setattr(live, "run_session", lambda session, view, **kwargs: views.append(view))
    live.run_preset(preset)
    assert views[0].neuron_layer == "1" and views[0].neuron_index == 0
