"""The activation engine on many kinds of model, checked against independent references."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from helpers import full_batch_step
from sklearn.decomposition import PCA
from torch import nn

import viz3d
from viz3d.capture.probe import make_probe
from viz3d.errors import Viz3dError
from viz3d.project.align import procrustes_rotation
from viz3d.project.pca import principal_components
from viz3d.train.history import WeightHistory, state_nbytes
from viz3d.train.session import TrainingSession


def principal_angles_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    return np.degrees(np.arccos(np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1, 1)))


# --- PCA against scikit-learn ---------------------------------------------------------------------------


@pytest.mark.parametrize("randomized", [False, True], ids=["exact", "randomized"])
def test_pca_matches_sklearn_variance_and_subspace(randomized):
    rng = np.random.default_rng(1)
    spectrum = np.r_[np.linspace(10, 3, 10), np.full(190, 0.3)]  # ten strong directions in 200-D
    rotation, _ = np.linalg.qr(rng.normal(size=(200, 200)))
    data = (rng.normal(size=(3000, 200)) * spectrum) @ rotation.T + 5.0
    ours = principal_components(torch.from_numpy(data).float(), k=10, randomized=randomized)
    reference = PCA(n_components=10, svd_solver="full").fit(data)
    np.testing.assert_allclose(ours.explained_variance_ratio.numpy(), reference.explained_variance_ratio_, rtol=2e-3)
    angles = principal_angles_deg(ours.components.numpy(), reference.components_.T)
    assert angles.max() < 0.5


def test_randomized_is_used_only_for_wide_layers_and_agrees_with_exact():
    rng = np.random.default_rng(2)
    spectrum = np.r_[np.linspace(12, 4, 10), np.full(1190, 0.3)]  # like real activations: a few strong directions
    data = torch.from_numpy((rng.normal(size=(900, 1200)) * spectrum) @ np.linalg.qr(rng.normal(size=(1200, 1200)))[0])
    auto = principal_components(data.float(), k=10)  # 1200 > COVARIANCE_MAX_DIM: randomized on the data
    exact = principal_components(data.float(), k=10, randomized=False)
    np.testing.assert_allclose(auto.explained_variance_ratio, exact.explained_variance_ratio, rtol=2e-2)
    assert principal_angles_deg(auto.components[:, :3].numpy(), exact.components[:, :3].numpy()).max() < 3


@pytest.mark.parametrize("width", [300, 1100], ids=["covariance", "data"])
def test_randomized_ratios_are_the_variance_along_the_axes_drawn(width):
    """On noise with a flat spectrum the randomized components are some rotation of near-equal ones; a
    trial saw PC1 at 0.00331 where sklearn's is 0.00322. Each ratio is now the share of the variance along
    the component found, measured here by projecting the data onto it."""
    data = torch.randn(2000, width, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    pcs = principal_components(data, k=5, randomized=True)
    centred = (data - data.mean(dim=0)).float()
    along = (centred @ pcs.components).square().sum(dim=0) / centred.square().sum()
    np.testing.assert_allclose(pcs.explained_variance_ratio.numpy(), along.numpy(), rtol=1e-4)
    largest = PCA(n_components=1, svd_solver="full").fit(data.numpy()).explained_variance_ratio_[0]
    assert pcs.explained_variance_ratio[0] <= largest * (1 + 1e-4)  # never more than the true top component


def test_randomized_pca_is_repeatable_and_leaves_the_global_rng_alone(monkeypatch):
    def reseeds_other_devices(*_args):
        raise AssertionError("a CPU PCA reseeded another device's random generator")

    monkeypatch.setattr(torch.cuda, "manual_seed_all", reseeds_other_devices)  # what torch.manual_seed calls
    monkeypatch.setattr(torch.mps, "manual_seed", reseeds_other_devices)
    spectrum = torch.cat([torch.linspace(8, 3, 6), torch.linspace(1, 0.1, 294)])  # a few strong directions
    data = torch.randn(2000, 300, generator=torch.Generator().manual_seed(3)) * spectrum  # 300 > EXACT_MAX_DIM
    wide = torch.randn(300, 1100, generator=torch.Generator().manual_seed(4))  # the randomized-on-data path
    torch.default_generator.manual_seed(123)
    expected_next = torch.rand(3)
    torch.default_generator.manual_seed(123)
    first = principal_components(data, k=5)
    principal_components(wide, k=5)
    assert torch.equal(torch.rand(3), expected_next)  # training's random stream is not consumed
    second = principal_components(data, k=5)
    assert torch.equal(first.components, second.components)
    exact = principal_components(data, k=5, randomized=False)
    assert principal_angles_deg(first.components[:, :3].numpy(), exact.components[:, :3].numpy()).max() < 0.5


# --- capture on many model shapes ------------------------------------------------------------------


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 10))

    def forward(self, x):
        return self.head(self.features(x))


class ResidualMLP(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.inp = nn.Linear(5, width)
        self.norm = nn.LayerNorm(width)
        self.ff = nn.Sequential(nn.Linear(width, width), nn.GELU())
        self.out = nn.Linear(width, 3)

    def forward(self, x):
        h = self.inp(x)
        h = h + self.ff(self.norm(h))
        return self.out(h)


@dataclass
class Output:
    logits: torch.Tensor
    hidden: torch.Tensor


class TupleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 6)
        self.split = SplitHead()

    def forward(self, x):
        return self.split(torch.tanh(self.body(x)))


class SplitHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 2)

    def forward(self, h):
        return Output(logits=self.a(h), hidden=h), "extra"


def test_small_cnn_conv_maps_are_flattened():
    tracker = viz3d.watch(SmallCNN(), torch.randn(40, 1, 8, 8))
    snap = tracker.snapshot()
    assert snap.layer_names == ["input", "features.0", "features.1", "features.2", "head.0", "head.1"]
    assert snap.activations["features.0"].shape == (40, 4 * 8 * 8)
    assert snap.activations["features.2"].shape == (40, 4 * 4 * 4)
    proj = viz3d.project(snap)
    assert proj.positions.shape == (6, 40, 3)
    assert np.isfinite(proj.positions).all()


def test_residual_mlp_with_layernorm_and_gelu_in_execution_order():
    snap = viz3d.watch(ResidualMLP(), torch.randn(50, 5)).snapshot()
    assert snap.layer_names == ["input", "inp", "norm", "ff.0", "ff.1", "out"]
    assert snap.layer_kinds[2:5] == ["LayerNorm", "Linear", "GELU"]
    proj = viz3d.project(snap)
    assert proj.explained_variance_ratio.shape == (6, 10)
    assert proj.widths == [5, 16, 16, 16, 16, 3]


def test_tuple_and_dataclass_outputs_use_the_first_tensor_or_a_key():
    model = TupleModel()
    snap = viz3d.watch(model, torch.randn(30, 4)).snapshot()
    assert snap.activations["split.a"].shape == (30, 2)
    assert "split" not in snap.layer_names  # its child ran, so the container is not a stage
    chosen = viz3d.watch(model, torch.randn(30, 4), layers=["split"], output_key=0).snapshot()
    assert chosen.activations["split"].shape == (30, 2)  # output[0] is the dataclass: its first tensor


def test_transformer_encoder_stack_uses_a_token_per_sequence():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
    model = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    tokens = torch.randn(24, 7, 16)
    snap = viz3d.watch(model, tokens).snapshot()
    assert snap.activations["input"].shape == (24, 16)  # the last token
    assert all(rows.shape[0] == 24 for rows in snap.activations.values())
    assert any(name.startswith("layers.1") for name in snap.layer_names)
    by_layer = viz3d.watch(model, tokens, layers=["layers.*"], token="mean").snapshot()
    assert by_layer.layer_names == ["input", "layers.0", "layers.1"]
    np.testing.assert_allclose(by_layer.activations["input"], tokens.mean(dim=1), rtol=1e-6)
    proj = viz3d.project(by_layer)
    assert np.isfinite(proj.positions).all()


def test_selection_by_type_glob_and_wrapper_prefix_and_repeated_calls():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.Tanh()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            return self.act(self.lin(self.act(x)))

    class Wrapper(nn.Module):  # what DataParallel looks like from outside: everything under "module."
        def __init__(self, inner):
            super().__init__()
            self.module = inner

        def forward(self, x):
            return self.module(x)

    x = torch.randn(10, 3)
    assert viz3d.watch(Twice(), x).snapshot().layer_names == ["input", "act", "lin", "act#2"]
    wrapped = Wrapper(Twice())
    assert viz3d.watch(wrapped, x).snapshot().layer_names == ["input", "act", "lin", "act#2"]
    assert viz3d.watch(wrapped, x, layers=[nn.Linear]).snapshot().layer_names == ["input", "lin"]
    assert viz3d.watch(wrapped, x, layers=["l*"]).snapshot().layer_names == ["input", "lin"]


def test_output_key_leaves_a_layer_without_that_key_watched_by_its_first_tensor():
    """A trial's output_key="logits" (the model's dict output) dropped its nn.MultiheadAttention layer,
    whose (out, weights) tuple has no such key, without a word."""

    class Attending(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Linear(4, 8)
            self.att = nn.MultiheadAttention(8, 2, batch_first=True)
            self.head = nn.Linear(8, 3)

        def forward(self, x):
            h = self.emb(x)[:, None, :]
            h, _ = self.att(h, h, h)
            return {"features": h[:, 0], "logits": self.head(h[:, 0])}

    model = Attending().eval()
    x = torch.randn(30, 4)
    snapshot = viz3d.watch(model, x, output_key="logits").snapshot()
    assert snapshot.layer_names == ["input", "emb", "att", "head"]
    with torch.no_grad():
        h = model.emb(x)[:, None, :]
        torch.testing.assert_close(snapshot.activations["att"], model.att(h, h, h)[0][:, 0])


def test_a_compiled_model_keeps_its_layer_names():
    """torch.compile wraps the model as '_orig_mod': a trial's layers=["0", "2"] matched nothing."""
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    compiled = torch.compile(model, backend="eager")  # eager: no code generated, so the test stays fast
    x = torch.randn(20, 2)
    assert viz3d.watch(compiled, x).snapshot().layer_names == ["input", "0", "1", "2"]
    snapshot = viz3d.watch(compiled, x, layers=["0", "2"]).snapshot()
    assert snapshot.layer_names == ["input", "0", "2"]
    torch.testing.assert_close(snapshot.activations["2"], model(x).detach())


