"""A user's own model, as the README's "Watching your own model" shows it: layer choice, the live
view's accuracy, and errors that reach the terminal before any window opens."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace

import numpy as np
import pytest
import torch
from helpers import PanelText, full_batch_step
from torch import nn

import viz3d
from viz3d.errors import Viz3dError


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))


# --- layers=[...] ------------------------------------------------------------------------------------


def test_any_layer_name_that_matches_nothing_is_an_error_naming_it():
    with pytest.raises(Viz3dError) as caught:
        viz3d.watch(mlp(), torch.randn(6, 2), layers=["0", "nope", "9"])
    message = str(caught.value)
    assert "['nope', '9']" in message and "the model's modules are: 0, 1, 2, 3, 4" in message
    assert "\n" not in message
    with pytest.raises(Viz3dError, match=r"\['blocks\.\*'\]"):  # a glob that matches nothing, too
        viz3d.watch(mlp(), torch.randn(6, 2), layers=["**0", "blocks.*"])


def test_names_globs_and_types_that_all_match_are_watched():
    tracker = viz3d.watch(mlp(), torch.randn(6, 2), layers=["0", "*4", nn.Conv2d])  # a type may match nothing
    assert tracker.snapshot().layer_names == ["input", "0", "4"]


# --- viz3d.live: errors before the window ------------------------------------------------------------


@pytest.fixture
def no_window(monkeypatch):
    """Opening a window fails the test: whatever `live` must refuse, it refuses before that."""
    import viz3d.render.context

    def refuse(*_args, **_kwargs):
        raise AssertionError("live() opened a window")

    monkeypatch.setattr(viz3d.render.context, "open_window", refuse)


def test_live_on_a_model_with_nothing_to_watch_raises_before_any_window(no_window):
    x, y = torch.randn(20, 2), torch.zeros(20, dtype=torch.long)
    model = nn.Sequential(nn.Identity(), nn.Dropout())
    with pytest.raises(Viz3dError) as from_watch:
        viz3d.watch(model, x).snapshot()
    with pytest.raises(Viz3dError) as from_live:
        viz3d.live(model, x, y)
    assert str(from_live.value) == str(from_watch.value)
    assert str(from_live.value).startswith("no layer to watch") and "\n" not in str(from_live.value)
    with pytest.raises(Viz3dError) as lone:  # it had listed the modules to choose from as "none"
        viz3d.watch(nn.Identity(), x).snapshot()
    assert str(lone.value) == (
        "no layer to watch: the model is a lone Identity, with no modules inside, and it does nothing in eval "
        "mode: watch a model built of modules (nn.Linear, nn.Tanh, ...)"
    )


def test_live_with_a_probe_of_the_wrong_shape_raises_before_any_window(no_window):
    with pytest.raises(Viz3dError, match=r"shape \(20, 3\) but the model expects \(N, 2\)"):
        viz3d.live(mlp(), torch.randn(20, 3), torch.zeros(20, dtype=torch.long))


# --- bad inputs and labels: one line naming the fix, from live() and watch() alike ------------------


def readme_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 2))


def refused(inputs, labels=None) -> str:
    """The message live() gives before any window (through its session), checked to be watch()'s too."""
    from viz3d.train.user_session import user_session

    with pytest.raises(Viz3dError) as from_live:
        user_session(readme_model(), inputs, labels)
    with pytest.raises(Viz3dError) as from_watch:
        viz3d.watch(readme_model(), inputs, labels).snapshot()
    assert str(from_live.value) == str(from_watch.value) and "\n" not in str(from_live.value)
    return str(from_live.value)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_nan_or_inf_input_row_is_named_not_a_pca_failure_or_every_layer_bad(bad):
    x = torch.randn(2000, 8)
    x[3, 2] = bad
    expected = "inputs: row 3 has NaN or Inf values (1 of 2000 rows): drop or fill them before watching"
    assert refused(x, (x[:, 0] > 0).long()) == expected
    x[1500:] = bad
    assert refused(x).startswith("inputs: row 3 has NaN or Inf values (501 of 2000 rows)")


def test_live_refuses_a_nan_input_before_any_window(no_window):
    x = torch.randn(2000, 8)
    x[3, 2] = float("nan")
    with pytest.raises(Viz3dError, match=r"^inputs: row 3 has NaN or Inf values"):
        viz3d.live(readme_model(), x, (x[:, 0] > 0).long())


def test_labels_of_another_length_are_refused():
    x = torch.randn(2000, 8)
    y = (x[:, 0] > 0).long()
    expected = "labels: 5 labels for 2000 inputs: give one label per input row"
    assert refused(x, y[:5]) == expected
    with pytest.raises(Viz3dError, match="^labels: 5 labels for 2000 inputs"):
        viz3d.watch(readme_model(), x, torch.zeros(5))  # at watch(), not at the first snapshot


def test_labels_that_are_not_class_indices_per_row_are_refused_with_the_fix():
    x = torch.randn(40, 8)
    y = (x[:, 0] > 0).long()
    one_hot = nn.functional.one_hot(y, 2)
    for labels in (one_hot, one_hot.float()):  # float one-hot rows were told to take the first target
        assert refused(x, labels) == (
            "labels: shape (40, 2) is not one label per input: pass shape (40,), "
            "e.g. y.argmax(1), since y is one-hot (integer labels colour points by class, float targets by value)"
        )
    assert "e.g. y[:, 0] for the first target" in refused(x, torch.randn(40, 3))
    assert "e.g. y.argmax(1) if y is one-hot" in refused(x, torch.randint(0, 3, (40, 3)))


def test_negative_class_labels_of_a_classifier_are_refused_with_the_fix():
    """Labels -1/+1 (TensorFlow Playground's) of a 2-class model were drawn in two colours, -1 taking the
    palette's last by negative indexing, under an empty legend."""
    from viz3d.train.user_session import user_session

    x = torch.randn(40, 8)
    y = (x[:, 0] > 0).long() * 2 - 1
    expected = (
        "labels: class -1 is negative, but the model's 2 outputs are classes 0 to 1: "
        "pass (y + 1) // 2 for labels -1 and 1"  # not y + 1 as well: 0 and 2 do not fit two outputs
    )
    for labels in (y, y.float()):  # whole-number floats are class indices too
        with pytest.raises(Viz3dError) as caught:
            user_session(readme_model(), x, labels)
        assert str(caught.value) == expected
    viz3d.watch(readme_model(), x, y).snapshot()  # no scoring there: cluster ids with -1 for noise, say
    one_output = nn.Sequential(nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 1))
    hint = "for a binary classifier pass (y + 1) // 2, for a regression y.float()"
    assert hint in user_session(one_output, x, y).accuracy_note
    three = nn.Sequential(nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 3))  # y + 1 fits three outputs, not two
    with pytest.raises(Viz3dError, match=r"pass \(y \+ 1\) // 2 for labels -1 and 1, or y \+ 1 to give -1 a class"):
        user_session(three, x, y)


def test_integer_labels_in_a_column_are_class_labels():
    """(N, 1) integer labels were refused where (N, 1) whole-number floats were taken as classes."""
    from viz3d.train.user_session import user_session

    x = torch.randn(40, 8)
    y = (x[:, 0] > 0).long()
    column = user_session(readme_model(), x, y[:, None])
    assert np.array_equal(column.probe.labels, y.numpy()) and column.n_classes == 2


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (torch.randn(8), "inputs: shape (8,) has no batch dimension: pass (N, features), e.g. x[None]"),
        (torch.tensor(1.0), "inputs: shape () has no batch dimension"),
        (torch.randn(0, 8), "inputs: shape (0, 8) has no rows: pass the rows to watch, one per sample"),
    ],
)
def test_inputs_without_a_batch_dimension_or_rows_are_named_as_such(inputs, expected):
    assert refused(inputs).startswith(expected)


def test_a_classifier_of_the_plane_gets_its_decision_regions():
    """show_regions was accepted for a user's model but drew nothing: only presets built the lattice."""
    from viz3d.train.user_session import user_session

    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    session = user_session(mlp(), x, (x[:, 0] > 0).long())
    projection = session.capture()
    assert session.probe.n_regions > 0 and projection.region_probs.shape == (session.probe.n_regions, 2)
    np.testing.assert_allclose(projection.region_probs.sum(axis=1), 1.0, rtol=1e-5)
    regression = user_session(nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1)), x, x[:, 0])
    wide = user_session(readme_model(), torch.randn(50, 8), torch.zeros(50, dtype=torch.long))
    assert regression.probe.n_regions == 0 and wide.probe.n_regions == 0  # no classes; no plane


def test_inputs_of_two_values_in_a_nested_shape_get_no_grid_rather_than_a_crash():
    """(N, 1, 2) inputs were taken for points of the plane, and the grid's (M, 2) rows could not join them."""
    from viz3d.train.user_session import user_session

    model = nn.Sequential(nn.Flatten(), nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    session = user_session(model, torch.randn(40, 1, 2), torch.arange(40) % 2)
    assert session.probe.n_grid == 0 and np.isfinite(session.capture().positions).all()


def test_without_labels_colour_by_prediction_reads_the_output_as_class_logits(gl, tmp_path, monkeypatch):
    """With y=None, 'colour by prediction' on a 3-logit model said 'no classes here'; and correct/wrong must
    not compare predictions with the placeholder 0s. Nothing is decided from the output unasked: a 2-D
    map's two coordinates look just like two logits."""
    from viz3d.colors import CORRECT, class_colors
    from viz3d.render.renderer import FrameRenderer
    from viz3d.train.user_session import user_session

    x = torch.randn(90, 2, generator=torch.Generator().manual_seed(0))
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3))
    session = user_session(model, x)
    note = session.accuracy_note
    assert note == "n/a (no labels)" and session.n_classes == 3 and session.probe.n_regions == 0
    projection = session.capture()
    with torch.no_grad():
        predicted = model(x).argmax(1).numpy()
    assert np.array_equal(projection.predictions, predicted)
    renderer = FrameRenderer()
    renderer.set_probe(session.probe)
    renderer.set_projection(projection)
    for mode, expected in (("class", CORRECT), ("correct", CORRECT), ("prediction", class_colors(predicted))):
        renderer.set_color_mode(mode)
        uploaded = renderer.points._colors.reshape(-1, 4)[:90]  # what the points are drawn in
        expected = np.broadcast_to(np.round(np.asarray(expected, np.float32) * 255), uploaded.shape)
        np.testing.assert_allclose(uploaded, expected, err_msg=mode)
    panel = PanelText(monkeypatch)
    viz3d.picture(model, x, None, tmp_path / "unlabelled.png", size=(640, 360), layer=0, color_by="prediction")
    assert "colour by prediction" in panel.lines and {"0", "1", "2"} <= set(panel.lines)  # the legend's classes
    regression = user_session(nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1)), x)
    assert regression.n_classes == 0


def test_stages_that_split_nothing_say_why(tmp_path, capsys):
    """stages=True with torch.tanh in forward split nothing, silently."""
    from viz3d.train.user_session import user_session

    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(2, 8), nn.Linear(8, 2)

        def forward(self, x):
            return self.b(torch.tanh(self.a(x)))

    x, y = torch.randn(40, 2), torch.arange(40) % 2
    assert user_session(mlp(), x, y, stages=True).stages_note == ""
    assert user_session(Functional(), x, y).stages_note == ""  # not asked for
    viz3d.picture(Functional(), x, y, tmp_path / "f.png", size=(320, 180), stages=True)
    assert "viz3d: note: stages=True split no layer: a Linear splits into W·x, +b and its activation only" in (
        capsys.readouterr().err
    )


class ResidualTanh(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.t, self.b, self.u = nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2), nn.Tanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.u(self.b(self.t(x + self.a(x))))


def test_stages_split_a_linear_only_where_its_own_output_goes_into_the_activation():
    """A trial: in t(x + a(x)) the Linear a was split as if t took its output, drawing σ(W·x + b)."""
    x = torch.randn(30, 2)
    assert viz3d.watch(ResidualTanh(), x, stages=True).snapshot().layer_names == ["input", "a", "t", "b:Wx", "b", "u"]
    chain = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.1), nn.ReLU(inplace=True), nn.Linear(4, 2), nn.Tanh())
    names = ["input", "0:Wx", "0", "2", "3:Wx", "3", "4"]  # a Dropout between (nothing in eval mode) still splits
    assert viz3d.watch(chain, x, stages=True).snapshot().layer_names == names
    assert list(viz3d.pushforward(chain, x[:3], x[:3], stages=True)) == names


