"""Presets load into typed objects, and each mistake is one line naming file, key, expected and found."""

from __future__ import annotations

import pytest

from viz3d.errors import PresetError
from viz3d.presets import Preset, known_presets, load_preset

GOOD = """
schema_version = 1
title = "Mine"
description = "My own spirals."
[dataset]
kind = "spirals"
points = 200
[model]
hidden = [3, 3]
activation = "relu"
[optimizer]
lr = 0.01
"""


def write(tmp_path, text, name="mine.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_presets_load():
    assert "spirals" in known_presets()
    for name in known_presets():
        preset = load_preset(name)
        assert isinstance(preset, Preset)
        assert preset.description


def test_users_own_preset_file(tmp_path):
    preset = load_preset(str(write(tmp_path, GOOD)))
    assert preset.name == "mine"
    assert preset.model.hidden == (3, 3)
    assert preset.model.activation == "relu"
    assert preset.optimizer.lr == 0.01
    assert preset.optimizer.kind == "adam"  # defaults fill what the file leaves out
    assert isinstance(preset.view.distance, float)


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (
            lambda t: t.replace("points = 200", 'points = "many"'),
            ["[dataset] points", "expected an integer", "'many' (str)"],
        ),
        (lambda t: t.replace("hidden = [3, 3]", 'hidden = "wide"'), ["[model] hidden", "a list of integers"]),
        (lambda t: t.replace('kind = "spirals"', 'kind = "circles"'), ["[dataset] kind", "expected one of spirals"]),
        (lambda t: t.replace("lr = 0.01", "lr = -1"), ["[optimizer] lr", "positive"]),
        (lambda t: t.replace("lr = 0.01", "learning_rate = 0.01"), ["[optimizer] unknown key 'learning_rate'"]),
        (lambda t: t.replace("schema_version = 1", ""), ["schema_version", "found nothing"]),
        (lambda t: t.replace("schema_version = 1", "schema_version = 7"), ["schema_version: expected 1", "7"]),
        (lambda t: t.replace("[model]", "[model"), ["malformed TOML"]),
        (lambda t: "colour = 3\n" + t, ["unknown key 'colour'", "expected one of"]),
        (lambda t: t.replace("hidden = [3, 3]", "hidden = [3, 0]"), ["[model] hidden", "widths of 1 or more"]),
        (lambda t: t.replace("points = 200", "points = 200\nnoise = -1.0"), ["[dataset] noise", "zero or more"]),
        (lambda t: t.replace("lr = 0.01", "lr = 1e300"), ["[optimizer] lr", "at most 3.4e38", "1e+300"]),
        (
            lambda t: t + "[view]\npointsize = 3.0\n",
            ["[view] unknown key 'pointsize' (did you mean 'point_size'?): expected one of azimuth"],
        ),
        (
            lambda t: t + '[view]\ncolor_by = "neurons"\n',
            ["[view] color_by: expected one of class", "found 'neurons' (did you mean 'neuron'?)"],
        ),
        (lambda t: "titel = 'x'\n" + t, ["unknown key 'titel' (did you mean 'title'?)"]),
        # a trial: keys in the wrong table had been told a near name there ('regions' in [view]: show_regions)
        (lambda t: t + "[view]\nregions = 32\n", ["[view] unknown key 'regions' (it belongs in [probe])"]),
        (lambda t: "steps = 100\n" + t, ["unknown key 'steps' (it belongs in [training])"]),
        (lambda t: t.replace("lr = 0.01", "layer = 2"), ["(it belongs in [view] or [[tour.keyframes]])"]),
        (  # every point NaN, and the loss blamed the learning rate
            lambda t: t.replace("points = 200", "points = 200\nturns = 0"),
            ["[dataset] turns: expected a positive number, found 0"],
        ),
        (
            lambda t: t.replace('kind = "spirals"', 'kind = "map-samples"\nextent = 0.0\nmatrix = [[1.0, 0.0]]'),
            ["[dataset] extent: expected a positive number, found 0.0"],
        ),
        (
            lambda t: t + "[view]\ncolor_by = class\n",
            ['Invalid value (at line 14, column 12): text goes in double quotes, as in "class"'],
        ),
        (lambda t: t + "[view]\nshow_grid = True\n", ["TOML writes True in lower case, true"]),
        (lambda t: t.replace("lr = 0.01", "lr = NaN"), ["TOML writes NaN in lower case, nan"]),
        (
            lambda t: t + "[tour.keyframes]\ntime = 0.0\n",
            ["[tour.keyframes]: write each keyframe under [[tour.keyframes]], with double brackets"],
        ),
        (
            lambda t: t.replace("lr = 0.01", "lr = 0.01\nlr = 0.02"),
            ["key 'lr' in [optimizer] is set twice (at line 13, column 10): remove one of them"],
        ),
        (
            lambda t: t + "[model]\nseed = 1\n",
            ["table [model] appears twice (at line 13, column 7): remove one of them or merge their keys"],
        ),
        (lambda t: t + "[view]\nelevation = 120.0\n", ["[view] elevation: expected -90 to 90 degrees, found 120.0"]),
        (lambda t: t + "view = {layer = 1, layer = 2}\n", ["key 'layer' is set twice"]),
        (lambda t: t + "[view]\nlayer = 1\nlayer.x = 2\n", ["key 'layer' in [view] is set twice"]),
        (
            lambda t: t.replace("points = 200", "points = 200\nextent = [\n  [1.0],\n]\nnoise = 0.1\nnoise = 0.2"),
            ["key 'noise' in [dataset] is set twice"],  # not "in [1.0]", the array's row
        ),
        (
            lambda t: t + "[[tour.keyframes]]\ntime = -3.0\n",
            ["[tour.keyframes 1] time: expected 0 to 3600 seconds, found -3.0"],
        ),
        (
            lambda t: t.replace('activation = "relu"', 'activation = "ReLU"'),
            ["[model] activation: expected one of tanh", "found 'ReLU' (did you mean 'relu'?)"],
        ),
        (
            lambda t: t.replace("points = 200", "points = 200\nring = [0.5, 1.0]"),
            ['[dataset] ring: only kind disks reads it, and kind is spirals: set kind = "disks", or remove ring'],
        ),
        (  # a review: a regression that forgot its kind was told to remove its matrix, with no word of the kind
            lambda t: t.replace('kind = "spirals"', "matrix = [[2.0, 0.0]]"),
            ['matrix: only kind map-samples reads it, and kind is spirals (the default): set kind = "map-samples"'],
        ),
        (  # a trial: torch's "Overflow when unpacking long long", as a viz3d bug
            lambda t: t.replace("hidden = [3, 3]", "hidden = [3, 3]\nseed = 99999999999999999999"),
            ["[model] seed: expected 0 to 4294967295, found 99999999999999999999"],
        ),
        (  # a trial: GL_INVALID_VALUE while drawing
            lambda t: t + "[probe]\ngrid_lines = 100000\n",
            ["[probe] grid_lines: expected 1 to 1001 lines, found 100000"],
        ),
        (
            lambda t: t + "[probe]\ngrid_lines = 1001\ngrid_samples = 1000\n",
            ["[probe] grid_samples: 1001 lines of 1000 samples are 1,001,000 each way, more than the 1,000,000"],
        ),
        (lambda t: t + "[probe]\nregions = 5000\n", ["[probe] regions: expected 0 to 512 cells across, found 5000"]),
        (  # the trial's: accepted, and nothing tinted
            lambda t: t.replace('kind = "spirals"', 'kind = "digits"') + "[probe]\nregions = 20\n",
            ["[probe] regions: tints the input plane by predicted class, and digits's inputs are images"],
        ),
        (  # ignored without a word
            lambda t: t.replace("hidden = [3, 3]", 'kind = "linear"\nhidden = [3, 3]'),
            ['[model] hidden: only kind mlp reads it, and kind is linear: set kind = "mlp", or remove hidden'],
        ),
        (  # trained on one class: "loss 0, accuracy 100%"
            lambda t: t.replace('kind = "spirals"', 'kind = "plane"'),
            ["[model] trainable: dataset kind plane has no labels to learn", "set trainable = false"],
        ),
        (  # a trial's typo for 4.5: a postage stamp of a picture
            lambda t: t + "[view]\ndistance = 45.0\n",
            ["[view] distance: expected 0.1 to 30 (the layers fill [-1, 1]³; 30 draws them a few pixels wide)"],
        ),
        (lambda t: t + "[view]\npoint_size = 500.0\n", ["[view] point_size: expected 0.5 to 64 pixels, found 500.0"]),
    ],
    ids=[
        "type",
        "list",
        "choice",
        "positive",
        "unknown-key",
        "missing-version",
        "bad-version",
        "toml",
        "top-key",
        "zero-width",
        "negative",
        "float32-lr",
        "key-typo",
        "choice-typo",
        "top-key-typo",
        "key-in-another-table",
        "top-key-of-a-table",
        "key-of-two-tables",
        "no-turns",
        "no-extent",
        "unquoted-text",
        "python-boolean",
        "python-nan",
        "single-bracket-keyframes",
        "duplicate-key",
        "duplicate-table",
        "over-the-pole",
        "inline-twice",
        "dotted-twice",
        "twice-after-an-array",
        "negative-time",
        "choice-case",
        "other-kinds-key",
        "default-kind",
        "huge-seed",
        "grid-lines",
        "grid-samples",
        "regions",
        "regions-of-images",
        "other-model-kinds-key",
        "plane-trained",
        "far-camera",
        "huge-points",
    ],
)
def test_mistakes_name_the_file_key_and_what_was_found(tmp_path, edit, fragments):
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(PresetError) as caught:
        load_preset(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert "mine.toml" in message
    for fragment in fragments:
        assert fragment in message


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path):
    """Windows Notepad starts a UTF-8 file with a byte-order mark, which tomllib calls an invalid statement."""
    path = tmp_path / "notepad.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    assert load_preset(str(path)).optimizer.lr == 0.01