def test_stages_split_linear_into_wx_then_bias_then_activation():
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2))
    x = torch.randn(8, 2)
    snap = viz3d.watch(model, x, stages=True).snapshot()
    assert snap.layer_names == ["input", "0:Wx", "0", "1", "2"]  # the last Linear has no activation after it
    w, b = model[0].weight.detach(), model[0].bias.detach()
    torch.testing.assert_close(snap.activations["0:Wx"], x @ w.T)
    torch.testing.assert_close(snap.activations["0"], x @ w.T + b)
    torch.testing.assert_close(snap.activations["1"], torch.tanh(x @ w.T + b))
    assert snap.labels()[1] == "W·x (module 0)"  # not "0:Wx · W·x": a bare 0 reads as a position
    assert snap.labels()[2] == "W·x + b (module 0)"  # not "Linear (module 0)", which reads as the whole layer
    named = nn.Sequential(OrderedDict(fc1=nn.Linear(2, 2), act=nn.Tanh()))
    labels = viz3d.watch(named, x, stages=True).snapshot().labels()
    assert labels[1:3] == ["fc1 · W·x", "fc1 · W·x + b"]  # a trial read "fc1:Wx · W·x": the stage said twice


def test_the_bias_stage_moves_the_cloud_by_the_bias_even_through_pca():
    """Through its own PCA the +b stage of a wide layer was drawn exactly as W·x: centring removes a shift.
    It now takes W·x's map, so every point moves by the projected bias, in W·x's axes and scale."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    with torch.no_grad():
        model[0].bias.copy_(torch.linspace(-1.0, 1.0, 16))
    projection = viz3d.project(viz3d.watch(model, torch.randn(300, 2), stages=True).snapshot())
    wx, plus_b = projection.layer_names.index("0:Wx"), projection.layer_names.index("0")
    shift = projection.positions[plus_b] - projection.positions[wx]
    expected = model[0].bias.detach().numpy() @ projection.maps[wx].matrix
    np.testing.assert_allclose(shift, np.broadcast_to(expected, shift.shape), atol=1e-5)
    assert np.linalg.norm(expected) > 0.1  # a shift to see
    np.testing.assert_allclose(projection.maps[plus_b].matrix, projection.maps[wx].matrix)


def test_the_two_stages_of_a_linear_share_their_axes():
    """The +b stage drew through W·x's map but reported (and let the overlay pick) axes of its own."""
    from viz3d.project.projection import stage_partner

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    snapshot = viz3d.watch(model, torch.randn(100, 2), stages=True).snapshot()
    projection = viz3d.project(snapshot, axes={"0:Wx": (3, 4, 5)})
    assert projection.axes[1] == projection.axes[2] == (3, 4, 5)  # "0:Wx", then "0" (its +b)
    names = projection.layer_names
    assert (stage_partner("0", names), stage_partner("0:Wx", names), stage_partner("1", names)) == ("0:Wx", "0", None)


