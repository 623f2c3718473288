"""The viz3d command: renders PNGs headless, and every error path ends in one line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO, has_xvfb, run_cli
from helpers import non_background_mask
from PIL import Image


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The spirals preset, briefly trained, rendered at its first and last layers."""
    folder = tmp_path_factory.mktemp("render")
    paths = {}
    for layer in ("0", "last"):
        out = folder / f"layer-{layer}.png"
        result = run_cli(
            "render", "spirals", "--out", str(out), "--size", "320x180", "--steps", "300", "--layer", layer
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(out)
        paths[layer] = out
    return paths


def test_render_writes_a_png_of_the_asked_size(rendered):
    image = np.asarray(Image.open(rendered["0"]).convert("RGB"))
    assert image.shape == (180, 320, 3)
    assert rendered["0"].stat().st_size > 1000
    assert non_background_mask(image).mean() > 0.05  # a picture, not a blank frame


def test_first_and_last_layer_frames_differ(rendered):
    first = np.asarray(Image.open(rendered["0"]).convert("RGB")).astype(int)
    last = np.asarray(Image.open(rendered["last"]).convert("RGB")).astype(int)
    scene = (slice(100, 180), slice(0, 320))  # below the overlay panel
    assert np.abs(first[scene] - last[scene]).mean() > 2


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "render", "presets"):
        assert command in result.stdout


def test_presets_lists_spirals_with_what_its_training_reaches():
    """README: a preset's `accuracy` text is listed by `viz3d presets` (a trial found it was not)."""
    result = run_cli("presets")
    assert result.returncode == 0
    spirals = next(line for line in result.stdout.splitlines() if line.startswith("spirals "))
    assert spirals.endswith("layer by layer.  [100% training accuracy]")