def test_unknown_name_and_missing_file(tmp_path, monkeypatch):
    (tmp_path / "notes.md").write_text("# notes")
    (tmp_path / "spirals").write_text("a file named as a shipped preset")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PresetError, match=r"^notes.md is not a preset: a preset is a .toml file"):
        load_preset("notes.md")  # it had said "unknown preset 'notes.md'"
    assert load_preset("spirals").name == "spirals"  # the shipped one: a bare name is not a path
    (tmp_path / "windows.toml").write_bytes(b'schema_version = 1\ntitle = "Caf\xe9"\n')  # cp1252
    with pytest.raises(PresetError, match=r"windows.toml: is not UTF-8 text: save it as UTF-8$"):
        load_preset("windows.toml")
    with pytest.raises(PresetError, match="unknown preset 'nope': known presets are .*spirals"):
        load_preset("nope")  # nothing close: no guess
    with pytest.raises(PresetError, match=r"unknown preset 'spiral' \(did you mean 'spirals'\?\): known presets are"):
        load_preset("spiral")
    with pytest.raises(PresetError, match="does not exist"):
        load_preset(str(tmp_path / "gone.toml"))
    with pytest.raises(PresetError, match="is a folder"):
        load_preset(str(tmp_path))


def test_what_a_preset_tells_its_audience_names_no_key_to_press():
    """Pictures and videos show look_for to people who cannot press anything ("Step through the layers
    with Left/Right" was in every spirals video); what to press is the live window's live_hint."""
    import re

    live_words = re.compile(r"\b(press|drag|click|try|left/right|picker)", re.IGNORECASE)
    for name in known_presets():
        preset = load_preset(name)
        assert not live_words.search(preset.look_for), (name, preset.look_for)
    assert "Left/Right" in load_preset("spirals").live_hint


def _as_toml(value) -> str:
    """A default as the README's reference writes it ("—" where a keyframe leaves it unset)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_as_toml(item) for item in value) + "]"
    return repr(value)


def test_the_readme_reference_lists_every_preset_key_with_the_codes_default():
    """Writing a preset, a speaker found the dataset kinds, batch_size, weight_decay, extent and matrix only
    in presets.py. The README's table has every key of every section, with the default the code has."""
    import dataclasses
    import re

    from conftest import REPO

    from viz3d.presets import SECTIONS, Keyframe

    reference = (REPO / "README.md").read_text().split("### Preset reference", 1)[1].split("\n## ", 1)[0]
    rows, section = {}, None
    for line in reference.splitlines():
        if header := re.match(r"\| \*\*`\[+([\w.]+)\]+`\*\*", line):
            section = header[1]
        elif (row := re.match(r"\| `(\w+)` \| `(.*?)` \|", line)) and section:
            rows[(section, row[1])] = row[2]
    expected = {
        (section, field.name): _as_toml(field.default)
        for section, spec in {**SECTIONS, "tour.keyframes": Keyframe}.items()
        for field in dataclasses.fields(spec)
    }
    assert rows == expected