@pytest.mark.parametrize("token", [None, "mean", 2])
def test_stages_of_a_linear_applied_along_a_sequence(token):
    """W·x is the output minus the bias before the rows are taken: with token=None a (N, T, D) output is
    flattened to T·D columns, and subtracting the D-wide bias from those crashed."""
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
    tracker = viz3d.watch(model, torch.randn(5, 7, 4), token=token, stages=True)
    acts = tracker.snapshot().activations
    bias = model[0].bias.detach().repeat(7 if token is None else 1)  # flattened: the bias once per position
    assert acts["0:Wx"].shape == acts["0"].shape == ((5, 21) if token is None else (5, 3))
    torch.testing.assert_close(acts["0:Wx"], acts["0"] - bias)
    assert np.isfinite(viz3d.project(tracker.snapshot()).positions).all()


# --- bad input -------------------------------------------------------------------------------------


def test_wrong_probe_shape_names_the_expected_shape():
    tracker = viz3d.watch(nn.Sequential(nn.Linear(2, 4), nn.Tanh()), torch.randn(5, 3))
    with pytest.raises(Viz3dError) as caught:
        tracker.snapshot()
    message = str(caught.value)
    assert "shape (5, 3)" in message and "expects (N, 2)" in message
    assert "\n" not in message


class RaisesInForward(nn.Module):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.message = message

    def forward(self, x):
        raise RuntimeError(self.message)