def test_a_picture_needs_three_rows_and_watch_one():
    """One or two rows reached the PCA and ended in a raw IndexError ('index 1 is out of bounds')."""
    from viz3d.train.user_session import user_session

    for rows in (1, 2):
        with pytest.raises(Viz3dError) as caught:
            user_session(readme_model(), torch.randn(rows, 8))
        assert str(caught.value).startswith(f"inputs: shape ({rows}, 8) has {rows} row")
        assert "pass at least 3, so that a layer's points span the three axes" in str(caught.value)
    snapshot = viz3d.watch(readme_model(), torch.randn(1, 8)).snapshot()
    assert snapshot.activations["4"].shape == (1, 2)
    with pytest.raises(Viz3dError, match=r"^1 data row to fit the projection on: it needs at least 3"):
        viz3d.project(snapshot)  # not an IndexError from the PCA


def test_inputs_of_the_wrong_dtype_are_told_from_the_wrong_shape():
    tracker = viz3d.watch(readme_model(), torch.randint(0, 5, (100, 8)))
    with pytest.raises(Viz3dError) as caught:
        tracker.snapshot()
    message = str(caught.value)
    assert message.startswith(
        "the probe inputs have dtype torch.int64 but the model's weights are torch.float32: convert them, "
        "e.g. x.float() ("
    )
    assert "shape" not in message.split("(")[0] and "\n" not in message
    conv = viz3d.watch(nn.Sequential(nn.Conv2d(1, 2, 3)), torch.randint(0, 5, (4, 1, 8, 8)))
    with pytest.raises(Viz3dError, match=r"^the probe inputs have dtype torch\.int64 .* e\.g\. x\.float\(\)"):
        conv.snapshot()
    double = viz3d.watch(readme_model().double(), torch.randn(10, 8))  # a tensor is taken as it is
    with pytest.raises(
        Viz3dError, match=r"dtype torch\.float32 but the model's weights are torch\.float64: .* x\.to\("
    ):
        double.snapshot()
    with pytest.raises(Viz3dError, match=r"^the probe inputs have shape \(10, 3\) but the model expects \(N, 8\)"):
        viz3d.watch(readme_model(), torch.randn(10, 3)).snapshot()  # a wrong shape is still a wrong shape


# --- numpy arrays are taken as they come --------------------------------------------------------------


def test_numpy_inputs_and_labels_watch_as_the_tensors_everyone_converts_them_to():
    from viz3d.train.user_session import user_session

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 8))  # float64, numpy's default
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    model = readme_model()
    reference = viz3d.watch(model, torch.from_numpy(x).float(), torch.from_numpy(y)).snapshot()
    snapshot = viz3d.watch(model, x, y).snapshot()
    assert snapshot.layer_names == reference.layer_names
    for name in reference.layer_names:
        torch.testing.assert_close(snapshot.activations[name], reference.activations[name], rtol=0, atol=0)
    session = user_session(model, x, y)
    assert np.array_equal(session.probe.labels, y) and session.probe.targets is None
    regression = user_session(nn.Sequential(nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 1)), x.tolist(), x[:, 0])
    np.testing.assert_allclose(regression.probe.targets, x[:, 0], rtol=1e-6)  # float targets: coloured by value
    points, vectors = x[:4], rng.normal(size=(4, 8))
    expected = viz3d.pushforward(model, torch.from_numpy(points).float(), torch.from_numpy(vectors).float())
    got = viz3d.pushforward(model, points, vectors)
    for name, tangent in expected.items():
        torch.testing.assert_close(got[name], tangent)


@pytest.mark.parametrize(
    "layout",
    ["reversed rows", "big-endian", "long double", "uint32 labels", "Fortran order"],
)
def test_numpy_arrays_in_any_layout_or_width_are_taken(layout):
    """Arrays torch cannot wrap (negative strides, big-endian, long double) and labels torch cannot
    compare (uint32) escaped as raw torch errors."""
    from viz3d.train.user_session import user_session

    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 8))
    y = (x[:, 0] > 0).astype(np.int64)
    reference = torch.from_numpy(x).float()
    if layout == "reversed rows":
        x, y, reference = x[::-1], y[::-1], reference.flip(0)
    elif layout == "big-endian":
        x = x.astype(">f8")
    elif layout == "long double":
        x = x.astype(np.longdouble)
    elif layout == "uint32 labels":
        y = y.astype(np.uint32)
    else:
        x = np.asfortranarray(x)
    session = user_session(readme_model(), x, y)
    torch.testing.assert_close(session.probe.inputs[:120], reference)
    assert session.capture().predictions is not None


def test_numpy_rows_follow_the_models_dtype_and_are_copied():
    """float64 numpy rows with a .double() model were cast to float32 and refused; and labels shared with
    the user's array changed the accuracy (not the colours) when a train_step shuffled them in place."""
    from viz3d.train.user_session import user_session

    rng = np.random.default_rng(3)
    x = rng.normal(size=(100, 8))
    x[0, 0] = 1.000000001  # float32 would round it to 1
    double = readme_model().double()
    snapshot = viz3d.watch(double, x).snapshot()
    assert snapshot.activations["4"].dtype == torch.float64
    assert snapshot.activations["input"][0, 0].item() == 1.000000001  # cast once, to the model's precision
    assert viz3d.pushforward(double, x[:3], x[:3])["4"].dtype == torch.float64
    y = (x[:, 0] > 0).astype(np.int64)
    labels = torch.from_numpy(y.copy())
    session = user_session(readme_model(), x, labels)
    before = session.evaluate().accuracy
    y[:] = 1 - y  # the user's arrays change after the call ...
    labels[:] = 1 - labels
    assert session.evaluate().accuracy == before  # ... and nothing viz3d holds does


def test_rows_gathered_as_a_list_of_tensors_are_stacked():
    """A list of per-sample tensors (labels collected in a Dataset loop) was refused as several inputs; a
    list of whole batches is still that."""
    x = torch.randn(30, 8)
    rows, labels = list(x), [torch.tensor(k % 2) for k in range(30)]
    snapshot = viz3d.watch(readme_model(), rows, labels).snapshot()
    torch.testing.assert_close(snapshot.activations["input"], x)
    with pytest.raises(Viz3dError, match=r"^inputs: a list of 3 tensors, not one tensor"):
        viz3d.watch(readme_model(), [x, x, x])


def test_watch_and_pushforward_bring_the_users_tensors_to_the_models_device():
    """A CPU batch for a CUDA model: moved (as live, picture and video do), in its own dtype. The meta device
    stands in for a GPU here: its tensors only carry shapes, as a forward on them does."""
    model = nn.Sequential(nn.Linear(8, 4), nn.Tanh()).to("meta")
    assert viz3d.watch(model, torch.randn(10, 8)).snapshot().activations["1"].device.type == "meta"
    tangents = viz3d.pushforward(model, torch.randn(3, 8), torch.randn(3, 8))
    assert tangents["1"].device.type == "meta"


def test_watch_keeps_a_frozen_batchnorm_frozen():
    """evaluating() put back the model's mode with model.train(...), which set every module: a BatchNorm the
    user had frozen with .eval() inside a training model was training again after each capture."""
    model = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2))
    model.train()
    model[1].eval()
    viz3d.watch(model, torch.randn(20, 8)).snapshot()
    assert model.training and not model[1].training


class ResidualBlock(nn.Module):
    """torchvision's BasicBlock in miniature: in-place ReLUs and ``out += x`` after the watched modules."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.relu = nn.Linear(6, 6), nn.Linear(6, 6), nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.fc1(x))
        out = self.fc2(out)
        out += x
        return self.relu(out)


def test_a_later_in_place_op_leaves_what_each_layer_output_as_it_was():
    torch.manual_seed(0)
    chain = nn.Sequential(nn.Linear(4, 16), nn.ReLU(inplace=True), nn.Linear(16, 2))
    x = torch.randn(50, 4)
    tracker = viz3d.watch(chain, x, stages=True)
    with torch.inference_mode():  # a capture in the user's own inference mode, where no writes are counted
        first = tracker.snapshot()
    snap = tracker.snapshot()
    assert all(torch.equal(first.activations[name], snap.activations[name]) for name in snap.layer_names)
    with torch.no_grad():
        wx = x @ chain[0].weight.T
        assert torch.allclose(snap.activations["0:Wx"], wx, atol=1e-6)
        assert torch.equal(snap.activations["0"], chain[0](x))  # not the ReLU's output written over it
        assert snap.activations["0"].min() < 0
    points, vectors = x[:5], torch.randn(5, 4)
    tangent = viz3d.pushforward(chain, points, vectors)["0"]
    assert torch.allclose(tangent, vectors @ chain[0].weight.T, atol=1e-6)  # a Linear's tangent: W·v, unmasked

    block = ResidualBlock()
    acts = viz3d.watch(block, torch.randn(50, 6)).snapshot().activations
    inputs = acts["input"]
    with torch.no_grad():
        branch = block.fc2(torch.relu(block.fc1(inputs)))
        assert torch.equal(acts["fc1"], block.fc1(inputs))
        assert torch.equal(acts["fc2"], branch)  # the branch f(x), never the sum
        assert torch.equal(acts["relu#2"], torch.relu(branch + inputs))


def test_a_compiled_model_is_watched_through_the_module_it_wraps():
    """A trial: once a compiled model had run in eval mode without autograd (a validation loop), in the grad
    mode a capture runs in, its graph ran without the capture's hooks: "no layer to watch"."""
    torch.manual_seed(0)
    x = torch.randn(60, 4)
    labels = (x[:, 0] > 0).long()
    plain = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2), nn.Softmax(dim=1))
    compiled = torch.compile(plain, backend="eager")
    compiled.eval()
    with torch.no_grad():
        compiled(x)
    compiled.train()
    snap = viz3d.watch(compiled, x, labels).snapshot()
    assert snap.layer_names == ["input", "0", "1", "2", "3"]
    with torch.no_grad():
        assert torch.equal(snap.activations["1"], torch.tanh(plain[0](x)))
    assert viz3d.watch(compiled, x, layers=["_orig_mod.0", "2"]).snapshot().layer_names == ["input", "0", "2"]
    from viz3d.train.user_session import user_session

    assert user_session(compiled, x, labels).last_stats == user_session(plain, x, labels).last_stats  # a softmax