def test_presets_lists_a_folder_of_ones_own_and_says_which_do_not_load(tmp_path, capsys):
    """A lecturer's trial: `viz3d presets mine` was refused, so a preset's `accuracy` text was never shown."""
    import viz3d.cli

    (tmp_path / "xor.toml").write_text(
        'schema_version = 1\ndescription = "XOR, one hidden layer."\naccuracy = "100%"\n[dataset]\nkind = "xor"\n'
    )
    (tmp_path / "broken.toml").write_text("schema_version = 1\n[dataset]\nturns = 0\n")
    (tmp_path / "notes.md").write_text("not a preset")
    assert viz3d.cli.main(["presets", str(tmp_path)]) == 2  # the listing goes on, and the exit says one broke
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "broken  does not load: [dataset] turns: expected a positive number, found 0",
        "xor     XOR, one hidden layer.  [100%]",
    ]
    assert viz3d.cli.main(["presets", str(tmp_path / "xor.toml")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_layers_lists_the_positions_names_and_labels_that_layer_takes(capsys):
    """A trial had to guess that `layer = 4` of an MLP preset is its second Tanh; and a neuron_index error
    named "layer 9 ('8')". The list says which is which."""
    import viz3d.cli

    assert viz3d.cli.main(["layers", "mnist-3b1b"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("mnist-3b1b: 6 layers;")
    assert lines[1].split() == ["position", "name", "width", "label"]
    assert lines[2].split() == ["0", "input", "784", "input"]
    assert lines[5].split() == ["3", "2", "16", "Linear", "(module", "2)"]
    assert lines[7].split() == ["5", "4", "10", "Linear", "(module", "4)"]
    from viz3d.app.preset_view import resolve_layer

    names, labels = ["input", "0", "1", "2", "3", "4"], [" ".join(line.split()[3:]) for line in lines[2:]]
    assert resolve_layer("Sigmoid (module 3)", names, labels) == 4.0  # the label listed at position 4


def one_line_error(result, *fragments):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("viz3d: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_preset_lists_known_ones(tmp_path):
    result = run_cli("render", "spirls", "--out", str(tmp_path / "x.png"))
    one_line_error(result, "unknown preset 'spirls'", "spirals")
    assert result.returncode == 2


def test_unwritable_output_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # Root writes through permissions, so there the folder is one no one can create files in.
    folder = locked if os.geteuid() != 0 else Path("/proc")
    try:
        result = run_cli("render", "spirals", "--out", str(folder / "x.png"), "--steps", "0")
        one_line_error(result, "not writable")
        assert result.returncode == 2
    finally:
        locked.chmod(0o700)


def test_missing_output_folder(tmp_path):
    result = run_cli("render", "spirals", "--out", str(tmp_path / "nowhere" / "x.png"), "--steps", "0")
    one_line_error(result, "does not exist")
    assert result.returncode == 2


def test_existing_output_is_kept_without_force(tmp_path):
    out = tmp_path / "mine.png"
    out.write_bytes(b"the user's own file")
    result = run_cli("render", "spirals", "--out", str(out), "--steps", "0", "--size", "64x64")
    one_line_error(result, "already exists", "--force")
    assert out.read_bytes() == b"the user's own file"
    forced = run_cli("render", "spirals", "--out", str(out), "--steps", "0", "--size", "64x64", "--force")
    assert forced.returncode == 0, forced.stderr
    assert Image.open(out).size == (64, 64)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_bad_layer_and_size(tmp_path):
    result = run_cli("render", "spirals", "--out", str(tmp_path / "x.png"), "--steps", "0", "--layer", "99")
    one_line_error(result, "out of range")
    bad_size = run_cli("render", "spirals", "--out", str(tmp_path / "x.png"), "--size", "big")
    one_line_error(bad_size, "WIDTHxHEIGHT", "--help")
    assert bad_size.returncode == 2
    missing = run_cli("render", "spirals")
    one_line_error(missing, "--out")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["run", "spirals", "--frames", "0"], "argument --frames: expected 1 or more, found 0"),
        (["record", "spirals", "--out", "never.mp4", "--fps", "0"], "argument --fps: expected 1 or more, found 0"),
        (["record", "spirals", "--out", "never.mp4", "--frames", "0"], "argument --frames: expected 1 or more"),
        (["record", "spirals", "--out", "never.mp4", "--duration", "0"], "--duration 0: pass seconds above zero"),
        (["render", "spirals", "--out", "never.png", "--steps", "-1"], "argument --steps: expected zero or more"),
        (
            ["record", "spirals", "--out", "never.mp4", "--frames", "-3"],
            "argument --frames: expected 1 or more, found -3",
        ),
    ],
)
def test_counts_that_must_be_above_zero_are_refused_naming_the_flag(capsys, flags, message):
    """run --frames 0 opened a window and closed it at once: the flag's type took zero, as --steps must."""
    import viz3d.cli

    with pytest.raises(SystemExit) as exited:
        code = viz3d.cli.main(flags)
        raise SystemExit(code)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.startswith("viz3d: error: ") and message in err and err.count("\n") == 1


def test_preset_view_layer_out_of_range_names_file_and_key_before_training(tmp_path):
    preset = tmp_path / "far.toml"
    preset.write_text("schema_version = 1\n[training]\nsteps = 100000\n[view]\nlayer = 99\n")
    result = run_cli("render", str(preset), "--out", str(tmp_path / "x.png"), timeout=60)
    one_line_error(result, "far.toml: [view] layer: layer 99 is out of range")


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ('[view]\nlayer = "fc1"\n', "[view] layer: unknown layer 'fc1'"),
        ('[view]\ncolor_by = "neuron"\nneuron_layer = "nope"\n', "[view] neuron_layer: unknown layer 'nope'"),
        ('[[tour.keyframes]]\ntime = 0.0\nlayer = "tanh"\n', "[tour.keyframes 1] layer: unknown layer 'tanh'"),
    ],
    ids=["view-layer", "neuron-layer", "keyframe-layer"],
)
def test_train_checks_the_layers_a_preset_names_as_render_does(tmp_path, view, message):
    """A lecturer checking a preset file with `viz3d train` got exit 0 for layers that render then refused."""
    preset = tmp_path / "names.toml"
    preset.write_text("schema_version = 1\n[training]\nsteps = 100000\n" + view)
    result = run_cli("train", str(preset), timeout=60)
    one_line_error(result, f"names.toml: {message}")


def test_no_gl_context_says_what_to_install(tmp_path):
    """With no EGL vendor to load, the error names the Debian packages that bring one."""
    result = run_cli(
        "render",
        "spirals",
        "--out",
        str(tmp_path / "x.png"),
        "--steps",
        "0",
        env={"__EGL_VENDOR_LIBRARY_FILENAMES": str(tmp_path / "no-such-vendor.json")},
    )
    one_line_error(result, "apt-get install", "libegl1")
    assert result.returncode == 3
    assert not (tmp_path / "x.png").exists()


def test_a_shipped_presets_file_name_in_the_wrong_folder_names_the_preset(tmp_path):
    result = run_cli("render", "spirals.toml", "--out", str(tmp_path / "x.png"), cwd=tmp_path)
    one_line_error(result, "preset file spirals.toml does not exist", "name the shipped preset: spirals")


def test_run_without_display_points_to_render():
    result = run_cli("run", "spirals")
    one_line_error(result, "no display", "viz3d render")