@pytest.mark.parametrize(
    "message",
    [
        "CUDA out of memory. Tried to allocate 2.00 GiB; set max_split_size_mb to avoid fragmentation",
        "my model takes normalised inputs only",
    ],
)
def test_an_error_in_the_forward_that_is_not_about_the_inputs_is_raised_as_it_is(message):
    """It was reworded as "the probe inputs have shape (5, 2) but the model expects (N, 2): reshape the
    inputs", which contradicts itself, and hid an out-of-memory error from the CLI's advice for it."""
    with pytest.raises(RuntimeError) as caught:
        viz3d.watch(RaisesInForward(message), torch.randn(5, 2)).snapshot()
    assert str(caught.value) == message and not isinstance(caught.value, Viz3dError)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(128, 10)), "mat1 and mat2 shapes cannot be multiplied"),
        (nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2).double()), "mat1 and mat2 must have the same dtype"),
    ],
    ids=["shape", "dtype"],
)
def test_a_mismatch_between_the_models_own_layers_is_not_blamed_on_the_inputs(model, message):
    """The first layers ran on the inputs; a later one does not fit the one before it. That is the model's
    to fix: "the probe inputs have shape (5, 2) but the model expects (N, 2): reshape the inputs" said
    the opposite."""
    with pytest.raises(RuntimeError, match=message) as caught:
        viz3d.watch(model, torch.randn(5, 2)).snapshot()
    assert not isinstance(caught.value, Viz3dError)


@pytest.mark.parametrize(
    ("model", "inputs", "message"),
    [
        (nn.Sequential(nn.BatchNorm1d(2), nn.Linear(2, 3)), torch.randn(5, 3), "shape (5, 3)"),
        (nn.Sequential(nn.MaxPool2d(4), nn.Flatten()), torch.randn(5, 1, 2, 2), "shape (5, 1, 2, 2)"),
        (nn.Sequential(nn.Unflatten(1, (3, 3)), nn.Flatten()), torch.randn(5, 8), "shape (5, 8)"),
        (nn.Sequential(nn.BatchNorm1d(2)), torch.ones(5, 2, dtype=torch.long), "dtype torch.int64"),
    ],
    ids=["batchnorm-width", "pool-size", "unflatten", "batchnorm-long"],
)
def test_inputs_the_first_layer_cannot_take_are_named_in_one_line(model, inputs, message):
    with pytest.raises(Viz3dError) as caught:
        viz3d.watch(model, inputs).snapshot()
    assert str(caught.value).startswith(f"the probe inputs have {message}") and "\n" not in str(caught.value)


def test_float_inputs_to_an_embedding_are_told_to_be_integer_ids():
    tracker = viz3d.watch(nn.Sequential(nn.Embedding(10, 3), nn.Flatten()), torch.rand(5, 2))
    with pytest.raises(Viz3dError, match=r"dtype torch.float32 but the model looks them up as indices .* x.long\(\)"):
        tracker.snapshot()


def test_model_with_nothing_to_watch_lists_its_modules():
    with pytest.raises(
        Viz3dError, match="no layer to watch: nothing matches \\['conv'\\]; the model's modules are: 0, 1"
    ):
        viz3d.watch(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), torch.randn(3, 2), layers=["conv"])


def test_nan_layer_is_marked_and_skipped_not_fatal():
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Linear(8, 8))
    with torch.no_grad():
        model[2].bias[0] = float("nan")
    proj = viz3d.project(viz3d.watch(model, torch.randn(20, 2)).snapshot())
    assert proj.bad_layers == ["2", "3"]
    assert np.isfinite(proj.positions).all()
    np.testing.assert_array_equal(proj.positions[3], proj.positions[2])  # bad layers hold the last good picture


def test_nan_off_the_data_leaves_gaps_and_the_layer_drawn_from_its_data():
    """A model undefined off the data (sqrt of a negative) has NaN in some grid rows: the layer is still
    fitted on its data rows, exactly as without those rows (checked against scikit-learn), and listed as
    having missing rows; only NaN in a data row makes a layer bad."""
    from sklearn.decomposition import PCA

    class Root(nn.Module):
        def forward(self, x):
            return torch.sqrt(x + 1.0)

    gen = torch.Generator().manual_seed(0)
    data = torch.rand(60, 5, generator=gen)  # sqrt(x + 1) is defined on the data ...
    off = -3.0 * torch.ones(4, 5)  # ... but not on these rows, which stand for the grid
    model = nn.Sequential(Root(), nn.Linear(5, 5))
    proj = viz3d.project(viz3d.watch(model, torch.cat([data, off])).snapshot(), fit_rows=slice(0, 60))
    assert proj.bad_layers == [] and proj.missing_layers == ["0", "1"]
    assert np.isnan(proj.positions[1, 60:]).all() and np.isfinite(proj.positions[1, :60]).all()
    ratios = PCA(3).fit(torch.sqrt(data + 1.0).numpy()).explained_variance_ratio_
    np.testing.assert_allclose(proj.explained_variance_ratio[1, :3], ratios, rtol=1e-4)
    with torch.no_grad():
        alone = viz3d.project(viz3d.watch(model, data).snapshot())
    np.testing.assert_allclose(proj.positions[:, :60], alone.positions, atol=1e-5)