def test_a_model_whose_weights_are_buffers_takes_rows_in_their_dtype():
    """A fixed map kept in a float64 buffer (no parameters) got float32 rows and a raw dtype error."""
    from viz3d.train.user_session import user_session

    class FixedMap(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("matrix", torch.tensor([[2.0, 3.0], [1.0, -2.0]], dtype=torch.float64))

        def forward(self, x):
            return x @ self.matrix.T

    x = np.random.default_rng(4).normal(size=(50, 2))
    session = user_session(FixedMap(), x, x @ np.array([[2.0, 3.0], [1.0, -2.0]]).T[:, 0])
    assert session.probe.inputs.dtype == torch.float64
    assert np.isfinite(session.capture().positions).all()


def test_several_tensors_where_one_goes_are_refused_with_the_fix():
    x = torch.randn(30, 8)
    assert refused((x, x[:, :1])).startswith(
        "inputs: a tuple of 2 tensors, not one tensor: stack rows with torch.stack(...); a model that takes "
        "several inputs needs a wrapper module that takes one"
    )


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_a_model_in_another_float_dtype_takes_float32_inputs(dtype):
    """A .double() or bfloat16 model was refused with 'convert them, e.g. x.to(torch.float64)', though the
    inputs were converted: the probe cast them back to float32."""
    from viz3d.train.user_session import user_session

    x = torch.randn(200, 8, generator=torch.Generator().manual_seed(0))
    session = user_session(readme_model().to(dtype), x, (x[:, 0] > 0).long())
    assert session.probe.inputs.dtype == dtype
    projection = session.capture()
    assert np.isfinite(projection.positions).all() and projection.predictions is not None
    # a classifier of the plane, with its regions and tangent arrows: numpy has no bfloat16 for either
    plane = torch.randn(200, 2, generator=torch.Generator().manual_seed(1))
    arrows = {"arrow_points": plane[:2], "arrow_vectors": torch.ones(2, 2)}
    session = user_session(mlp().to(dtype), plane, (plane[:, 0] > 0).long(), **arrows)
    projection = session.capture()
    assert projection.region_probs is not None and projection.arrow_text is not None


@pytest.mark.parametrize(
    ("arrows", "message"),
    [
        ({"arrow_points": [[0, 0], [1, 1]], "arrow_vectors": [[1, 0]]}, "arrow_points (2, 2) and arrow_vectors (1, 2)"),
        (
            {"arrow_points": [[0, 0, 0]], "arrow_vectors": [[1, 0, 0]]},
            "shaped as one input (2,), so pass shape (arrows, 2)",
        ),
        ({"arrow_points": [[0, 0]]}, "arrow_points without arrow_vectors: an arrow is a vector at a point"),
        ({"arrow_vectors": [[1, 0]]}, "arrow_vectors without arrow_points"),
    ],
)
def test_arrows_that_do_not_fit_the_inputs_are_refused_in_one_line(arrows, message):
    """A preset's arrows were checked, a script's were not: a count mismatch raised torch.func.jvp's
    "Trying to set a forward gradient", and points of the wrong width were called the probe inputs."""
    from viz3d.train.user_session import user_session

    x, y = xor_data(50)
    with pytest.raises(Viz3dError) as caught:
        user_session(mlp(), x, y, **arrows)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_arrows_over_token_ids_are_refused_as_such():
    """Integer inputs have no direction to push a tangent along; the capture then said to pass x.long()
    for inputs that were long already."""
    from viz3d.train.user_session import user_session

    tokens = torch.randint(0, 9, (30, 4), generator=torch.Generator().manual_seed(0))
    model = nn.Sequential(nn.Embedding(9, 2), nn.Flatten(), nn.Linear(8, 2))
    arrows = {"arrow_points": torch.zeros(1, 4, dtype=torch.long), "arrow_vectors": torch.ones(1, 4, dtype=torch.long)}
    with pytest.raises(Viz3dError, match=r"the inputs are integers \(torch.int64, token ids\).*leave the arrows out"):
        user_session(model, tokens, tokens[:, 0] % 2, **arrows)


def test_a_scripts_own_values_are_quoted_as_they_were():
    """The rewrite of a preset's words into a script's reached into the quoted value."""
    x, y = xor_data(50)
    with pytest.raises(Viz3dError) as caught:
        viz3d.picture(mlp(), x, y, "never.png", color_by="[view] x")
    assert str(caught.value).startswith("viz3d.picture(): color_by: expected one of") and "'[view] x'" in str(
        caught.value
    )


def test_pushforward_refuses_points_and_vectors_of_different_shapes():
    with pytest.raises(Viz3dError, match=r"points \(2, 2\) and vectors \(1, 2\): give one vector for each point"):
        viz3d.pushforward(mlp(), torch.zeros(2, 2), torch.zeros(1, 2))


def test_live_without_a_display_points_a_script_to_picture_and_video(monkeypatch):
    from viz3d.errors import GLContextError

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    x = torch.randn(40, 2)
    with pytest.raises(GLContextError, match=r"no display .*viz3d\.picture or viz3d\.video"):
        viz3d.live(mlp(), x, (x[:, 0] > 0).long())


def test_which_of_several_outputs_is_scored_is_said(capsys):
    """A {"emb", "logits"} model was scored on "emb" (accuracy 5%, five classes) without a word."""
    from viz3d.train.user_session import user_session

    class TwoHeads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body, self.aux, self.cls = nn.Linear(2, 8), nn.Linear(8, 5), nn.Linear(8, 2)

        def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
            h = torch.tanh(self.body(x))
            return {"emb": self.aux(h), "logits": self.cls(h)}

    x = torch.randn(40, 2)
    y = (x[:, 0] > 0).long()
    user_session(TwoHeads(), x, y)
    assert capsys.readouterr().err == (
        "viz3d: note: the labels are scored against the model's output 'emb', the first of its tensors: "
        "pass output_key= to score another ('logits')\n"
    )
    for model, key in ((TwoHeads(), "logits"), (mlp(), None)):
        user_session(model, x, y, output_key=key)
        assert capsys.readouterr().err == ""


@dataclasses.dataclass
class LossAndLogits:
    loss: torch.Tensor
    logits: torch.Tensor


class ReturnsItsLoss(nn.Module):
    """Hugging Face-style: the batch's loss, a scalar, comes first."""

    def __init__(self) -> None:
        super().__init__()
        self.body, self.head = nn.Linear(2, 8), nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> LossAndLogits:
        logits = self.head(torch.tanh(self.body(x)))
        return LossAndLogits(loss=logits.pow(2).mean(), logits=logits)


def test_a_scalar_loss_first_in_the_output_is_passed_over_for_the_logits(capsys):
    """A trial: the note said the labels were scored against 'loss', and the panel "output (N) is not class
    logits" for an output of shape ()."""
    from viz3d.train.user_session import user_session

    torch.manual_seed(0)
    x = torch.randn(40, 2)
    y = (x[:, 0] > 0).long()
    model = ReturnsItsLoss()
    stats = user_session(model, x, y).last_stats
    with torch.no_grad():
        logits = model(x).logits
    assert stats.loss == pytest.approx(float(nn.functional.cross_entropy(logits, y)), rel=1e-5)
    assert stats.accuracy == pytest.approx(float((logits.argmax(1) == y).float().mean()))
    assert capsys.readouterr().err == ""  # one tensor with a row per input: nothing to choose between


def test_options_given_as_numpy_torch_or_ranges_are_read_as_a_preset_file_holds_them(tmp_path):
    """axes=np.array([1, 2, 3]), torch.tensor or range(1, 4) were refused as 'expected a list of integers'."""
    x = torch.randn(200, 8)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 2))
    for axes in (range(1, 4), np.array([1, 2, 3]), torch.tensor([1, 2, 3]), (np.int64(1), 2, 3)):
        viz3d.picture(model, x, None, tmp_path / "a.png", size=(320, 180), axes=axes, force=True)
    tour = [{"time": np.float64(0.0)}, {"time": torch.tensor(0.2), "layer": np.int64(2)}]
    assert viz3d.video(model, x, None, f"{tmp_path}/v/", size=(160, 90), fps=10, tour=tour).is_dir()


def test_pushforward_of_one_point_without_its_batch_dimension_says_so():
    """It had said 'no layer to watch: no module produced a per-sample tensor output'."""
    with pytest.raises(Viz3dError, match=r"^points: shape \(2,\) has no batch dimension: pass points\[None\]"):
        viz3d.pushforward(mlp(), torch.zeros(2), torch.zeros(2))


class LastStep(nn.Module):
    """An LSTM classifier: oneDNN's LSTM kernel, which CPU torch runs, has no forward-mode derivative."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 8, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(x)[0][:, -1])


def test_pushforward_through_an_lstm_matches_finite_differences():
    """It had failed with torch's multi-line NotImplementedError about mkldnn_rnn_layer."""
    model, x, v = LastStep(), torch.randn(3, 12, 4), torch.randn(3, 12, 4)
    tangents = viz3d.pushforward(model, x, v)
    eps = 1e-3
    with torch.no_grad():
        expected = (model(x + eps * v) - model(x - eps * v)) / (2 * eps)
    torch.testing.assert_close(tangents["head"], expected, atol=2e-3, rtol=1e-2)
    assert torch.backends.mkldnn.enabled  # switched off for the pushforward only


def twice(once_differentiable: bool) -> type:
    """A custom op (2x) with a backward but no forward-mode derivative (no jvp), as CUDA's fused RNN cells."""

    def backward(ctx, grad):
        return 2 * grad

    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return 2 * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

    Twice.backward = staticmethod(
        torch.autograd.function.once_differentiable(backward) if once_differentiable else backward
    )
    return Twice


class Doubled(nn.Module):
    def __init__(self, op: type) -> None:
        super().__init__()
        self.a, self.b, self.op = nn.Linear(2, 3), nn.Linear(3, 2), op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.tanh(self.op.apply(self.a(x))))


class TinyTransformer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp, self.out = nn.Linear(5, 16), nn.Linear(16, 2)
        self.enc = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.enc(self.inp(x)).mean(dim=1))


def test_pushforward_through_attention_runs_on_the_math_kernel():
    """A trial: the CPU's fused attention kernel has no forward-mode derivative, and the fallback turned
    off oneDNN and cuDNN but not it: "watch only the layers before it", for a plain transformer layer."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    torch.manual_seed(0)
    model = TinyTransformer().eval()
    points, vectors = torch.randn(3, 12, 5), torch.randn(3, 12, 5)
    tangents = viz3d.pushforward(model, points, vectors)
    with sdpa_kernel(SDPBackend.MATH):
        expected = torch.func.jvp(model, (points,), (vectors,))[1]
    assert torch.allclose(tangents["out"], expected, atol=1e-5)
    with pytest.raises(Viz3dError, match=r"^points: integers \(torch.int64, token ids\).*pass float points"):
        viz3d.pushforward(model, torch.zeros(3, 12, 5, dtype=torch.long), torch.ones(3, 12, 5, dtype=torch.long))


def test_a_layer_without_a_forward_derivative_is_pushed_forward_by_double_backward():
    model, x, v = Doubled(twice(once_differentiable=False)), torch.randn(4, 2), torch.randn(4, 2)
    eps = 1e-3
    with torch.no_grad():
        expected = (model(x + eps * v) - model(x - eps * v)) / (2 * eps)
    torch.testing.assert_close(viz3d.pushforward(model, x, v)["b"], expected, atol=1e-3, rtol=1e-2)


def test_an_autograd_function_of_the_older_kind_is_pushed_forward_too():
    """forward(ctx, x) without setup_context: torch.func refuses it with a RuntimeError, which reached the
    user as it was (a trial)."""

    class OldTwice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    model, x, v = Doubled(OldTwice), torch.randn(4, 2), torch.randn(4, 2)
    eps = 1e-3
    with torch.no_grad():
        expected = (model(x + eps * v) - model(x - eps * v)) / (2 * eps)
    torch.testing.assert_close(viz3d.pushforward(model, x, v)["b"], expected, atol=1e-3, rtol=1e-2)


def test_a_layer_with_no_derivative_along_a_vector_at_all_is_one_line_naming_what_to_do():
    with pytest.raises(Viz3dError) as caught:
        viz3d.pushforward(Doubled(twice(once_differentiable=True)), torch.randn(4, 2), torch.randn(4, 2))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("tangent arrows need the derivative of every watched layer")
    assert "jvp" in message and message.endswith("watch only the layers before it, with layers=[...]")


def test_integer_inputs_reach_an_embedding_as_they_are_with_no_grid():
    """Token ids were cast to float for the probe, and nn.Embedding refused them (with a wrong guess at
    the shape the model expects)."""
    from viz3d.train.user_session import user_session

    tokens = torch.randint(0, 17, (300, 6), generator=torch.Generator().manual_seed(0))
    model = nn.Sequential(nn.Embedding(17, 4), nn.Flatten(), nn.Linear(24, 8), nn.Tanh(), nn.Linear(8, 3))
    session = user_session(model, tokens, tokens[:, 0] % 3)
    assert session.probe.inputs.dtype == torch.long and session.probe.n_grid == 0
    projection = session.capture()
    assert projection.positions.shape[:2] == (6, 300) and np.isfinite(projection.positions).all()


def test_a_read_only_numpy_array_is_taken_without_torchs_warning(recwarn):
    x = np.random.default_rng(1).normal(size=(50, 8)).astype(np.float32)
    x.flags.writeable = False
    viz3d.watch(readme_model(), x).snapshot()
    assert not [w for w in recwarn if "not writable" in str(w.message)]


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ("x.npy", "inputs: a value of type str, not an array: pass a torch.Tensor or a numpy array"),
        ({"x": [1.0]}, "inputs: a value of type dict, not an array: pass a torch.Tensor or a numpy array"),
        (np.array([["a", "b"]]), "inputs: an array of <U1 values, not numbers: convert it first, e.g. with"),
        ([[1.0, 2.0], [3.0]], "inputs: rows of different lengths: pass rows that all have the same length"),
    ],
)
def test_inputs_that_are_no_array_of_numbers_are_refused_in_one_line(inputs, expected):
    assert refused(inputs).startswith(expected)


# --- viz3d.live, run headless ------------------------------------------------------------------------


@pytest.fixture
def headless_live(monkeypatch, gl):
    """`viz3d.live` in the test's headless context; the "window" closes when ``until(panel)`` holds or
    after ``seconds``. Returns a function that runs live() and gives back the panel's text."""
    import time

    import viz3d.render.context

    def run(model, x, y, train_step=None, until=lambda panel: False, seconds=10.0, **options):
        panel = PanelText(monkeypatch)
        panel.titles = titles = []  # what the window's title was set to, in turn
        deadline = time.perf_counter() + seconds

        class Window:
            headless = True
            canvas = gl.canvas
            framebuffer_size = window_size = staticmethod(lambda: (320, 240))
            content_scale = staticmethod(lambda: 1.0)
            poll = swap = close = staticmethod(lambda: None)  # the session's context stays open
            set_title = staticmethod(titles.append)

            @staticmethod
            def should_close():
                time.sleep(0.002)  # leave the training thread some time
                return until(panel) or time.perf_counter() > deadline

        monkeypatch.setattr(viz3d.render.context, "open_window", lambda *_args, **_kwargs: Window())
        viz3d.live(model, x, y, train_step=train_step, **options)
        return panel

    return run