@pytest.mark.skipif(not has_xvfb(), reason="xvfb-run is not installed")
def test_live_window_runs_under_xvfb():
    """The real window: opens, trains, draws 90 frames and closes cleanly."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("PYOPENGL_PLATFORM", "EGL_PLATFORM")}
    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x720x24",
            sys.executable,
            "-m",
            "viz3d.cli",
            "run",
            "spirals",
            "--frames",
            "90",
            "--size",
            "640x360",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_device_option_is_checked():
    import torch

    result = run_cli("train", "spirals", "--steps", "1", "--device", "tpu")
    one_line_error(result, "--device tpu", "not a torch device")
    if not torch.cuda.is_available():
        result = run_cli("train", "spirals", "--steps", "1", "--device", "cuda")
        one_line_error(result, "--device cuda", "--device cpu")
    if not torch.backends.mps.is_available():  # a device torch names but cannot use here: it had been a "bug"
        result = run_cli("train", "spirals", "--steps", "1", "--device", "mps")
        one_line_error(result, "--device mps: this torch cannot put tensors there", "use --device cpu or cuda")
    result = run_cli("record", "spirals", "--out", "never.mp4", "--fps", "1000")
    assert result.returncode == 2 and "argument --fps: expected 1 to 240, found 1000" in result.stderr
    result = run_cli("train", "spirals", "--steps", "1", "--seed", "99999999999999999999")
    assert result.returncode == 2 and "expected 0 to 4294967295, found 99999999999999999999" in result.stderr


def test_a_picture_too_small_for_the_panel_is_drawn_without_it_and_says_so(tmp_path):
    out = tmp_path / "small.png"
    result = run_cli("render", "spirals", "--out", str(out), "--steps", "0", "--size", "320x180")
    assert result.returncode == 0 and "320x180 has no room for the panel" in result.stderr
    image = np.asarray(Image.open(out).convert("RGB"))
    assert (image[10:60, 10:150].max(axis=-1) > 200).sum() < 20  # no panel text in its corner
    assert non_background_mask(image).mean() > 0.03  # but the scene is there


def test_a_phone_portrait_picture_has_room_for_the_panel():
    """A trial's 540x960 was refused the panel by a rule written for landscape (640 wide at least)."""
    from viz3d.app.still import overlay_fits

    assert overlay_fits((540, 960)) and overlay_fits((360, 640)) and overlay_fits((640, 360))
    assert not overlay_fits((359, 640)) and not overlay_fits((320, 180)) and not overlay_fits((600, 600))


def test_presets_lists_names_in_one_column_and_stops_quietly_into_head():
    names = [line.split()[0] for line in run_cli("presets").stdout.splitlines()]
    descriptions_start = {line.index(line.split()[1]) for line in run_cli("presets").stdout.splitlines()}
    assert "change-of-basis-learned" in names and len(descriptions_start) == 1  # one column, even for the longest
    piped = subprocess.run(
        f"{sys.executable} -m viz3d.cli presets | head -1", shell=True, capture_output=True, text=True, check=True
    )
    assert piped.stderr == "" and piped.stdout.count("\n") == 1


def test_points_below_three_get_one_message():
    """Two points reached the PCA, which cannot place them on three axes: a raw IndexError."""
    from viz3d.capture.probe import MIN_ROWS
    from viz3d.presets import MIN_POINTS

    assert MIN_POINTS == MIN_ROWS == 3  # presets keeps its own copy, to load without torch
    for value in ("0", "-5", "2"):
        result = run_cli("render", "spirals", "--out", "x.png", "--points", value)
        assert result.returncode == 2 and f"expected 3 points or more, found {value}" in result.stderr