def test_huge_but_finite_narrow_layer_is_drawn_not_marked_bad():
    model = nn.Sequential(nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight.fill_(1e37)  # every value finite, but their sum overflows float32
    proj = viz3d.project(viz3d.watch(model, torch.rand(50, 2) + 1).snapshot())
    assert proj.bad_layers == []


def test_a_layer_too_large_for_its_covariance_is_marked_bad_not_fatal():
    """A diverging model: every value finite, but the covariance overflows and the eigensolver fails."""
    model = nn.Sequential(nn.Linear(2, 16), nn.Linear(16, 16))
    with torch.no_grad():
        model[1].weight.normal_(0, 1e30, generator=torch.Generator().manual_seed(0))
    proj = viz3d.project(viz3d.watch(model, torch.randn(50, 2, generator=torch.Generator().manual_seed(1))).snapshot())
    assert proj.bad_layers == ["1"]
    assert np.isfinite(proj.positions).all()


# --- projection: linear maps, axes, stability ------------------------------------------------------


def test_axes_for_a_layer_the_snapshot_lacks_is_an_error_naming_its_layers():
    """A trial's axes={"nope": (1, 2, 3)} drew the default axes without a word."""
    snap = viz3d.watch(ResidualMLP(), torch.randn(60, 5)).snapshot()
    with pytest.raises(Viz3dError) as caught:
        viz3d.project(snap, axes={"nope": (1, 2, 3), "norm": (0, 1, 2)})
    expected = f"axes: no layer named 'nope': the snapshot's layers are {snap.layer_names[0]}, "
    assert str(caught.value).startswith(expected)


def test_layer_maps_reproduce_positions_and_axes_can_be_picked():
    model = ResidualMLP()
    snap = viz3d.watch(model, torch.randn(60, 5)).snapshot()
    proj = viz3d.project(snap, axes={"norm": (3, 0, 5)})
    for index, name in enumerate(proj.layer_names):
        mapped = proj.maps[index].apply(snap.activations[name].numpy())
        np.testing.assert_allclose(mapped, proj.positions[index], atol=1e-4)
    assert proj.axes[2] == (3, 0, 5)
    # With no neighbour to align to, the x axis of "norm" is PC4 itself (up to sign and scale).
    alone = viz3d.project(
        viz3d.Snapshot(0, ["norm"], ["LayerNorm"], {"norm": snap.activations["norm"]}), axes=(3, 0, 5)
    )
    reference = PCA(n_components=6).fit(snap.activations["norm"].numpy()).transform(snap.activations["norm"].numpy())
    assert abs(np.corrcoef(alone.positions[0, :, 0], reference[:, 3])[0, 1]) > 0.999


def test_an_axis_past_the_components_that_few_rows_have_takes_the_last():
    """Three rows of a 10-wide layer have three components; axes=(0, 1, 5) raised an IndexError (the
    index was clamped to the width, not to the components there are). As past the width, the last is
    taken, and the projection reports the axes it drew."""
    snapshot = viz3d.watch(nn.Sequential(nn.Linear(2, 10), nn.Tanh()), torch.randn(3, 2)).snapshot()
    projection = viz3d.project(snapshot, axes=(0, 1, 5))
    assert projection.axes[1:] == [(0, 1, 2), (0, 1, 2)] and np.isfinite(projection.positions).all()


def test_axes_past_a_layers_components_never_repeat_one():
    """(4, 5, 9) in a 6-wide layer had become (4, 5, 5): a flat picture, the very thing a repeated axis
    is refused for. One past the components takes the last one not already shown."""
    snapshot = viz3d.watch(nn.Sequential(nn.Linear(4, 6), nn.Tanh()), torch.randn(200, 4)).snapshot()
    projection = viz3d.project(snapshot, axes=(4, 5, 9))
    assert projection.axes[1:] == [(4, 5, 3), (4, 5, 3)]
    assert viz3d.project(snapshot, axes=(9, 0, 8)).axes[1] == (5, 0, 4)


def test_layers_that_give_every_input_the_same_output_are_named():
    """A net of dead ReLUs drew one dot with nothing said; the projection names such layers (the panel
    then says why), and a healthy layer is not among them."""
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    inputs = torch.randn(300, 2)
    assert viz3d.project(viz3d.watch(model, inputs).snapshot()).collapsed_layers == []
    with torch.no_grad():
        model[0].bias.fill_(-100.0)  # every ReLU dead: the ReLU and what follows give one output
    projection = viz3d.project(viz3d.watch(model, inputs).snapshot())
    assert projection.collapsed_layers == ["1", "2"]
    assert np.ptp(projection.positions[2], axis=0).max() == 0.0 and np.ptp(projection.positions[1], axis=0).max() > 0.01


def test_only_layers_whose_activations_are_one_row_count_as_one_output():
    """Judged in display units, a healthy layer beside one 1e7 times larger (shared_scale) and a width-1
    layer far from zero were called collapsed. It is judged on the activations, to rounding."""
    generator = torch.Generator().manual_seed(0)
    layers = {
        "healthy": torch.randn(200, 5, generator=generator),
        "huge": 1e7 * torch.randn(200, 5, generator=generator),
        "offset": 1000.0 + 1e-3 * torch.randn(200, 1, generator=generator),
        "dead": torch.zeros(200, 4),
        "saturated": torch.ones(200, 2),
    }
    snapshot = viz3d.Snapshot(0, list(layers), ["Linear"] * len(layers), layers)
    for shared_scale in (False, True):
        projection = viz3d.project(snapshot, shared_scale=shared_scale)
        assert projection.collapsed_layers == ["dead", "saturated"]


def test_input_cache_never_hands_a_new_batch_the_old_batchs_positions():
    model = nn.Sequential(nn.Linear(8, 4))
    cache: dict = {}
    for step in range(20):  # fresh same-shaped inputs: the allocator may put them at a freed address
        inputs = torch.randn(200, 8)
        proj = viz3d.project(viz3d.watch(model, inputs).snapshot(step), input_cache=cache)
        np.testing.assert_allclose(proj.maps[0].apply(inputs.numpy()), proj.positions[0], atol=1e-4)
        del inputs, proj


def test_tiny_weight_perturbation_moves_the_picture_only_slightly():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4))
    x = torch.randn(400, 10)
    before = viz3d.project(viz3d.watch(model, x).snapshot())
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1e-3 * torch.randn_like(p))
    after = viz3d.project(viz3d.watch(model, x).snapshot(), previous=before)
    for layer in range(len(before.layer_names)):
        for axis in range(3):
            corr = np.corrcoef(before.positions[layer, :, axis], after.positions[layer, :, axis])[0, 1]
            assert corr > 0.99, f"layer {before.layer_names[layer]} axis {axis}: correlation {corr:.4f}"