def test_an_error_in_a_later_training_step_pauses_training_in_the_window(headless_live):
    def train_step(step):
        if step == 2:
            raise ValueError("bad batch")
        return 1.0

    x, y = torch.randn(50, 2), torch.zeros(50, dtype=torch.long)
    panel = headless_live(mlp(), x, y, train_step, until=lambda panel: panel.last("training paused"))
    assert panel.last("step ") == "step 2"  # live() returned normally, with training paused at the error
    assert panel.last("training paused") == "training paused at step 2: ValueError: bad batch"


# --- accuracy of a user's model --------------------------------------------------------------------


def readme_example(n: int = 2000):
    """The README's "Watching your own model" example, as it stands there."""
    x = torch.randn(n, 8)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def train_step(step):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return model, x, y, train_step


def test_while_recording_the_title_says_where_the_video_goes_and_the_panel_does_not(
    headless_live, monkeypatch, tmp_path
):
    """The panel can be in the video: a presenter's recording must not show 'recording to ...'."""
    from viz3d.app.state import ViewState

    monkeypatch.chdir(tmp_path)  # recordings/ is made here
    from_spec = ViewState.from_spec
    monkeypatch.setattr(
        ViewState, "from_spec", classmethod(lambda cls, *a, **k: replace(from_spec(*a, **k), recording=True))
    )
    x, y = torch.randn(50, 2), torch.zeros(50, dtype=torch.long)
    panel = headless_live(mlp(), x, y, seconds=1.5, title="talk")
    assert panel.titles[0].startswith("viz3d — talk — ● REC to recordings/viz3d-talk-")
    assert panel.titles[0].endswith(".mp4 (R stops)")
    assert not [line for line in panel.lines if "recording" in line]
    assert len(list((tmp_path / "recordings").glob("*.mp4"))) == 1  # and the video was written
    monkeypatch.setattr(  # recording without the panel: it is not in the video, so it can say so
        ViewState,
        "from_spec",
        classmethod(lambda cls, *a, **k: replace(from_spec(*a, **k), recording=True, record_overlay=False)),
    )
    panel = headless_live(mlp(), x, y, seconds=1.0, title="talk")
    assert panel.last("recording") == "recording (R stops)"


def test_readme_example_shows_its_accuracy_in_the_panel(headless_live):
    model, x, y, train_step = readme_example()
    panel = headless_live(model, x, y, train_step, until=lambda panel: "%" in (panel.last("loss ") or ""))
    line = panel.last("loss ")
    assert line is not None and line.split("accuracy ")[1].endswith("%"), line


def test_a_user_step_that_returns_only_the_loss_gets_the_accuracy_on_the_drawn_points():
    from viz3d.train.user_session import user_session

    model, x, y, train_step = readme_example(300)
    session = user_session(model, x, y, train_step, capture_every=5)
    for _ in range(5):  # the fifth step is followed by a capture: measured then, whatever the clock says
        stats = session.train_step()
    with torch.no_grad():
        expected = (model(x).argmax(dim=1) == y).float().mean().item()
    assert stats.accuracy == pytest.approx(expected)
    assert session.n_classes == 2  # so the overlay can colour by prediction, too
    assert session.capture().predictions is not None


class TwoHeads(nn.Module):
    """A model returning a dict, as many do: an auxiliary one-unit head first, the class logits second;
    or, with ``pair``, the tuple (logits, hidden)."""

    def __init__(self, pair: bool = False) -> None:
        super().__init__()
        self.pair = pair
        self.body = nn.Sequential(nn.Linear(8, 16), nn.Tanh())
        self.aux, self.head = nn.Linear(16, 1), nn.Linear(16, 2)

    def forward(self, x):
        hidden = self.body(x)
        if self.pair:
            return self.head(hidden), hidden
        return {"aux": self.aux(hidden), "logits": self.head(hidden)}


def test_a_model_returning_several_tensors_is_scored_on_the_one_named_or_the_first(tmp_path):
    """A model returning (logits, hidden) showed 'accuracy n/a (the model returns a tuple)', and picture()
    and video() refused output_key= and token=, which watch() takes."""
    from viz3d.train.user_session import user_session

    x = torch.randn(300, 8, generator=torch.Generator().manual_seed(0))
    y = (x[:, 0] > 0).long()
    for model, key in ((TwoHeads(), "logits"), (TwoHeads(pair=True), None)):
        with torch.no_grad():
            logits = model.head(model.body(x))
        session = user_session(model, x, y, output_key=key)
        note = session.accuracy_note
        assert note == "-" and session.n_classes == 2
        assert session.evaluate().accuracy == pytest.approx((logits.argmax(1) == y).float().mean().item())
    out = viz3d.picture(TwoHeads(), x, y, tmp_path / "heads.png", size=(320, 180), output_key="logits", token="mean")
    assert out.stat().st_size > 0
    for model, key, found in ((TwoHeads(), "logit", "keys 'aux', 'logits'"), (TwoHeads(True), 7, "positions 0 to 1")):
        with pytest.raises(Viz3dError) as caught:  # a typo was scored as 'no tensor in the output'
            user_session(model, x, y, output_key=key)
        assert str(caught.value).startswith(f"output_key={key!r}: no tensor there") and found in str(caught.value)


def test_a_video_whose_train_step_raises_keeps_the_frames_and_says_so(tmp_path):
    """A train_step raising (or taking no step argument) escaped raw from video(), leaving a file behind
    that nothing mentioned; a NaN loss already said which frames it kept."""
    x, y = torch.randn(50, 2), torch.zeros(50, dtype=torch.long)
    out = tmp_path / "raise.mp4"
    with pytest.raises(Viz3dError) as caught:
        viz3d.video(mlp(), x, y, out, frames=20, size=(320, 180), train_step=failing_at(5))
    message = str(caught.value)
    assert message.startswith("recording stopped at frame 6 (your train_step raised RuntimeError at step 5: bad")
    kept = tmp_path / "raise.interrupted.mp4"
    assert message.endswith(f"kept the 6 frames rendered so far in {kept}")  # and nothing about raise.mp4
    assert isinstance(caught.value.__cause__.__cause__, RuntimeError)  # the user's exception, for a debugger
    assert frames_in(kept) == 6 and not out.exists()


def test_a_recording_cut_by_any_error_replaces_nothing(tmp_path, capsys):
    """Only Ctrl-C, NaN and viz3d's own errors marked a recording unfinished: a RuntimeError from the
    model's forward during a capture let the fragment replace the finished take (force=True)."""

    class BreaksLater(nn.Module):
        def __init__(self):
            super().__init__()
            self.net, self.calls = mlp(), 0

        def forward(self, x):
            self.calls += 1
            if self.calls > 8:
                raise RuntimeError("boom in forward")
            return self.net(x)

    x, y = torch.randn(50, 2), torch.zeros(50, dtype=torch.long)
    out = tmp_path / "take.mp4"
    out.write_bytes(b"the finished take")
    with pytest.raises(RuntimeError, match="boom in forward"):
        viz3d.video(BreaksLater(), x, y, out, frames=20, size=(160, 96), train_step=lambda step: 1.0, force=True)
    assert out.read_bytes() == b"the finished take" and frames_in(tmp_path / "take.interrupted.mp4") > 0
    assert "by the error below; kept the" in capsys.readouterr().err


def test_an_unfinished_png_sequence_goes_beside_the_folder_named_even_as_dot(tmp_path, monkeypatch):
    """'./' crashed setting the fragment aside ('.' has no name). An unfinished sequence goes beside the
    folder, as a take does beside its file, so the folder holds only finished takes."""
    from viz3d.app.video import FrameWriter

    def unfinished(out, force=False):
        writer = FrameWriter(out, (32, 32), 10, force=force)
        for _ in range(2):
            writer.write(np.zeros((32, 32, 3), np.uint8))
        return writer.close(complete=False)

    folder = tmp_path / "frames"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert unfinished("./") == tmp_path / "frames.interrupted" and list(folder.iterdir()) == []
    assert unfinished("./", force=True) == tmp_path / "frames.interrupted-2"
    assert len(list((tmp_path / "frames.interrupted-2").iterdir())) == 2


def failing_at(bad_step: int):
    """A train_step that raises at ``bad_step`` and reports a loss of 1.0 before it."""

    def train_step(step):
        if step == bad_step:
            raise RuntimeError("bad batch")
        return 1.0

    return train_step


def frames_in(path) -> int:
    import av

    with av.open(str(path)) as container:
        return len(list(container.decode(video=0)))


def test_an_unfinished_recording_replaces_nothing_even_with_force(tmp_path):
    """A Ctrl-C (or a failed step) during a --force re-record put the fragment where the finished take was:
    the speaker lost a good video. The fragment now goes beside it, and says where."""
    x, y = torch.randn(50, 2), torch.zeros(50, dtype=torch.long)
    out = tmp_path / "take.mp4"
    out.write_bytes(b"the finished take")
    for aside in ("take.interrupted.mp4", "take.interrupted-2.mp4"):
        with pytest.raises(Viz3dError) as caught:
            viz3d.video(mlp(), x, y, out, frames=20, size=(160, 96), train_step=failing_at(3), force=True)
        assert str(caught.value).endswith(
            f"kept the 4 frames rendered so far in {tmp_path / aside}; {out} is as it was (an unfinished "
            "recording replaces nothing)"
        )
        assert out.read_bytes() == b"the finished take" and frames_in(tmp_path / aside) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.interrupted-2.mp4", "take.interrupted.mp4", "take.mp4"]


def test_a_step_may_return_its_loss_tensor_with_its_graph(recwarn):
    """float() of a loss that still requires grad made torch warn at every step."""
    from viz3d.train.user_session import user_session

    model, x, y, _ = readme_example(50)
    session = user_session(model, x, y, lambda step: nn.functional.cross_entropy(model(x), y))
    with torch.no_grad():
        expected = nn.functional.cross_entropy(model(x), y).item()
    assert session.train_step().loss == pytest.approx(expected)
    assert not [w for w in recwarn if "requires_grad" in str(w.message)]