@pytest.mark.skipif(not has_xvfb(), reason="xvfb-run is not installed")
@pytest.mark.parametrize(("stop_signal", "status"), [("INT", 130), ("TERM", 143)], ids=["ctrl-c", "kill"])
def test_ctrl_c_closes_the_live_window_cleanly(stop_signal, status):
    """Ctrl-C in the terminal ends the window between frames: exit 130, no traceback from a GL call. A kill
    (SIGTERM) does the same, with the status a shell gives a process a kill ended (143)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("PYOPENGL_PLATFORM", "EGL_PLATFORM")}
    script = (
        f"timeout -k 5 60 {sys.executable} -m viz3d.cli run spirals --size 640x360 & pid=$!; "  # never left behind
        f"sleep 8; kill -{stop_signal} $pid; wait $pid; echo exit=$?"
    )
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "sh", "-c", script]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert f"exit={status}" in result.stdout, result.stderr
    assert "viz3d: interrupted" in result.stderr and "Traceback" not in result.stderr


def raising(error_from):
    """A COMMANDS entry that fails the way ``error_from`` does."""

    def command(args):
        error_from()

    return command


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (lambda: torch.nn.Linear(2, 8)(torch.zeros(4, 3)), "torch/nn/modules/linear.py"),
        (lambda: int("twelve"), "test_cli.py"),
        (lambda: {}["missing"], "test_cli.py"),
        (lambda: None.shape, "test_cli.py"),
    ],
    ids=["inside torch", "inside our code", "a KeyError", "an AttributeError"],
)
def test_an_unforeseen_error_is_one_line_naming_where_it_was_raised(monkeypatch, capsys, failure, expected):
    import viz3d.cli

    monkeypatch.delenv("VIZ3D_DEBUG", raising=False)
    monkeypatch.setitem(viz3d.cli.COMMANDS, "presets", raising(failure))
    assert viz3d.cli.main(["presets"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("viz3d: error: ")
    assert "VIZ3D_DEBUG=1" in err and "[model], [dataset] and [probe]" in err
    where = err.split(" at ", 1)[1].split(":", 1)[0]  # the file the error was raised in, as a reader finds it
    assert expected in where, err


def test_a_diverging_run_exits_2_from_every_command(monkeypatch, capsys):
    """train and render exited 1 where record exited 2: a loss that blew up is the user's to fix (a lower
    learning rate), as any bad input is."""
    import viz3d.cli

    def diverge():
        raise FloatingPointError("loss became inf at step 1: lower the learning rate or check the data")

    monkeypatch.setitem(viz3d.cli.COMMANDS, "presets", raising(diverge))
    assert viz3d.cli.main(["presets"]) == 2
    assert capsys.readouterr().err.startswith("viz3d: error: training diverged: loss became inf at step 1")


def test_version_is_printed(capsys):
    from importlib.metadata import version

    import viz3d.cli

    with pytest.raises(SystemExit) as exited:
        viz3d.cli.main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"viz3d {version('viz3d')}"


def test_running_out_of_memory_says_to_draw_less(monkeypatch, capsys):
    import viz3d.cli

    def out_of_memory():
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore detail")

    monkeypatch.setitem(viz3d.cli.COMMANDS, "presets", raising(out_of_memory))
    assert viz3d.cli.main(["presets"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "out of memory" in err and "fewer --points" in err and "Tried to allocate 2.00 GiB" in err
    from viz3d.errors import unexpected_error_line

    assert unexpected_error_line(MemoryError()).startswith("out of memory: draw fewer")  # no "(())"
    assert ".. " not in unexpected_error_line(ValueError("ends with a full stop."))


def test_seed_draws_other_data_and_weights_in_every_preset_command(capsys):
    import json

    from viz3d.cli import build_parser, main

    def loss(*seed):
        assert main(["train", "spirals", "--steps", "3", *seed]) == 0
        return json.loads(capsys.readouterr().out)["loss"]

    assert loss("--seed", "7") == loss("--seed", "7") != loss()
    for command, *options in (["run"], ["render", "--out", "x.png"], ["record", "--out", "x.mp4"], ["train"]):
        assert build_parser().parse_args([command, "spirals", *options, "--seed", "3"]).seed == 3


def test_steps_asked_of_a_fixed_map_are_noted_by_every_command(tmp_path):
    """A trial's `viz3d train change-of-basis --steps 100` printed step 0 without a word (record said so)."""
    expected = "viz3d: note: change-of-basis is a fixed map, with nothing to train: --steps 100 changes nothing"
    result = run_cli("train", "change-of-basis", "--steps", "100")
    assert result.returncode == 0 and expected in result.stderr and '"step": 0' in result.stdout
    result = run_cli("render", "change-of-basis", "--steps", "100", "--out", str(tmp_path / "c.png"), "--size", "96x64")
    assert result.returncode == 0 and expected in result.stderr


def test_a_layer_is_found_in_any_case_and_as_typed_and_a_typo_gets_a_guess():
    """A trial: --layer Last was unknown, "W.x (module 0)" (the panel writes W·x) too, and typos got no guess."""
    from viz3d.app.preset_view import resolve_layer
    from viz3d.errors import Viz3dError

    names = ["input", "0:Wx", "0", "1", "2"]
    labels = ["input", "W·x (module 0)", "W·x + b (module 0)", "Tanh (module 1)", "Linear (module 2)"]
    assert resolve_layer("Last", names, labels) == 4.0
    assert resolve_layer("W.x (module 0)", names, labels) == 1.0
    assert resolve_layer("w.x + b (MODULE 0)", names, labels) == 2.0
    with pytest.raises(Viz3dError, match=r"^unknown layer 'tanh \(modul 1\)' \(did you mean 'Tanh \(module 1\)'\?\)"):
        resolve_layer("tanh (modul 1)", names, labels)