def test_alignment_undoes_a_sign_flip_of_the_basis():
    rng = np.random.default_rng(4)
    acts = torch.from_numpy(rng.normal(size=(300, 8)) * np.arange(8, 0, -1)).float()
    snap = viz3d.Snapshot(0, ["h"], ["Linear"], {"h": acts})
    first = viz3d.project(snap)
    mirrored = viz3d.Snapshot(1, ["h"], ["Linear"], {"h": -acts})  # the same cloud, basis signs flipped
    second = viz3d.project(mirrored, previous=first)
    np.testing.assert_allclose(second.positions, first.positions, atol=1e-4)


def test_a_flat_target_leaves_no_sign_to_rounding():
    """A 4-wide layer after a 2-wide one (drawn with z = 0) in a still: the SVD picked z's sign by rounding,
    mirroring the picture between neighbouring steps. The source's own axes decide a direction left free."""
    torch.manual_seed(0)
    source = torch.randn(200, 3) * torch.tensor([3.0, 2.0, 1.0])
    flat = source @ torch.linalg.qr(torch.randn(3, 3))[0] * torch.tensor([1.0, 1.0, 0.0])
    rotations = []
    for _ in range(20):
        noisy = flat + 1e-8 * torch.randn_like(flat) * torch.tensor([0.0, 0.0, 1.0])
        rotations.append(procrustes_rotation(source, noisy))
        assert float(torch.det(rotations[-1])) > 0 and float(rotations[-1][2, 2]) > 0
    for rotation in rotations[1:]:  # the same rotation whatever the rounding
        torch.testing.assert_close(rotation, rotations[0], atol=1e-5, rtol=0)
    full = source @ torch.diag(torch.tensor([1.0, -1.0, -1.0]))  # a target that decides: followed as before
    torch.testing.assert_close(procrustes_rotation(source, full), torch.diag(torch.tensor([1.0, -1.0, -1.0])))


RELU4_PRESET = """schema_version = 1
[dataset]
kind = "disks"
points = 600
inner_radius = 0.3
ring = [0.6, 1.0]
seed = 3
[model]
hidden = [4, 4, 3]
activation = "relu"
seed = 1
[optimizer]
kind = "sgd"
lr = 0.1
"""


def test_one_more_step_does_not_mirror_a_wide_layer_drawn_after_a_flat_one(tmp_path):
    """A lecturer's trial: `render --steps 780` and `--steps 781` of this preset drew its 4-wide ReLU layers
    mirrored (z's sign picked by rounding: the layer before is 2-wide). A still has no earlier picture, so
    each step is projected afresh here; every wide layer's axes must keep their directions."""
    from viz3d.presets import load_preset
    from viz3d.train.session import session_from_preset

    path = tmp_path / "relu4.toml"
    path.write_text(RELU4_PRESET)
    session = session_from_preset(load_preset(str(path)))
    maps = []
    for steps in (780, 1):
        session.train(steps)
        snapshot = session.tracker.snapshot(session.step)
        projection = session.projector.project(snapshot, remember=False)
        maps.append([m.matrix / np.linalg.norm(m.matrix, axis=0, keepdims=True).clip(1e-30) for m in projection.maps])
    # the wide layers with a third direction to draw (the first Linear is an image of the plane: its third
    # component is rounding, drawn at z of about 1e-8 either way)
    ratios = projection.explained_variance_ratio
    wide = [index for index, width in enumerate(snapshot.widths) if width > 3 and ratios[index][2] > 1e-3]
    assert len(wide) == 3
    for index in wide:
        alike = np.sum(maps[0][index] * maps[1][index], axis=0)  # each drawn axis's cosine with its own a step on
        assert alike.min() > 0.99, f"layer {snapshot.layer_names[index]}: {np.round(alike, 2)}"