class PerToken(nn.Module):
    """A sequence model with logits for every token, (N, T, C), as a tagger's."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn, self.head = nn.GRU(4, 8, batch_first=True), nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def test_sequences_are_scored_and_drawn_on_the_token_asked_for(tmp_path):
    """token="mean" in picture() crashed ('Inference tensors do not track version counter'), and per-token
    logits (N, T, C) were 'not class logits' whatever the token."""
    from viz3d.train.user_session import user_session

    x = torch.randn(60, 5, 4, generator=torch.Generator().manual_seed(0))
    y = torch.arange(60) % 3
    model = PerToken()
    with torch.no_grad():
        logits = model(x)
    for token, rows in (("last", logits[:, -1]), ("mean", logits.mean(dim=1))):
        session = user_session(model, x, y, token=token)
        note = session.accuracy_note
        assert note == "-" and session.evaluate().accuracy == pytest.approx((rows.argmax(1) == y).float().mean().item())
    out = viz3d.picture(model, x, y, tmp_path / "mean.png", size=(320, 180), token="mean")
    assert out.stat().st_size > 0


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (9, "token=9: the sequences have 5 positions: pass one from 0 to 4 (or -5 to -1)"),
        (-6, "token=-6: the sequences have 5 positions"),
        ("first", "token='first': pass 'last', 'mean', a position such as 0"),
        (1.5, "token=1.5: pass 'last', 'mean'"),
        (np.array([1, 2]), "token=array([1, 2]): pass 'last', 'mean'"),
    ],
)
def test_a_token_the_sequences_do_not_have_is_refused_in_one_line(token, message):
    """token=9 on 5-long sequences raised an IndexError from inside a forward hook; "first" a ValueError
    from int(); 1.5 was taken as 1."""
    x = torch.randn(20, 5, 4, generator=torch.Generator().manual_seed(0))
    with pytest.raises(Viz3dError) as caught:
        viz3d.watch(PerToken(), x, token=token).snapshot()
    assert str(caught.value).startswith(message)


def test_a_step_that_reports_its_own_accuracy_keeps_it_after_training_too():
    """A video's frames after training showed viz3d's own measurement (loss 2.302, accuracy 20.1%) where
    the step returned StepStats(1.2345, 0.4321), which the README says is shown."""
    from viz3d import StepStats
    from viz3d.train.user_session import user_session

    model, x, y, _ = readme_example(50)
    session = user_session(model, x, y, lambda step: StepStats(loss=1.2345, accuracy=0.4321))
    session.train(3)
    assert session.final_stats() == StepStats(1.2345, 0.4321)
    measured = user_session(model, x, y, lambda step: 1.2345)  # a bare loss: measured on the points
    measured.train(3)
    assert measured.final_stats() == measured.evaluate()


def test_a_step_that_reports_its_own_accuracy_keeps_it():
    from viz3d import StepStats  # public: a train_step may report its own accuracy
    from viz3d.train.user_session import user_session

    model, x, y, _ = readme_example(50)
    session = user_session(model, x, y, lambda step: StepStats(loss=0.5, accuracy=0.25))
    assert session.train_step().accuracy == 0.25


@pytest.mark.parametrize(
    ("model", "labels", "why"),
    [
        (mlp(), None, "n/a (no labels)"),
        (nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)), torch.linspace(-1, 2, 40), "n/a (regression)"),
        (mlp(), torch.full((40,), 0.5), "labels are not class"),
        (
            nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)),
            torch.arange(40) % 3,
            "(N, 1) is not class logits: for a regression pass y.float()",
        ),
        (mlp(), torch.arange(40) % 3, "labels 0..2, output has 2 classes"),
    ],
)
def test_the_panel_says_why_there_is_no_accuracy(model, labels, why):
    from viz3d.train.user_session import user_session

    session = user_session(model, torch.randn(40, 2), labels, lambda step: 1.0)
    no_accuracy = session.accuracy_note
    assert why in no_accuracy and session.train_step().accuracy is None


def test_a_regressor_shown_as_it_is_scores_its_mean_squared_error():
    from viz3d.train.user_session import user_session

    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    x = torch.randn(40, 2)
    y = x[:, 0] - 2 * x[:, 1]
    session = user_session(model, x, y)
    no_accuracy = session.accuracy_note
    with torch.no_grad():
        expected = float(((model(x)[:, 0] - y) ** 2).mean())
    assert no_accuracy == "n/a (regression)"
    assert session.last_stats.loss == pytest.approx(expected, rel=1e-5) and session.last_stats.accuracy is None


def one_logit(sigmoid: bool = False) -> nn.Sequential:
    layers = [nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)]
    return nn.Sequential(*layers, nn.Sigmoid()) if sigmoid else nn.Sequential(*layers)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bool, torch.long])
def test_a_single_logit_with_zero_one_labels_is_a_binary_classifier(dtype):
    """BCEWithLogitsLoss's usual set-up: it was scored as a regression (MSE of logits, 236 in a review)
    and its points lost their class colours."""
    from viz3d.train.user_session import user_session

    torch.manual_seed(0)
    model, x = one_logit(), torch.randn(60, 2)
    y = (x[:, 0] > 0).to(dtype)
    session = user_session(model, x, y)
    no_accuracy = session.accuracy_note
    with torch.no_grad():
        logit = model(x)[:, 0]
    expected_loss = float(nn.functional.binary_cross_entropy_with_logits(logit, y.float()))
    expected_accuracy = float(((logit > 0) == y.bool()).float().mean())
    assert no_accuracy == "-" and session.n_classes == 2
    assert session.last_stats.loss == pytest.approx(expected_loss, rel=1e-5)
    assert session.last_stats.accuracy == pytest.approx(expected_accuracy)
    assert session.probe.targets is None and session.probe.labels.tolist() == y.long().tolist()
    projection = session.capture()
    assert projection.predictions.tolist() == (logit > 0).long().tolist()  # so it colours by prediction


def test_a_model_ending_in_a_sigmoid_is_scored_on_probabilities():
    from viz3d.train.user_session import user_session

    torch.manual_seed(0)
    model, x = one_logit(sigmoid=True), torch.randn(60, 2)
    y = (x[:, 1] > 0).float()
    session = user_session(model, x, y)
    with torch.no_grad():
        probability = model(x)[:, 0]
    assert session.last_stats.loss == pytest.approx(float(nn.functional.binary_cross_entropy(probability, y)), 1e-5)
    assert session.last_stats.accuracy == pytest.approx(float(((probability > 0.5) == y.bool()).float().mean()))
    assert session.capture().predictions.tolist() == (probability > 0.5).long().tolist()


@pytest.mark.parametrize("last", [nn.Softmax(dim=1), nn.LogSoftmax(dim=1)], ids=["softmax", "log-softmax"])
def test_a_model_ending_in_a_softmax_is_scored_on_its_probabilities(last):
    """An API trial: a model ending in nn.Softmax, trained on the NLL of its log-probabilities, showed loss
    0.5756 (cross-entropy of the probabilities read as logits) where its NLL was 0.0457. A log-softmax
    needs nothing: cross-entropy of log-probabilities is their NLL."""
    from viz3d.train.user_session import user_session

    torch.manual_seed(0)
    x = torch.randn(300, 2)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 0] > 1).long()
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 3), last)
    optimizer = torch.optim.Adam(model.parameters(), 0.05)
    for _ in range(100):
        optimizer.zero_grad()
        outputs = model(x)
        nn.functional.nll_loss(outputs.log() if isinstance(last, nn.Softmax) else outputs, y).backward()
        optimizer.step()
    with torch.no_grad():
        log_probs = torch.log_softmax(model[:3](x), dim=1)  # from the logits, not from the model's output
    session = user_session(model, x, y)
    assert session.last_stats.loss == pytest.approx(float(nn.functional.nll_loss(log_probs, y)), rel=1e-4)
    assert session.last_stats.loss < 0.2
    assert session.last_stats.accuracy == pytest.approx(float((log_probs.argmax(1) == y).float().mean()))
    assert session.capture().predictions.tolist() == log_probs.argmax(1).tolist()


class FunctionalSigmoid(nn.Module):
    """torch.sigmoid in forward: a probability out, though no nn.Sigmoid is registered."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden, self.out = nn.Linear(2, 8), nn.Linear(8, 1)

    def forward(self, x):
        return torch.sigmoid(self.out(torch.tanh(self.hidden(x))))


class SigmoidThenFloat(FunctionalSigmoid):
    """A review: .float() of a float tensor returns the tensor itself, which had hidden the sigmoid."""

    def forward(self, x):
        return super().forward(x).float().contiguous()


class SigmoidInside(nn.Module):
    """An nn.Sigmoid registered last but used as the hidden activation: the output is a logit."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden, self.out, self.act = nn.Linear(2, 8), nn.Linear(8, 1), nn.Sigmoid()

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


@pytest.mark.parametrize(
    ("model", "probability"),
    [
        (FunctionalSigmoid(), True),
        (SigmoidThenFloat(), True),
        (SigmoidInside(), False),
        (nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid(), nn.Flatten(0)), True),
    ],
    ids=["torch.sigmoid in forward", "then .float() of a float", "nn.Sigmoid inside", "nn.Sigmoid then a reshape"],
)
def test_a_probability_is_told_from_a_logit_by_the_graph_not_the_module_order(model, probability):
    """A review found all three misread from the last registered module: accuracy 0.505 for 1.0."""
    from viz3d.train.user_session import user_session

    torch.manual_seed(0)
    x = torch.randn(80, 2)
    y = (x[:, 0] > 0).float()
    session = user_session(model, x, y)
    with torch.no_grad():
        out = model(x).reshape(-1)
    threshold = 0.5 if probability else 0.0
    loss = nn.functional.binary_cross_entropy if probability else nn.functional.binary_cross_entropy_with_logits
    assert session.last_stats.loss == pytest.approx(float(loss(out, y)), rel=1e-5)
    assert session.last_stats.accuracy == pytest.approx(float(((out > threshold) == y.bool()).float().mean()))
    assert session.capture().predictions.tolist() == (out > threshold).long().tolist()  # the colours agree


class TokenSigmoid(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.table, self.out = nn.Embedding(10, 4), nn.Linear(4, 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.out(self.table(ids).mean(dim=1))).squeeze(1)


@pytest.mark.parametrize("case", ["inference_mode", "frozen weights over token ids"])
def test_a_probability_is_told_without_an_autograd_graph(case):
    """A trial: under inference_mode, or frozen with integer inputs, no graph is built, and a sigmoid's
    output had been scored as a logit (loss 0.50 and accuracy 51% for a model at 100%)."""
    from viz3d.train.user_session import user_session

    torch.manual_seed(0)
    if case == "inference_mode":
        model, x = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid()), torch.randn(80, 2)
        labels = (x[:, 0] > 0).long()
    else:
        model, x = TokenSigmoid().requires_grad_(False), torch.randint(0, 10, (80, 3))
        labels = (x[:, 0] % 2).long()
    with torch.no_grad():
        out = model(x).reshape(-1)
    with torch.inference_mode(case == "inference_mode"):
        session = user_session(model, x, labels)
    expected = nn.functional.binary_cross_entropy(out, labels.float())
    assert session.last_stats.loss == pytest.approx(float(expected), rel=1e-5)
    assert session.last_stats.accuracy == pytest.approx(float(((out > 0.5) == labels.bool()).float().mean()))


def test_float_class_ids_and_boolean_labels_of_a_classifier_are_classes():
    from viz3d.train.user_session import user_session

    x = torch.randn(40, 2)
    for y in (torch.arange(40.0) % 2, torch.arange(40) % 2 == 1):
        session = user_session(mlp(), x, y)
        no_accuracy = session.accuracy_note
        assert no_accuracy == "-" and session.last_stats.accuracy is not None
        assert session.probe.targets is None and session.probe.labels.tolist() == (torch.arange(40) % 2).tolist()


def test_a_regressions_column_of_targets_is_taken_and_a_nan_target_named():
    from viz3d.train.user_session import user_session

    x = torch.randn(40, 2)
    y = (x[:, 0] - 2 * x[:, 1])[:, None]  # (N, 1), as MSELoss wants it
    session = user_session(one_logit(), x, y)
    no_accuracy = session.accuracy_note
    assert no_accuracy == "n/a (regression)" and session.probe.targets.shape == (40,)
    y[7] = float("nan")
    y[9] = float("inf")
    assert refused(x, y) == (
        "labels: row 7 is NaN or Inf (2 of 40 rows): drop those rows or fill them "
        "(such a label has no colour, and one makes a whole loss NaN)"
    )
    assert refused(x, torch.randn(40, 3)).startswith(
        "labels: shape (40, 3) is not one label per input: pass shape (40,), e.g. y[:, 0]"
    )


def test_the_reason_is_drawn_where_the_accuracy_would_be(headless_live):
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = torch.randn(40, 2), torch.arange(40) % 3

    def train_step(step):
        return 0.25

    panel = headless_live(model, x, y, train_step, until=lambda panel: panel.last("loss 0.25"))
    # too long for one line: the reason starts its own, "accuracy" beside it, not parted from it
    assert panel.last("loss ") == "loss 0.25"
    assert (
        panel.last("accuracy ") == "accuracy n/a (output (N, 1) is not class logits: for a regression pass y.float())"
    )
    x, y = torch.randn(40, 2), (torch.arange(40) % 2).long()
    panel = headless_live(mlp(), x, y, train_step, until=lambda panel: panel.last("loss 0.25"))
    assert re.fullmatch(r"loss 0\.25    accuracy \d+\.\d%", panel.last("loss "))  # short enough for one line


# --- viz3d.picture and viz3d.video: the user's model, headless ----------------------------------------


def xor_data(rows: int = 400) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(rows, 2, generator=torch.Generator().manual_seed(0))
    return x, (x[:, 0] * x[:, 1] > 0).long()


def test_picture_renders_the_model_as_it_is_with_its_accuracy(tmp_path):
    from helpers import non_background_mask
    from PIL import Image

    from viz3d.errors import OutputPathError

    x, y = xor_data()
    model = mlp()
    out = viz3d.picture(model, x, y, tmp_path / "net.png", size=(640, 360), layer=0, title="My XOR net")
    image = np.asarray(Image.open(out).convert("RGB"))
    assert out == tmp_path / "net.png" and image.shape == (360, 640, 3)
    assert non_background_mask(image).mean() > 0.03
    with pytest.raises(OutputPathError, match=r"force=True"):  # never overwritten unasked
        viz3d.picture(model, x, y, out)
    bare = viz3d.picture(model, x, y, tmp_path / "bare.png", size=(640, 360), layer=0, panel=False)
    panel_corner = (slice(0, 120), slice(0, 200))
    assert non_background_mask(np.asarray(Image.open(bare).convert("RGB"))[panel_corner]).mean() < 0.2
    assert non_background_mask(image[panel_corner]).mean() > 0.5


def test_picture_options_are_checked_as_a_preset_view_is():
    x, y = xor_data(50)
    with pytest.raises(Viz3dError) as caught:
        viz3d.picture(mlp(), x, y, "never.png", colr_by="neuron")
    message = str(caught.value)
    assert message.startswith("viz3d.picture(): unknown option 'colr_by' (did you mean 'color_by'?): it takes ")
    assert "size, panel, force" in message and "[view] keys (azimuth," in message and "\n" not in message
    with pytest.raises(Viz3dError, match=r"viz3d.picture\(\): neuron_layer: unknown layer 'nine'"):
        viz3d.picture(mlp(), x, y, "never.png", color_by="neuron", neuron_layer="nine")
    # an API trial's picture(..., steps=5) was asked "did you mean 'stages'?"
    with pytest.raises(Viz3dError, match=r"viz3d.picture\(\): steps= is for viz3d.video, .* train it first"):
        viz3d.picture(mlp(), x, y, "never.png", steps=5)


@pytest.mark.parametrize(
    ("function", "options", "message"),
    [
        ("picture", {"color_by": "rainbow"}, "color_by: expected one of class, prediction, correct, neuron, found"),
        ("picture", {"layer": 9}, "layer: layer 9 is out of range: this model has layers 0 to 5"),
        ("video", {"tour": [{"time": 0}, {"time": 1, "layer": 9}]}, "tour[1]['layer']: layer 9 is out of range"),
        ("video", {"tour": [{"time": 0}, {"time": 1, "azimuth": "x"}]}, "tour[1]['azimuth']: expected a finite"),
        ("video", {"tour": [{"time": 0, "lyer": 2}]}, "tour[0]: unknown key 'lyer' (did you mean 'layer'?)"),
        (
            "video",
            {"tour": [{"time": 1}, {"time": 0}]},
            "tour: expected times in order (none before the last), found [1.0, 0.0]",
        ),
    ],
)
def test_view_and_tour_errors_name_the_options_as_python_passes_them(tmp_path, function, options, message):
    """They are checked as a preset's [view] and [tour] are, but a script has no [view] section and counts
    its keyframes from 0: "[tour.keyframes 2] layer" is tour[1]['layer'] there."""
    x, y = xor_data(50)
    out = tmp_path / f"never.{'mp4' if function == 'video' else 'png'}"
    with pytest.raises(Viz3dError) as caught:
        getattr(viz3d, function)(mlp(), x, y, out, size=(64, 64), **options)
    assert str(caught.value).startswith(f"viz3d.{function}(): {message}")
    assert not any(words in str(caught.value) for words in ("[view]", "[tour", "keyframe "))  # a preset's words
    assert list(tmp_path.iterdir()) == []


def test_video_trains_the_steps_asked_then_sweeps_to_the_output_layer(tmp_path, monkeypatch):
    import av

    from viz3d.app.state import ViewState

    x, y = xor_data()
    model = mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    steps = []
    train_step = full_batch_step(model, x, y, optimizer, steps)
    layers = []
    set_layer = ViewState.set_layer
    monkeypatch.setattr(ViewState, "set_layer", lambda self, layer: layers.append(layer) or set_layer(self, layer))
    out = viz3d.video(model, x, y, tmp_path / "net.mp4", train_step=train_step, steps=61, frames=8, size=(160, 96))
    with av.open(str(out)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 8 and frames[0].shape == (96, 160, 3)
    assert steps == list(range(61))  # the steps asked, over 3 frames (frame 0 shows the model as it was): no more
    assert layers[-1] == 5.0  # the last frame shows the output layer


@pytest.mark.parametrize(("steps", "expected"), [(0, 0), (None, 3)])
def test_video_with_steps_0_trains_nothing_and_without_steps_one_a_frame(tmp_path, steps, expected):
    """A trial: steps=0 had meant "one a frame", so a loop over (0, 100, 500) trained its first video."""
    x, y = xor_data()
    model = mlp()
    ran = []
    train_step = full_batch_step(model, x, y, torch.optim.Adam(model.parameters(), lr=0.05), ran)
    viz3d.video(model, x, y, f"{tmp_path}/net/", train_step=train_step, steps=steps, frames=8, size=(160, 96))
    assert len(ran) == expected
    assert len(list((tmp_path / "net").glob("*.png"))) == 8


def test_every_frame_of_a_video_shows_the_models_accuracy_then_and_the_same_on_every_run(tmp_path, monkeypatch):
    """A step reporting a bare loss had its accuracy measured by the clock (every 0.5 s), so frames showed a
    stale figure that changed with the frame size. Every frame now shows the scores on the drawn points in
    eval mode, as frame 0 does, checked against the model's own accuracy at each frame."""
    import viz3d.app.recorder as recorder

    status = recorder._status

    def shown_scores(size):
        x, y = xor_data()
        torch.manual_seed(0)
        model = mlp()
        train_step = full_batch_step(model, x, y, torch.optim.SGD(model.parameters(), lr=0.5))
        shown = []

        def recorded(session, playing):
            with torch.no_grad():
                expected = float((model(x).argmax(1) == y).float().mean())
            shown.append((session.step, session.last_stats.accuracy, expected))
            return status(session, playing)

        monkeypatch.setattr(recorder, "_status", recorded)
        viz3d.video(model, x, y, tmp_path / f"{size[0]}.mp4", train_step=train_step, steps=14, frames=10, size=size)
        return shown

    small, large = shown_scores((640, 360)), shown_scores((800, 450))  # both with room for the panel
    assert len({step for step, _, _ in small}) >= 4  # frames at several steps
    for step, accuracy, expected in small:
        assert accuracy == pytest.approx(expected), f"step {step}: shown {accuracy}, the model's {expected}"
    assert small == large


@pytest.mark.parametrize(
    ("returned", "shown"), [("hi", "'hi'"), (torch.ones(3), "tensor([1., 1., 1.])"), ([0.1], "[0.1]")]
)
def test_a_train_step_returning_something_other_than_a_loss_is_told_what_to_return(returned, shown):
    """It had said "your train_step raised ValueError: could not convert string to float", though the step
    raised nothing."""
    from viz3d.train.user_session import user_session

    x, y = xor_data(50)
    session = user_session(mlp(), x, y, train_step=lambda step: returned)
    with pytest.raises(Viz3dError) as caught:
        session.train_step()
    message = str(caught.value)
    assert message.startswith(f"your train_step returned {shown} at step 0: return the loss as a number"), message
    assert "\n" not in message


def test_class_names_as_labels_are_told_to_become_the_models_class_indices():
    """The hint had been .astype('float32'), which fails on class names."""
    x, _ = xor_data(50)
    with pytest.raises(Viz3dError) as caught:
        viz3d.picture(mlp(), x, np.array(["cat", "dog"] * 25), "never.png")
    assert "labels: an array of <U3 values (class names?), not numbers: pass each class's index" in str(caught.value)
    assert "classes.index(name)" in str(caught.value)


def test_a_meta_model_and_token_ids_past_its_table_are_one_line_each():
    """Both had been raw torch errors: "Cannot copy out of meta tensor" and "index out of range in self"."""
    x, y = xor_data(50)
    with torch.device("meta"):
        hollow = mlp()
    with pytest.raises(Viz3dError, match=r"^the model's weights are on the 'meta' device.*to_empty\(device='cpu'\)"):
        viz3d.picture(hollow, x, y, "never.png")
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    ids = torch.randint(0, 10, (50, 3), generator=torch.Generator().manual_seed(0))
    ids[7, 1] = 19
    message = r"^the model's Embedding '0' has ids 0 to 9 but is given id 19: map the inputs' ids into its table"
    with pytest.raises(Viz3dError, match=message):
        viz3d.picture(model, ids, y, "never.png")
    with pytest.raises(Viz3dError, match=message):
        viz3d.watch(model, ids).snapshot()

    class Pixels(nn.Module):  # integer inputs that never reach its embedding (a review's counter-example)
        def __init__(self):
            super().__init__()
            self.cls = nn.Embedding(10, 4)
            self.net = nn.Linear(12, 2)

        def forward(self, x):
            return self.net(x.float() / 255) + self.cls.weight[0, :2]

    pixels = torch.randint(0, 256, (50, 12), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    assert viz3d.watch(Pixels(), pixels, layers=["net"]).snapshot().layer_names == ["input", "net"]


def test_inputs_too_large_for_a_float32_covariance_still_get_their_grid(tmp_path):
    """Inputs around 1e19 overflowed the covariance of the input plane's PCA: linalg.eigh failed."""
    from PIL import Image

    x = torch.randn(100, 4, generator=torch.Generator().manual_seed(0)) * 1e19
    out = viz3d.picture(mlp4(), x, (x[:, 0] > 0).long(), tmp_path / "huge.png", size=(320, 180))
    assert Image.open(out).size == (320, 180)


def mlp4() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def test_a_video_backs_off_smoothly_as_a_morph_towards_a_larger_layer_begins(tmp_path):
    """An API trial: the camera framed both ends of a morph from its first frame, so the picture shrank in one
    frame (mean pixel change 4.4 from frame 0 to 1, while the layer had not yet moved). Framed on what is
    drawn, the change grows with the morph."""
    import av

    torch.manual_seed(0)
    x = torch.randn(500, 2)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.3], [0.0, 1.0]]))
    tour = [{"time": 0.0, "layer": 0}, {"time": 1.0, "layer": 1}]
    labels = (x[:, 0] > 0).long()
    out = viz3d.video(model, x, labels, tmp_path / "m.mp4", size=(640, 360), fps=30, duration=1, tour=tour)
    with av.open(str(out)) as container:
        frames = [frame.to_ndarray(format="rgb24").astype(int) for frame in container.decode(video=0)]
    changes = [float(np.abs(b - a).mean()) for a, b in zip(frames, frames[1:], strict=False)]
    assert max(changes[:3]) < 1.0, [round(c, 2) for c in changes[:6]]  # the morph has barely begun


def test_a_video_too_short_to_train_the_steps_asked_says_so(tmp_path):
    x, y = xor_data(50)
    with pytest.raises(Viz3dError) as caught:
        viz3d.video(mlp(), x, y, tmp_path / "net.mp4", train_step=lambda step: 0.1, steps=10, frames=1, size=(64, 64))
    message = str(caught.value)
    assert "steps=10 cannot be trained" in message and "pass frames=2 or more" in message, message
    trained = []
    viz3d.video(mlp(), x, y, tmp_path / "three.mp4", train_step=trained.append, steps=10, frames=3, size=(64, 64))
    assert trained == list(range(10))  # 3 frames: trained before frame 1
    with pytest.raises(Viz3dError) as caught:
        viz3d.video(
            mlp(),
            x,
            y,
            tmp_path / "tour.mp4",
            train_step=lambda step: 0.1,
            steps=10,
            frames=6,
            size=(64, 64),
            tour=[{"time": 0, "layer": 0, "training": False}, {"time": 1, "layer": 1}],
        )
    assert "keep training off after frame 0" in str(caught.value)


@pytest.mark.parametrize(
    ("function", "option", "hint"),
    [
        ("picture", {"forse": True}, "force"),
        ("picture", {"sizes": (640, 360)}, "size"),
        ("picture", {"label": None}, "labels"),
        ("video", {"frame": 3}, "frames"),
        ("video", {"train_stp": None}, "train_step"),
    ],
)
def test_a_typo_in_an_option_of_their_own_is_named_as_one(function, option, hint):
    x, y = xor_data(50)
    with pytest.raises(Viz3dError) as caught:
        getattr(viz3d, function)(mlp(), x, y, "never", **option)
    (typo,) = option
    assert str(caught.value).startswith(f"viz3d.{function}(): unknown option '{typo}' (did you mean '{hint}'?)")