def test_frozen_basis_keeps_the_maps():
    from viz3d.project.projector import Projector

    model = nn.Sequential(nn.Linear(6, 12), nn.Tanh())
    x = torch.randn(100, 6)
    projector = Projector()
    first = projector.project(viz3d.watch(model, x).snapshot())
    projector.freeze(first)
    with torch.no_grad():
        model[0].weight.mul_(1.5)
    later = projector.project(viz3d.watch(model, x).snapshot(step=5))
    for a, b in zip(first.maps, later.maps, strict=True):
        np.testing.assert_array_equal(a.matrix, b.matrix)


# --- pushforward -----------------------------------------------------------------------------------


def test_pushforward_matches_jacrev_at_every_layer():
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4), nn.GELU(), nn.Linear(4, 2))
    points, vectors = torch.randn(16, 3), torch.randn(16, 3)
    tangents = viz3d.pushforward(model, points, vectors, stages=True)
    for end in range(1, len(model) + 1):
        prefix = model[:end]
        jacobians = torch.func.vmap(torch.func.jacrev(prefix))(points)  # (N, D_out, D_in)
        expected = torch.einsum("noi,ni->no", jacobians, vectors)
        torch.testing.assert_close(tangents[str(end - 1)], expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(tangents["input"], vectors)
    torch.testing.assert_close(tangents["0:Wx"], tangents["0"])  # the bias moves nothing


def test_arrows_project_with_each_layers_linear_map():
    model = nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 2))
    x = torch.randn(50, 2)
    points, vectors = torch.tensor([[0.3, -0.2]]), torch.tensor([[0.1, 0.05]])
    probe = make_probe(x, torch.zeros(50, dtype=torch.long), 3, 4, 0.1, points, vectors)
    session = TrainingSession(model, probe, lambda step: None)
    proj = session.capture()
    arrows = proj.positions[:, probe.n_data + probe.n_grid :]
    assert arrows.shape == (4, 2, 3)
    tangents = viz3d.pushforward(model, points, vectors)
    for index, name in enumerate(proj.layer_names):
        np.testing.assert_allclose(
            arrows[index, 1] - arrows[index, 0], proj.maps[index].push(tangents[name].numpy())[0], atol=1e-5
        )


# --- history ---------------------------------------------------------------------------------------


def test_history_thinning_keeps_memory_under_budget_and_the_newest():
    model = nn.Linear(100, 100)  # 40,400 bytes of float32 per checkpoint
    per_checkpoint = state_nbytes(model.state_dict())
    history = WeightHistory(budget_bytes=20 * per_checkpoint)
    for step in range(0, 1000, 10):
        history.record(step, model)
        assert history.nbytes <= 20 * per_checkpoint
    steps = history.steps
    assert steps[-1] == 990 and steps[0] == 0
    gaps = np.diff(steps[:-1])
    assert len(set(gaps)) == 1  # evenly spread, apart from the newest
    assert 10 <= len(steps) <= 20


def test_any_stored_step_can_be_shown_again():
    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    x, y = torch.randn(64, 2), torch.randint(0, 2, (64,))
    train_step = full_batch_step(model, x, y, torch.optim.SGD(model.parameters(), lr=0.5))

    session = TrainingSession(model, make_probe(x, y, 3, 4, 0.1), train_step)
    at_zero = session.capture()
    session.train(20)
    session.capture()
    again = session.capture_at(0)
    # Narrow layers are their own coordinates: identical. The PCA layer is re-aligned to the picture shown
    # last (step 20), so it matches up to an orthogonal transform within its axes.
    for index, width in enumerate(again.widths):
        ours, then = again.positions[index], at_zero.positions[index]
        if width > 3:
            rotation = procrustes_rotation(torch.from_numpy(ours), torch.from_numpy(then)).numpy()
            ours = ours @ rotation
        np.testing.assert_allclose(ours, then, atol=0.02 * np.abs(then).max())
    assert session.capture_at(0) is again  # cached
    assert session.history.steps == [0, 20]


def test_glob_star_stays_within_one_name_part():
    from viz3d.capture.tracker import glob_pattern

    assert glob_pattern("layers.*").match("layers.0")
    assert not glob_pattern("layers.*").match("layers.0.linear1")
    assert glob_pattern("**.fc2").match("blocks.3.mlp.fc2")
    assert glob_pattern("block?").match("block1") and not glob_pattern("block?").match("block.")