@pytest.mark.parametrize(
    ("function", "options", "message"),
    [
        ("video", {"frames": 0}, "frames=0: pass a whole number of frames, above zero, e.g. frames=600"),
        ("video", {"fps": 0}, "fps=0: pass a whole number of frames a second, above zero, e.g. fps=30"),
        ("video", {"fps": 29.97}, "fps=29.97: pass a whole number of frames a second"),
        ("video", {"fps": 1000}, "fps=1000: pass at most 240 frames a second, e.g. fps=60"),
        ("video", {"duration": -1}, "duration=-1: pass seconds above zero and under a day, e.g. duration=10"),
        ("video", {"duration": 1e6}, "duration=1000000.0: pass seconds above zero and under a day"),
        ("video", {"duration": 2, "frames": 3}, "frames=3 and duration=2: pass one of them, not both"),
        ("video", {"size": (320, 8)}, "size=(320, 8): pass (width, height), each a whole number of pixels from 16"),
        ("picture", {"size": (0, 0)}, "size=(0, 0): pass (width, height), each a whole number of pixels from 16"),
        ("picture", {"size": 640}, "size=640: pass (width, height)"),
        ("video", {"tour": [0, 1]}, "tour[0]: expected a keyframe dict, got int: pass e.g. tour=[{'time': 0, "),
        ("video", {"tour": {"time": 0}}, "tour: expected a list of keyframe dicts, got dict"),
        ("video", {"steps": -5}, "steps=-5: pass a whole number of training steps, 0 or more, e.g. steps=500"),
        ("video", {"steps": 500}, "steps=500 needs a train_step to run: pass train_step=fn, where fn(step) trains"),
    ],
)
def test_their_own_options_are_checked_before_any_work(tmp_path, function, options, message):
    x, y = xor_data(50)
    with pytest.raises(Viz3dError) as caught:
        getattr(viz3d, function)(mlp(), x, y, tmp_path / f"never.{'mp4' if function == 'video' else 'png'}", **options)
    assert str(caught.value).startswith(f"viz3d.{function}(): {message}") and "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # not even a .partial file


@pytest.mark.parametrize("function", ["picture", "video"])
def test_the_output_file_passed_where_the_labels_go_is_named_as_such(tmp_path, function):
    x, _ = xor_data(50)
    out = tmp_path / "net.png"
    with pytest.raises(Viz3dError) as caught:
        getattr(viz3d, function)(mlp(), x, out)
    expected = f"viz3d.{function}(): labels: '{out}' looks like the output file: pass it as out='{out}' (the third"
    assert str(caught.value).startswith(expected)


def test_video_writes_pngs_into_an_existing_folder_given_as_a_path(tmp_path):
    from PIL import Image

    x, y = xor_data(50)
    folder = tmp_path / "frames"
    folder.mkdir()  # a Path drops a trailing /: an existing folder is a folder of PNGs all the same
    out = viz3d.video(mlp(), x, y, folder, frames=2, size=[64, 48])  # a list is a size too
    frames = sorted(out.iterdir())
    assert out == folder and len(frames) == 2 and all(frame.suffix == ".png" for frame in frames)
    assert np.asarray(Image.open(frames[0])).shape[:2] == (48, 64)


def test_video_raises_keyboard_interrupt_only_when_interrupted(tmp_path, monkeypatch):
    from viz3d.app import recorder
    from viz3d.app.recorder import RecordResult

    x, y = xor_data(50)
    kept = tmp_path / "net.mp4"
    monkeypatch.setattr(recorder, "record_session", lambda *_: RecordResult(path=kept, frames=3, interrupted=True))
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C: the frames are kept, and the script stops
        viz3d.video(mlp(), x, y, kept)
    monkeypatch.setattr(recorder, "record_session", lambda *_: RecordResult(path=None, frames=0, interrupted=False))
    with pytest.raises(Viz3dError, match=r"^viz3d.video\(\): no frame was recorded, so nothing was written$"):
        viz3d.video(mlp(), x, y, kept)


def test_a_model_shown_as_it_is_shows_its_scores_or_why_there_are_none(tmp_path, monkeypatch):
    """Not 'a fixed map: nothing to train', which is what the panel said of any model without train_step."""
    x, y = xor_data(100)
    panel = PanelText(monkeypatch)
    viz3d.picture(mlp(), x, y, tmp_path / "labelled.png", size=(640, 360))
    assert panel.last("not training:  loss ") and panel.last("a fixed map") is None
    assert re.search(r"accuracy \d+\.\d%$", panel.last("accuracy ") or panel.last("not training:  loss "))
    panel.lines.clear()
    viz3d.picture(mlp(), x, None, tmp_path / "unlabelled.png", size=(640, 360))
    scores = panel.last("not training:  loss ")
    assert scores.startswith("not training:  loss -")
    assert (panel.last("accuracy ") or scores).endswith("accuracy n/a (no labels)")
    panel.lines.clear()
    viz3d.video(mlp(), x, y, tmp_path / "still.mp4", frames=2, size=(640, 360))  # no train_step
    assert panel.last("not training:  loss ") and panel.last("a fixed map") is None
    assert re.search(r"accuracy \d+\.\d%$", panel.last("accuracy ") or panel.last("not training:  loss "))


def test_a_regressions_points_are_coloured_by_their_targets_with_the_scale_in_the_panel(tmp_path, monkeypatch):
    """Float labels are a regression's targets: viridis from low to high, not every point class 0."""
    from helpers import non_background_mask
    from PIL import Image

    x = torch.rand(600, 2, generator=torch.Generator().manual_seed(1)) * 2 - 1
    y = 3.0 * x[:, 0] + 1.0  # low on the left, high on the right
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    panel = PanelText(monkeypatch)
    top_down = {"layer": 0, "azimuth": -90.0, "elevation": 89.9, "show_grid": False, "show_axes": False}
    out = viz3d.picture(model, x, y, tmp_path / "regression.png", size=(640, 360), point_size=6.0, **top_down)
    lo, hi = np.percentile(y.numpy(), [2, 98])
    assert f"{lo:.3g}" in panel.lines and f"{hi:.3g}" in panel.lines  # the colour bar's two ends
    scene = np.asarray(Image.open(out).convert("RGB"))[:, 320:].astype(int)  # right of the panel
    columns = np.nonzero(non_background_mask(scene).any(axis=0))[0]
    left, right = columns[: len(columns) // 5], columns[-len(columns) // 5 :]
    lit_left, lit_right = non_background_mask(scene[:, left]), non_background_mask(scene[:, right])
    blue_minus_red = [
        scene[:, part][lit][:, 2].mean() - scene[:, part][lit][:, 0].mean()
        for part, lit in ((left, lit_left), (right, lit_right))
    ]
    assert blue_minus_red[0] > 25, "low targets should be viridis blue"
    assert blue_minus_red[1] < -60, "high targets should be viridis yellow"


def test_picture_and_live_share_one_process_in_either_order(tmp_path):
    """picture() left glfw on its Null platform, so live() after it opened no window; live() first made
    picture() fail, as OpenGL was set up for windows."""
    import subprocess
    import sys

    from conftest import has_xvfb

    if not has_xvfb():
        pytest.skip("needs xvfb-run")
    script = tmp_path / "both.py"
    script.write_text(
        "import sys, glfw, torch, viz3d\n"
        "from torch import nn\n"
        "x = torch.randn(100, 2); y = (x[:, 0] > 0).long()\n"
        "model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))\n"
        "def live():\n"
        "    import viz3d.render.context as context\n"
        "    opened = context.open_window\n"
        "    def check(*args, **kwargs):\n"
        "        window = opened(*args, **kwargs)\n"
        "        shown = glfw.get_window_attrib(window.window, glfw.VISIBLE)\n"
        "        print('x11 window', glfw.get_platform() == glfw.PLATFORM_X11, shown)\n"
        "        return window\n"
        "    context.open_window = check\n"
        "    viz3d.live(model, x, y, max_frames=3)\n"
        "def picture(name):\n"
        "    print(viz3d.picture(model, x, y, sys.argv[1] + name, size=(320, 180)))\n"
        "picture('/first.png'); live(); picture('/again.png')\n"
    )
    result = subprocess.run(
        ["xvfb-run", "-a", sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "x11 window True 1" in result.stdout  # a real, visible window after a picture
    assert (tmp_path / "first.png").exists() and (tmp_path / "again.png").exists()


def test_switches_are_true_or_false_and_train_step_a_function(tmp_path):
    """force="no" is truthy: it overwrote a file."""
    x, y = xor_data(50)
    existing = tmp_path / "mine.png"
    existing.write_bytes(b"the user's own")
    for switch in ({"force": "no"}, {"panel": 0}):
        with pytest.raises(Viz3dError, match=r"viz3d.picture\(\): (force='no'|panel=0): pass True or False"):
            viz3d.picture(mlp(), x, y, existing, **switch)
    assert existing.read_bytes() == b"the user's own"
    with pytest.raises(Viz3dError, match="train_step: a int, not a function"):
        viz3d.video(mlp(), x, y, tmp_path / "v.mp4", train_step=5, frames=2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_frame": 10}, "unknown option 'max_frame' (did you mean 'max_frames'?)"),
        ({"size": "960x540"}, "size='960x540': pass (width, height)"),
        ({"max_frames": "10"}, "max_frames='10': pass a whole number"),
    ],
)
def test_live_options_are_checked_before_any_window(no_window, options, message):
    """A typo was a bare TypeError; size="960x540" failed inside open_window."""
    x, y = xor_data(20)
    with pytest.raises(Viz3dError) as caught:
        viz3d.live(mlp(), x, y, **options)
    assert str(caught.value).startswith("viz3d.live(): ") and message in str(caught.value)


def test_targets_that_are_all_equal_get_one_swatch_not_a_scale(tmp_path, monkeypatch):
    panel = PanelText(monkeypatch)
    x = torch.randn(50, 2)
    viz3d.picture(one_logit(), x, torch.full((50,), 2.5), tmp_path / "flat.png", size=(640, 360))
    assert "all 2.5" in panel.lines and "2.5" not in panel.lines  # no "2.5 [bar] 2.5"


def test_a_one_wide_output_is_not_where_a_model_is_shown_first(tmp_path, monkeypatch):
    """A regression's output is a line: a trial's video trained for half its length showing only that."""
    from viz3d.app.state import ViewState

    layers = []
    set_layer = ViewState.set_layer
    monkeypatch.setattr(ViewState, "set_layer", lambda self, layer: layers.append(layer) or set_layer(self, layer))
    x = torch.randn(50, 2)
    viz3d.picture(one_logit(), x, x[:, 0] * 2.0, tmp_path / "first.png", size=(640, 360))
    assert layers[-1] == 2.0  # the tanh (width 8), not the output (layer 3, width 1)
    viz3d.picture(one_logit(), x, x[:, 0] * 2.0, tmp_path / "asked.png", size=(640, 360), layer="last")
    assert layers[-1] == 3.0  # asked for: shown
    viz3d.picture(mlp(), x, (x[:, 0] > 0).long(), tmp_path / "classes.png", size=(640, 360))
    assert layers[-1] == 5.0  # two logits: the output layer, as before


def test_labels_of_any_float_dtype_are_taken(tmp_path):
    """bfloat16 targets ended in numpy's 'unsupported ScalarType BFloat16'."""
    x = torch.randn(40, 2)
    for dtype in (torch.bfloat16, torch.float16, torch.float64):
        viz3d.picture(one_logit(), x, (x[:, 0] * 3).to(dtype), tmp_path / f"{dtype}.png", size=(640, 360))


def test_the_layer_shown_first_is_never_the_input_of_a_model_watched_at_its_output_only(tmp_path, monkeypatch):
    from viz3d.app.state import ViewState

    layers = []
    set_layer = ViewState.set_layer
    monkeypatch.setattr(ViewState, "set_layer", lambda self, layer: layers.append(layer) or set_layer(self, layer))
    x = torch.randn(50, 2)
    viz3d.picture(one_logit(), x, x[:, 0] * 2.0, tmp_path / "out.png", size=(640, 360), layers=["2"])
    assert layers[-1] == 1.0  # the output the user asked to watch, not the input (a review saw 0)


class SquareRoot(nn.Module):
    def forward(self, x):
        return x.abs().sqrt()


def test_an_arrow_whose_tip_is_not_finite_loses_its_label_not_the_picture(tmp_path):
    """The derivative of sqrt at 0 is infinite: labels placed on whole pixels raised on its NaN tip."""
    model = nn.Sequential(nn.Linear(2, 2), SquareRoot(), nn.Linear(2, 3))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
        model[0].bias.zero_()
    x = torch.randn(60, 2)
    options = {"arrow_points": torch.zeros(1, 2), "arrow_vectors": torch.ones(1, 2), "size": (640, 360)}
    assert viz3d.picture(model, x, None, tmp_path / "nan.png", layer=2, **options).is_file()


def test_a_regression_coloured_by_prediction_uses_the_targets_scale(tmp_path):
    """A point in its target's colour is predicted right: a perfect fit looks the same in both modes,
    a wrong one does not."""
    from PIL import Image

    from viz3d.colors import point_colors, value_colors, value_range
    from viz3d.train.user_session import user_session

    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(3))
    y = 3.0 * x[:, 0] + 1.0
    model = nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 1))
    with torch.no_grad():  # exactly y: (3 x0 + 1), through a 4-wide layer that keeps the plane
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]]))
        model[0].bias.zero_()
        model[1].weight.copy_(torch.tensor([[3.0, 0.0, 0.0, 0.0]]))
        model[1].bias.fill_(1.0)
    session = user_session(model, x, y)
    projection = session.capture()
    np.testing.assert_allclose(projection.predicted_values, y.numpy(), rtol=1e-5, atol=1e-5)
    targets = session.probe.targets
    colours = point_colors("prediction", session.probe.labels, targets=targets, predicted_values=-targets)
    np.testing.assert_allclose(colours, value_colors(-targets, value_range(targets)))  # the targets' scale

    def picture(name: str, color_by: str) -> np.ndarray:
        out = viz3d.picture(model, x, y, tmp_path / name, size=(640, 360), color_by=color_by, layer=1, panel=False)
        return np.asarray(Image.open(out).convert("RGB")).astype(int)

    assert np.abs(picture("fit-target.png", "class") - picture("fit-prediction.png", "prediction")).max() <= 2
    with torch.no_grad():
        model[1].weight.neg_()
        model[1].bias.neg_()  # now -y: every colour from the other end of the scale
    assert np.abs(picture("wrong-target.png", "class") - picture("wrong-prediction.png", "prediction")).max() > 100


def test_a_live_screenshot_keeps_the_arrows_labels_and_leaves_out_the_panel(headless_live, monkeypatch, tmp_path):
    """S saved the scene before ImGui drew, so the vectors written beside the arrows were missing from the
    file (a live-window trial, on jacobian); and with the panel hidden nothing said where it went."""
    import numpy as np
    from PIL import Image

    import viz3d.ui.controls as controls

    monkeypatch.chdir(tmp_path)
    shortcuts, pressed = controls.handle_shortcuts, []

    def press_s_once(state):
        shortcuts(state)
        if state.n_layers > 1:  # the first picture is in
            pressed.append(True)
        if len(pressed) == 20:  # and the panel has taken its place
            state.screenshot_requested = True

    monkeypatch.setattr(controls, "handle_shortcuts", press_s_once)
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    arrows = {"arrow_points": torch.zeros(1, 2), "arrow_vectors": torch.tensor([[1.0, 0.5]])}
    from viz3d.render.renderer import Offscreen

    with Offscreen((320, 240)).fbo:  # the stub window's "screen", which the loop reads back
        panel = headless_live(
            one_logit(), x, x[:, 0] * 2.0, until=lambda panel: panel.last("screenshot saved"), **arrows
        )
    saved = panel.last("screenshot saved to ").removeprefix("screenshot saved to ")
    image = np.asarray(Image.open(saved).convert("RGB")).astype(int)
    label_text = (np.abs(image - [255, 158, 191]).max(axis=-1) <= 60).sum()  # the labels' pink
    assert label_text > 10
    panel_corner = image[20:60, 20:120]  # the panel is there on screen (320x240: it covers the corner)
    assert (np.abs(panel_corner - [17, 19, 24]).max(axis=-1) <= 12).mean() > 0.9  # background, not the panel
    assert any(title.endswith(f"saved {saved}") for title in panel.titles)
    assert re.search(r"/viz3d-sequential-layer\d+(\.\d+)?-step\d+-\d{8}-\d{6}\.png$", saved)  # what it shows


def test_the_panels_speed_reaches_the_training_thread(headless_live, monkeypatch):
    """viz3d.live trains as fast as it goes until the panel's speed says otherwise."""
    import math

    import viz3d.ui.controls as controls
    from viz3d.train.thread import TrainingThread

    speeds, set_speed = [], TrainingThread.set_speed
    monkeypatch.setattr(TrainingThread, "set_speed", lambda self, speed: speeds.append(speed) or set_speed(self, speed))
    shortcuts, frames = controls.handle_shortcuts, []

    def slow_down_once(state):
        shortcuts(state)
        frames.append(state.train_speed)
        if len(frames) == 5:
            state.train_speed = 7.0  # as the slider sets it

    monkeypatch.setattr(controls, "handle_shortcuts", slow_down_once)
    x = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    headless_live(mlp(), x, (x[:, 0] > 0).long(), lambda step: 0.5, until=lambda panel: 7.0 in speeds[1:])
    assert math.isinf(frames[0]) and speeds[0] is None and speeds[-1] == 7.0  # unpaced, then 7 a second


def test_a_live_screenshot_draws_every_point_while_the_view_is_thinned(headless_live, monkeypatch, tmp_path):
    """The level of detail thinned the screenshot too, and only the panel, which a screenshot leaves out,
    said so (found by reading the code in a trial). Nor is it drawn without multisampling."""
    import viz3d.ui.controls as controls
    from viz3d.app.detail import DetailController
    from viz3d.render.renderer import Offscreen
    from viz3d.render.visuals import PointCloud

    monkeypatch.chdir(tmp_path)
    from viz3d.render.multisample import ResolvedScene

    def thinned(detail, *_frame):
        detail.stride, detail.multisample = 4, False
        return 4

    monkeypatch.setattr(DetailController, "update", thinned)
    strides, draw = [], PointCloud.draw
    monkeypatch.setattr(
        PointCloud, "draw", lambda self, *a, stride=1, **k: strides.append(stride) or draw(self, *a, stride=stride, **k)
    )
    sampled, begin = [], ResolvedScene.begin
    monkeypatch.setattr(
        ResolvedScene,
        "begin",
        lambda self, size, multisample: sampled.append(multisample) or begin(self, size, multisample),
    )
    shortcuts, frames = controls.handle_shortcuts, []

    def press_s_once(state):
        shortcuts(state)
        frames.append(True)
        if len(frames) == 10:
            state.screenshot_requested = True

    monkeypatch.setattr(controls, "handle_shortcuts", press_s_once)
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    with Offscreen((320, 240)).fbo:
        headless_live(one_logit(), x, x[:, 0] * 2.0, until=lambda panel: panel.last("screenshot saved"))
    assert strides.count(1) == 1 and strides.count(4) >= 5, strides
    assert sampled.count(True) == 1 and sampled.count(False) >= 5  # and at full quality: multisampled


def test_a_live_recording_without_the_panel_keeps_the_arrows_labels(headless_live, monkeypatch, tmp_path):
    """R without the panel read the frame back before ImGui drew, so the vectors written beside the
    arrows (part of the scene, as in `viz3d record --no-ui`) were missing from the video."""
    import numpy as np

    import viz3d.ui.controls as controls
    from viz3d.app.screen_capture import ScreenCapture
    from viz3d.render.renderer import Offscreen

    monkeypatch.chdir(tmp_path)
    shortcuts, frames, added = controls.handle_shortcuts, [], []

    def script(state):
        shortcuts(state)
        if state.n_layers > 1:  # the first picture is in
            frames.append(state)
        if len(frames) == 5:
            state.record_overlay, state.recording = False, True  # R, the panel left out of the video
        if len(frames) == 15:
            state.recording = False

    add = ScreenCapture.add  # what goes to the encoder, before H.264 blurs the small text's colour
    monkeypatch.setattr(ScreenCapture, "add", lambda self, pixels: added.append(pixels.copy()) or add(self, pixels))
    monkeypatch.setattr(controls, "handle_shortcuts", script)
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    arrows = {"arrow_points": torch.zeros(1, 2), "arrow_vectors": torch.tensor([[1.0, 0.5]])}
    with Offscreen((320, 240)).fbo:
        headless_live(one_logit(), x, x[:, 0] * 2.0, until=lambda panel: panel.last("recording saved"), **arrows)
    assert len(list((tmp_path / "recordings").glob("*.mp4"))) == 1
    last = added[-1].astype(int)
    label_text = (np.abs(last - [255, 158, 191]).max(axis=-1) <= 30).sum()  # the labels' pink, as on screen
    assert label_text > 10
    panel_corner = last[20:60, 20:120]  # the panel is on screen there (320x240: it covers the corner)
    assert (np.abs(panel_corner - [17, 19, 24]).max(axis=-1) <= 12).mean() > 0.9  # not in the video


def test_a_screenshot_while_recording_with_the_panel_leaves_the_video_and_the_view_as_they_were(
    headless_live, monkeypatch, tmp_path
):
    """The screenshot's frame (centred, no panel) went into a video recorded with the panel, one frame
    in a review's spy; and the view it was taken from must come back exactly."""
    import numpy as np

    import viz3d.ui.controls as controls
    from viz3d.app.screen_capture import ScreenCapture
    from viz3d.render.renderer import Offscreen

    monkeypatch.chdir(tmp_path)
    shortcuts, frames, views, added = controls.handle_shortcuts, [], [], []

    def script(state):
        shortcuts(state)
        if state.n_layers > 1:
            frames.append(state)
        if len(frames) == 10:
            state.recording = True  # R, with the panel in the video (the default)
        if len(frames) == 20:
            views.append((state.camera.frame_left, state.camera.frame_top, state.camera.distance))
            state.screenshot_requested = True
        if len(frames) == 21:
            views.append((state.camera.frame_left, state.camera.frame_top, state.camera.distance))
        if len(frames) == 25:
            state.recording = False

    add = ScreenCapture.add
    monkeypatch.setattr(controls, "handle_shortcuts", script)
    monkeypatch.setattr(ScreenCapture, "add", lambda self, pixels: added.append(pixels.copy()) or add(self, pixels))
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    with Offscreen((320, 240)).fbo:
        headless_live(one_logit(), x, x[:, 0] * 2.0, until=lambda panel: panel.last("recording saved"))
    panel_corner = [
        (np.abs(frame[20:60, 20:120].astype(int) - [17, 19, 24]).max(axis=-1) <= 12).mean() for frame in added
    ]
    assert len(added) >= 12 and max(panel_corner) < 0.5  # every frame in the video has the panel
    assert views[0] == views[1]  # the framing and distance from before the screenshot, restored


def test_a_model_undefined_off_the_data_keeps_its_predictions_and_tints_where_defined():
    """NaN in some grid and region rows had switched off the predictions (colour by prediction, correct /
    wrong) and every region tint of the capture; the region cells without a prediction stay untinted."""
    from viz3d.colors import region_colors
    from viz3d.train.user_session import user_session

    class Root(nn.Module):
        def forward(self, x):
            return torch.sqrt(x + 2.5)

    x = torch.rand(200, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1  # sqrt(x + 2.5) defined here
    x[:2] = torch.tensor([[-2.2, -2.2], [2.2, 2.2]])  # ... and its grid, with its margin, reaches past -2.5
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(2, 2), Root(), nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2))
        model[0].bias.zero_()
    projection = user_session(model, x, y).capture()
    assert projection.missing_layers and not projection.bad_layers
    with torch.no_grad():
        np.testing.assert_array_equal(projection.predictions, model(x).argmax(1).numpy())
    undefined = ~np.isfinite(projection.region_probs).all(axis=1)
    assert 0 < undefined.sum() < len(undefined)
    tints = region_colors(projection.region_probs)
    assert (tints[undefined, 3] == 0).all() and (tints[~undefined, 3] > 0).all()


def test_an_arrow_without_a_position_in_a_layer_marks_it_missing():
    from viz3d.project.arrows import with_arrows

    projection = projection_with_layers(2)
    rows = np.zeros((2, 2, 3), np.float32)
    rows[1, 1] = np.nan  # the second layer's arrow tip
    assert with_arrows(projection, rows).missing_layers == ["layer1"]


def projection_with_layers(n_layers: int):
    from helpers import projection_of

    return projection_of(np.zeros((n_layers, 4, 3), np.float32))