@pytest.mark.parametrize(
    ("axes", "expected"),
    [
        ((0, 1), "axes: (0, 1) is not three component indices: pass e.g. (0, 1, 2) for x, y, z"),
        ((0, 1, 2, 3), "axes: (0, 1, 2, 3) is not three component indices"),
        ((0.5, 1, 2), "axes: (0.5, 1, 2) is not three component indices"),
        ((-1, 0, 1), "axes: (-1, 0, 1) has a negative index: components count from 0, the largest first"),
        ({"0": (0, 1)}, "axes['0']: (0, 1) is not three component indices"),
        ((0, 0, 1), "axes: (0, 0, 1) repeats a component: pick three different ones"),  # drew a flat picture
        ((0, 1, 12), "axes: (0, 1, 12) reaches past the top 10 components"),  # no variance known: noise
    ],
)
def test_project_refuses_axes_that_are_not_three_components(axes, expected):
    """project() returned (L, N, 2) or (L, N, 4) positions for two or four axes, and took negative ones."""
    snapshot = viz3d.watch(nn.Sequential(nn.Linear(8, 16), nn.Tanh()), torch.randn(30, 8)).snapshot()
    with pytest.raises(Viz3dError) as caught:
        viz3d.project(snapshot, axes=axes)
    assert str(caught.value).startswith(expected)


class TimeMajor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn, self.head = nn.LSTM(8, 16), nn.Linear(16, 3)

    def forward(self, x):
        out, _ = self.rnn(x.transpose(0, 1))
        return self.head(out[-1])


def test_a_named_layer_without_one_row_per_input_is_refused_not_left_out():
    """A time-major LSTM named in layers=[...] was dropped without a word (its output is (T, N, D))."""
    x = torch.randn(40, 5, 8)
    with pytest.raises(Viz3dError) as caught:
        viz3d.watch(TimeMajor(), x, layers=["rnn", "head"]).snapshot()
    assert str(caught.value) == (
        "layer 'rnn': its output (5, 40, 16) puts time first (an RNN without batch_first=True): make it "
        "batch_first to see it"
    )
    assert viz3d.watch(TimeMajor(), x, layers=["head", nn.LSTM]).snapshot().layer_names == ["input", "head"]
    with pytest.raises(Viz3dError, match=r"^layer 'rnn': its output \(5, 40, 16\) puts time first"):  # DataParallel too
        viz3d.watch(nn.DataParallel(TimeMajor()), x, layers=["rnn", "head"]).snapshot()


class RowsReshaped(nn.Module):
    """Two modules that see the rows other than one per input: pairs of values as rows, and rows transposed."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs, self.across, self.head = nn.Linear(2, 8), nn.Linear(40, 3), nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pairs = self.pairs(x.reshape(-1, 2)).reshape(len(x), -1)  # (2N, 8) inside
        self.across(x.T)  # (4, 3): 4 features as rows, the 40 inputs as columns
        return self.head(pairs)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ("pairs", "its output (80, 8) is not one row for each of the 40 inputs: watch the layers around it"),
        ("across", "its output (4, 3) is not one row for each of the 40 inputs: watch the layers around it"),
    ],
)
def test_a_layer_whose_rows_are_not_the_inputs_is_described_as_such_not_as_an_rnn(layer, message, capsys):
    """A trial: a Linear on reshaped rows, named in layers=[...], was told it was a time-major RNN."""
    x = torch.randn(40, 4)
    with pytest.raises(Viz3dError, match=re.escape(f"layer {layer!r}: {message}")):
        viz3d.watch(RowsReshaped(), x, layers=[layer, "head"]).snapshot()
    assert viz3d.watch(RowsReshaped(), x).snapshot().layer_names == ["input", "head"]
    assert "not watched" not in capsys.readouterr().err  # a review: it never saw a row per input to lose


def test_a_time_major_rnn_is_left_out_even_where_the_time_steps_number_the_inputs(capsys):
    """With 5 inputs of 5 time steps the shape check passed, and the LSTM's (T, N, H) output was read
    as one row per input: each row a time step of the last input (a trial's finite differences)."""
    for rows in (5, 40):
        snapshot = viz3d.watch(TimeMajor(), torch.randn(rows, 5, 8)).snapshot()
        assert snapshot.layer_names == ["input", "head"]
    picture_rows = torch.randn(60, 5, 8)  # a picture forwards the data, then the data and the probe's rows
    viz3d.watch(TimeMajor(), picture_rows).snapshot()
    assert capsys.readouterr().err.count("viz3d: note: layer 'rnn' is not watched") == 3  # three models


def test_a_time_major_module_left_out_of_the_default_layers_is_named_once(capsys):
    """By default it vanished from the picture without a word (a trial's GRU classifier)."""
    tracker = viz3d.watch(TimeMajor(), torch.randn(40, 5, 8))
    assert [tracker.snapshot().layer_names for _ in range(2)] == [["input", "head"]] * 2
    assert capsys.readouterr().err == (
        "viz3d: note: layer 'rnn' is not watched: its output (5, 40, 16) puts time first "
        "(an RNN without batch_first=True): make it batch_first to see it\n"
    )
