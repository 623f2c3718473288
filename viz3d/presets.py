"""Presets: TOML demo definitions in ``presets/`` turned into validated, typed dataclasses.

A preset names its dataset, model, optimizer, training rhythm, probe, view and tour (keyframes for
recordings). Every mistake is reported in one line naming the file, the key, what was expected and
what was found, e.g.::

    presets/mine.toml: [model] hidden: expected a list of integers, found "wide" (str)
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viz3d.errors import PresetError
from viz3d.resources import preset_dir
from viz3d.toml_problems import toml_problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DatasetSpec:
    kind: str = "spirals"  # spirals, disks, moons, xor, digits, mnist, map-samples, plane
    points: int = 1000  # how many points; digits and mnist take the first this many
    turns: float = 0.85  # spirals: how far each arm winds
    classes: int = 2  # spirals: how many arms, one class each
    noise: float = 0.02
    seed: int = 0
    inner_radius: float = 0.35  # disks: the inner disk ...
    ring: tuple[float, ...] = (0.65, 1.0)  # ... and the ring around it (inner and outer radius)
    extent: float = 1.0  # map-samples, plane: points fill the square [-extent, extent]^2
    matrix: tuple[tuple[float, ...], ...] = ()  # map-samples: targets are matrix · x


@dataclass(frozen=True)
class ModelSpec:
    kind: str = "mlp"  # mlp; linear (one matrix); quadratic-map (the fixed h(x) of the jacobian preset)
    hidden: tuple[int, ...] = (2, 2, 2, 2)
    activation: str = "tanh"
    seed: int = 5
    bias: bool = True
    weight: tuple[tuple[float, ...], ...] = ()  # linear: a fixed matrix (rows are outputs)
    trainable: bool = True


@dataclass(frozen=True)
class OptimizerSpec:
    kind: str = "adam"
    lr: float = 0.03
    weight_decay: float = 0.0  # decoupled (AdamW-style) for adam, L2 for sgd


@dataclass(frozen=True)
class TrainingSpec:
    steps: int = 3000  # what `viz3d render` and `viz3d train` run by default
    steps_per_frame: int = 1  # training steps per displayed frame (the live view paces to 60 frames/s)
    capture_every: int = 10  # capture and publish a snapshot every K steps
    loss: str = "cross-entropy"  # or "mse" (regression onto the dataset's targets)
    batch_size: int = 0  # 0: the whole dataset each step


@dataclass(frozen=True)
class ProbeSpec:
    points: int = 0  # data points to draw (0: all of them; more than the dataset: see with_points)
    grid_lines: int = 21  # lines in each direction
    grid_samples: int = 121  # samples along each line
    grid_margin: float = 0.15  # how far the grid reaches beyond the data, as a fraction of its span
    regions: int = 0  # >0: tint the input plane by predicted class on a lattice this many cells across
    arrow_points: tuple[tuple[float, ...], ...] = ()  # tangent arrows: where they start (input space)
    arrow_vectors: tuple[tuple[float, ...], ...] = ()  # ... and the vectors there


@dataclass(frozen=True)
class ViewSpec:
    azimuth: float = -90.0
    elevation: float = 55.0
    distance: float = 4.5
    point_size: float = 5.0
    show_grid: bool = True
    show_axes: bool = True
    show_regions: bool = True
    layer: float | str = -1.0  # the layer shown first: a position (negative counts from the end), last, a name
    stages: bool = False  # split Linear + activation into W·x, +b, activation
    shared_scale: bool = False  # one display scale for all layers (else each layer fills the view)
    axes: tuple[int, ...] = (0, 1, 2)  # the principal components drawn as x, y, z where a layer is wider than 3
    color_by: str = "class"  # class, prediction, correct, neuron
    neuron_layer: int | str = ""  # color_by = "neuron": which layer (given as `layer` is, whole) ...
    neuron_index: int = 0  # ... and which unit of it


@dataclass(frozen=True)
class Keyframe:
    time: float = 0.0  # seconds from the start of the recording
    layer: float | str | None = None  # a position (negative counts from the end), last, or a layer name
    azimuth: float | None = None
    elevation: float | None = None
    distance: float | None = None
    training: bool | None = None
    overlay: bool | None = None


@dataclass(frozen=True)
class TourSpec:
    keyframes: tuple[Keyframe, ...] = ()


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    path: Path
    look_for: str = ""  # one or two sentences for the overlay: what to watch (pictures and videos show it too)
    live_hint: str = ""  # for the live window's panel only: what to press or try (a recording's audience cannot)
    accuracy: str = ""  # what it reaches, as documented (shown by `viz3d presets`)
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    probe: ProbeSpec = field(default_factory=ProbeSpec)
    view: ViewSpec = field(default_factory=ViewSpec)
    tour: TourSpec = field(default_factory=TourSpec)


SECTIONS: dict[str, type] = {
    "dataset": DatasetSpec,
    "model": ModelSpec,
    "optimizer": OptimizerSpec,
    "training": TrainingSpec,
    "probe": ProbeSpec,
    "view": ViewSpec,
}
TEXT_KEYS = ("title", "description", "look_for", "live_hint", "accuracy")

KIND_KEYS: dict[str, dict[str, tuple[str, ...]]] = {  # keys that only some kinds of a table read
    "dataset": {
        "turns": ("spirals",),
        "classes": ("spirals",),
        "noise": ("spirals", "moons", "xor"),
        "inner_radius": ("disks",),
        "ring": ("disks",),
        "extent": ("map-samples", "plane"),
        "matrix": ("map-samples",),
    },
    "model": {
        "hidden": ("mlp",),
        "activation": ("mlp",),
        "weight": ("linear",),
        "bias": ("linear",),
    },
}
TARGET_KINDS = ("map-samples",)  # dataset kinds whose labels are values to fit (loss = "mse"), not classes
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("dataset", "kind"): ("spirals", "disks", "moons", "xor", "digits", "mnist", "map-samples", "plane"),
    ("model", "kind"): ("mlp", "linear", "quadratic-map"),
    ("model", "activation"): ("tanh", "relu", "sigmoid", "gelu", "none"),
    ("optimizer", "kind"): ("adam", "sgd"),
    ("training", "loss"): ("cross-entropy", "mse"),
    ("view", "color_by"): ("class", "prediction", "correct", "neuron"),
}

POSITIVE: set[tuple[str, str]] = {
    ("dataset", "points"),
    ("dataset", "turns"),  # 0 winds no spiral: every point was NaN, and the loss blamed the learning rate
    ("dataset", "extent"),  # 0 puts every point on the origin
    ("optimizer", "lr"),
    ("training", "steps_per_frame"),
    ("training", "capture_every"),
    ("probe", "grid_lines"),
    ("probe", "grid_samples"),
    ("view", "distance"),
    ("view", "point_size"),
}


NON_NEGATIVE: set[tuple[str, str]] = {
    ("dataset", "noise"),
    ("dataset", "inner_radius"),
    ("training", "steps"),
    ("training", "batch_size"),
    ("optimizer", "weight_decay"),
    ("probe", "points"),
    ("probe", "grid_margin"),
    ("probe", "regions"),
    ("view", "neuron_index"),
}


SEED_MAX = 2**32 - 1
DISTANCE_BOUNDS = (0.1, 30.0, "(the layers fill [-1, 1]³; 30 draws them a few pixels wide)")  # the camera's
GRID_SAMPLES_MAX = 1_000_000  # samples in each direction's lines, as many as --points' largest clouds
# Closed ranges, where a value past either end is a typo (or past what a GL buffer takes): the camera looks
# from above the ground plane or below it, never over the pole (the picture would turn upside down); a
# keyframe's time is seconds into the recording, which lasts until the last one (`time = 5000`, meant as
# milliseconds, is 83 minutes).
BOUNDS: dict[tuple[str, str], tuple[float, float, str]] = {
    ("view", "elevation"): (-90.0, 90.0, "degrees"),
    ("tour.keyframes", "elevation"): (-90.0, 90.0, "degrees"),
    ("tour.keyframes", "time"): (0.0, 3600.0, "seconds"),
    ("dataset", "seed"): (0, SEED_MAX, ""),  # torch and numpy take seeds this large everywhere
    ("model", "seed"): (0, SEED_MAX, ""),
    ("probe", "grid_lines"): (1, 1001, "lines"),  # and lines × samples at most GRID_SAMPLES_MAX (below)
    ("probe", "grid_samples"): (1, 10001, "samples"),
    ("probe", "regions"): (0, 512, "cells across"),  # 512² cells tint the plane finer than a screen shows
    ("dataset", "classes"): (2, 10, "arms"),  # ten colours in the palette that tell classes apart
    ("view", "distance"): DISTANCE_BOUNDS,
    ("tour.keyframes", "distance"): DISTANCE_BOUNDS,
    ("view", "point_size"): (0.5, 64.0, "pixels"),
}

FLOAT32_MAX = 3.4028234663852886e38
MIN_POINTS = 3  # as capture.probe.MIN_ROWS (not imported: loading presets needs no torch)
TOP_COMPONENTS = 10  # as project.projection.N_COMPONENTS: the components [view] axes may pick from
REAL_DATASETS = ("digits", "mnist")  # real samples; more points than they hold are made between near ones


def with_seed(preset: Preset, seed: int | None) -> Preset:
    """The preset with ``seed`` for both its data and its model's initial weights (None: as it is)."""
    if seed is None:
        return preset
    return dataclasses.replace(
        preset,
        dataset=dataclasses.replace(preset.dataset, seed=seed),
        model=dataclasses.replace(preset.model, seed=seed),
    )


def with_points(preset: Preset, points: int) -> Preset:
    """The preset drawing ``points`` data points, with a grid that grows denser with them (lines grow with
    the fourth root of the count, at most 101). The model still trains on the preset's own data: more
    points show the same distribution more densely, they do not make each step slower.

    Fewer points than the dataset draws that many spread evenly over it; more draws a fresh sample of that many
    (generated datasets) or the real samples followed by points between near samples of a class (digits, mnist).
    """
    have = preset.dataset.points
    scale = (points / max(have, 1)) ** 0.25
    lines = max(preset.probe.grid_lines, min(101, round(preset.probe.grid_lines * scale)))
    samples = max(preset.probe.grid_samples, 6 * (lines - 1) + 1)
    if points < have:
        drawn = f"Drawing {points:,} of its {have:,} points."
    elif points > have:
        extra = "real ones and more between them" if preset.dataset.kind in REAL_DATASETS else "a fresh sample"
        drawn = f"Drawing {points:,} points ({extra}); training uses the {have:,}."
    else:
        drawn = ""
    return dataclasses.replace(
        preset,
        description=f"{preset.description} {drawn}".strip(),
        probe=dataclasses.replace(preset.probe, points=points, grid_lines=lines, grid_samples=samples),
    )


def known_presets() -> list[str]:
    """Names of the presets that ship with viz3d, sorted."""
    return sorted(p.stem for p in preset_dir().glob("*.toml"))


def resolve_preset_path(name_or_path: str) -> Path:
    """Map a preset name (``spirals``) or a path to a ``.toml`` file onto an existing file."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        raise PresetError(f"{name_or_path} is a folder: pass a preset name or the path to a .toml file")
    if candidate.is_file() and candidate.suffix not in ("", ".toml"):  # README.md (a file "spirals" is not a path)
        raise PresetError(f"{name_or_path} is not a preset: a preset is a .toml file, or a shipped preset's name")
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        if not candidate.is_file():
            shipped = candidate.stem if candidate.stem in known_presets() else ""  # "spirals.toml" for "spirals"
            fix = f"check the path, or name the shipped preset: {shipped}" if shipped else "check the path"
            raise PresetError(f"preset file {name_or_path} does not exist: {fix}")
        return candidate
    shipped = preset_dir() / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    names = known_presets()
    raise PresetError(
        f"unknown preset '{name_or_path}'{did_you_mean(name_or_path, names)}: known presets are {', '.join(names)}"
        " (or pass the path to your own .toml file)"
    )


def load_preset(name_or_path: str) -> Preset:
    """Load and validate a preset by name or path; raises `PresetError` with a one-line message."""
    path = resolve_preset_path(name_or_path)
    where = _display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows Notepad's) is not TOML's
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PresetError(f"{where}: {toml_problem(err, text)}") from None
    except OSError as err:
        raise PresetError(f"{where}: cannot read the file: {err.strerror}") from None
    except UnicodeDecodeError:  # saved in Windows' own code page, say
        raise PresetError(f"{where}: is not UTF-8 text: save it as UTF-8") from None
    return parse_preset(raw, path)


def parse_preset(raw: dict[str, Any], path: Path) -> Preset:
    """Validate an already-parsed TOML table into a `Preset`."""
    where = _display_path(path)
    top_level = {"schema_version", *TEXT_KEYS, *SECTIONS, "tour"}
    for key in raw:
        if key not in top_level:
            known = sorted(top_level)
            hint = " ([[tour.keyframes]] for a tour's keyframes)" if key == "keyframes" else ""
            hint = hint or _belongs_in(key) or did_you_mean(key, known)
            raise PresetError(f"{where}: unknown key '{key}'{hint}: expected one of {', '.join(known)}")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        hint = " (add schema_version = 1 at the top)" if version is None else ""
        raise PresetError(f"{where}: schema_version: expected {SCHEMA_VERSION}, found {_describe(version)}{hint}")
    sections = {}
    for section, spec_type in SECTIONS.items():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise PresetError(f"{where}: [{section}]: expected a table, found {_describe(table)}")
        sections[section] = _parse_table(where, section, spec_type, table)
    texts = {key: _expect_str(where, key, raw.get(key, path.stem if key == "title" else "")) for key in TEXT_KEYS}
    preset = Preset(name=path.stem, path=path, tour=_parse_tour(where, raw.get("tour", {})), **texts, **sections)
    _check_consistency(where, preset)
    return preset


def _parse_tour(where: str, table: Any) -> TourSpec:
    if not isinstance(table, dict):
        raise PresetError(f"{where}: [tour]: expected a table, found {_describe(table)}")
    for key in table:
        if key != "keyframes":
            raise PresetError(
                f"{where}: [tour] unknown key '{key}'{did_you_mean(key, ['keyframes'])}: expected keyframes"
            )
    frames = table.get("keyframes", [])
    if isinstance(frames, dict):  # [tour.keyframes]: one table, where each keyframe is an entry of a list
        raise PresetError(
            f"{where}: [tour.keyframes]: write each keyframe under [[tour.keyframes]], with double brackets"
        )
    if not isinstance(frames, list) or not all(isinstance(f, dict) for f in frames):
        raise PresetError(f"{where}: [tour] keyframes: expected [[tour.keyframes]] tables, found {_describe(frames)}")
    for number, frame in enumerate(frames, start=1):
        if number > 1 and "time" not in frame:  # it would be 0, the start, which the first keyframe holds
            raise PresetError(
                f"{where}: [tour.keyframes {number}] time: missing: give each keyframe after the first its time in s"
            )
    keyframes = tuple(_parse_table(where, f"tour.keyframes {i + 1}", Keyframe, f) for i, f in enumerate(frames))
    times = [k.time for k in keyframes]
    if times != sorted(times):
        raise PresetError(f"{where}: [tour] keyframes: expected times in order (none before the last), found {times}")
    return TourSpec(keyframes=keyframes)


def _check_consistency(where: str, preset: Preset) -> None:
    probe, model = preset.probe, preset.model
    if len(probe.arrow_points) != len(probe.arrow_vectors):
        raise PresetError(
            f"{where}: [probe] arrow_vectors: expected one vector per arrow point ({len(probe.arrow_points)}), "
            f"found {len(probe.arrow_vectors)}"
        )
    if model.kind == "linear" and model.weight and len({len(row) for row in model.weight}) != 1:
        raise PresetError(f"{where}: [model] weight: expected rows of equal length, found {list(model.weight)}")
    axes = preset.view.axes
    if len(axes) != 3 or min(axes) < 0 or max(axes) >= TOP_COMPONENTS or len(set(axes)) != 3:
        raise PresetError(
            f"{where}: [view] axes: expected three different components of the top {TOP_COMPONENTS}, counted "
            f"from 0 (the largest), found {list(axes)}"
        )
    if probe.grid_lines * probe.grid_samples > GRID_SAMPLES_MAX:
        raise PresetError(
            f"{where}: [probe] grid_samples: {probe.grid_lines} lines of {probe.grid_samples} samples are "
            f"{probe.grid_lines * probe.grid_samples:,} each way, more than the {GRID_SAMPLES_MAX:,} drawn at most: "
            "use fewer lines or samples"
        )
    if probe.regions and preset.dataset.kind in REAL_DATASETS:
        raise PresetError(
            f"{where}: [probe] regions: tints the input plane by predicted class, and {preset.dataset.kind}'s "
            "inputs are images, not points of a plane: leave regions out"
        )
    if preset.dataset.kind == "plane" and model.trainable:
        raise PresetError(
            f"{where}: [model] trainable: dataset kind plane has no labels to learn (it is for looking at a fixed "
            "map): set trainable = false, or a dataset kind with labels such as spirals or map-samples"
        )
    targets = preset.dataset.kind in TARGET_KINDS
    if preset.training.loss == "mse" and not targets:  # before the checks that follow from the loss (regions)
        raise PresetError(f"{where}: [training] loss mse needs regression targets: use dataset kind map-samples")
    if preset.training.loss == "cross-entropy" and targets:
        raise PresetError(f'{where}: [training] loss: dataset kind {preset.dataset.kind} has targets, use loss = "mse"')
    if preset.training.loss == "mse" and probe.regions:
        raise PresetError(
            f"{where}: [probe] regions: a regression has no classes to tint the plane by: leave regions out"
        )
    dataset = preset.dataset
    if len(dataset.ring) != 2 or not 0 <= dataset.ring[0] < dataset.ring[1]:
        raise PresetError(
            f"{where}: [dataset] ring: expected [inner, outer] with 0 <= inner < outer, found {list(dataset.ring)}"
        )
    if dataset.kind == "disks" and dataset.inner_radius >= dataset.ring[0]:
        raise PresetError(
            f"{where}: [dataset] inner_radius: {dataset.inner_radius} reaches into the ring, which starts at "
            f"{dataset.ring[0]}: make it smaller, or the two classes overlap"
        )
    if dataset.kind == "map-samples" and not dataset.matrix:
        raise PresetError(
            f"{where}: [dataset] matrix: map-samples needs the map whose samples to learn, e.g. [[2.0, 1.0]]"
        )
    if dataset.matrix and any(len(row) != 2 for row in dataset.matrix):
        raise PresetError(
            f"{where}: [dataset] matrix: expected rows of 2 numbers (the points lie in the plane), "
            f"found {[list(row) for row in dataset.matrix]}"
        )


def _parse_table(where: str, section: str, spec_type: type, table: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(spec_type)
    names = [f.name for f in dataclasses.fields(spec_type)]
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in hints:
            hint = _belongs_in(key) or did_you_mean(key, names)
            raise PresetError(f"{where}: [{section}] unknown key '{key}'{hint}: expected one of {', '.join(names)}")
        label = f"[{section}] {key}"
        values[key] = _coerce(where, label, hints[key], value)
        allowed = CHOICES.get((section, key))
        if allowed and values[key] not in allowed:
            hint = did_you_mean(value, allowed)
            raise PresetError(f"{where}: {label}: expected one of {', '.join(allowed)}, found {value!r}{hint}")
        if (section, key) in (("dataset", "points"), ("probe", "points")) and 0 < values[key] < MIN_POINTS:
            raise PresetError(f"{where}: {label}: expected {MIN_POINTS} points or more, found {value!r}")
        if (section, key) in POSITIVE and values[key] <= 0:
            raise PresetError(f"{where}: {label}: expected a positive number, found {value!r}")
        if (section, key) in NON_NEGATIVE and values[key] < 0:
            raise PresetError(f"{where}: {label}: expected zero or more, found {value!r}")
        bounds = BOUNDS.get((section.split(" ")[0], key))
        if bounds and values[key] is not None and not bounds[0] <= values[key] <= bounds[1]:
            low, high, unit = bounds
            span = f"{_number(low)} to {_number(high)}{f' {unit}' if unit else ''}"
            raise PresetError(f"{where}: {label}: expected {span}, found {value!r}")
        if (section, key) == ("optimizer", "lr") and values[key] > FLOAT32_MAX:  # torch steps in float32
            raise PresetError(f"{where}: {label}: expected at most 3.4e38 (float32's largest number), found {value!r}")
        if (section, key) == ("model", "hidden") and any(width < 1 for width in values[key]):
            raise PresetError(f"{where}: {label}: expected layer widths of 1 or more, found {value!r}")
    if section in KIND_KEYS:
        kind = values.get("kind", spec_type.kind)
        for key in values:
            readers = KIND_KEYS[section].get(key, (kind,))
            if kind not in readers:  # a key left from another kind: it would be ignored without a word
                which = " or ".join(readers)
                told = "" if "kind" in values else " (the default)"
                raise PresetError(
                    f"{where}: [{section}] {key}: only kind {which} reads it, and kind is {kind}{told}: set kind = "
                    f'"{readers[0]}", or remove {key}'
                )
    return spec_type(**values)


def _belongs_in(key: str) -> str:
    """Where ``key`` is read, for one written in another table: " (it belongs in [training])" ("" if nowhere).
    A key set in the wrong table had been told the nearest name there (`regions` in [view]: 'show_regions')."""
    tables = [f"[{name}]" for name, spec in SECTIONS.items() if key in {f.name for f in dataclasses.fields(spec)}]
    if key in {f.name for f in dataclasses.fields(Keyframe)}:
        tables.append("[[tour.keyframes]]")
    return f" (it belongs in {' or '.join(tables)})" if tables else ""


def _number(value: float) -> str:
    """A bound as written in a preset: 90, 0.5, 4294967295 (not 4.29497e+09)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def did_you_mean(word: str, options: typing.Iterable[str]) -> str:
    """A hint naming the one or two ``options`` closest to a mistyped ``word``, as `` (did you mean 'x'?)``;
    empty when none is close."""
    options = list(options)
    same_letters = [option for option in options if option.lower() == str(word).lower()]  # "ReLU": 'relu'
    close = same_letters or difflib.get_close_matches(str(word), options, n=2, cutoff=0.7)
    return f" (did you mean {' or '.join(repr(option) for option in close)}?)" if close else ""


def _coerce(where: str, label: str, hint: Any, value: Any) -> Any:
    """Check ``value`` against the field's type; ints become floats where floats are expected."""
    converted, expected = _convert(hint, value)
    if expected is None:
        return converted
    raise PresetError(f"{where}: {label}: expected {expected}, found {_describe(value)}")


def _convert(hint: Any, value: Any) -> tuple[Any, str | None]:
    """(converted value, None) when ``value`` fits ``hint``; (None, what was expected) when not."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # X | None, X | Y: the first that fits
        tried = [_convert(member, value) for member in args if member is not type(None)]
        fitting = [converted for converted, expected in tried if expected is None]
        return (fitting[0], None) if fitting else (None, " or ".join(str(expected) for _, expected in tried))
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is bool:
        return (value, None) if isinstance(value, bool) else (None, "true or false")
    if hint is int:
        return (value, None) if is_number and isinstance(value, int) else (None, "an integer")
    if hint is float:
        return (float(value), None) if is_number and math.isfinite(value) else (None, "a finite number")
    if hint is str:
        return (value, None) if isinstance(value, str) else (None, "a string")
    if origin is tuple:
        item = args[0]
        noun = {int: "integers", float: "finite numbers"}.get(item, "lists of finite numbers")  # NaN is a float
        if not isinstance(value, list):
            return None, f"a list of {noun}"
        items = [_convert(item, v) for v in value]
        if any(expected is not None for _, expected in items):
            return None, f"a list of {noun}"
        return tuple(v for v, _ in items), None
    raise TypeError(f"unsupported preset field type {hint!r}")  # pragma: no cover - a bug in the specs


def _expect_str(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise PresetError(f"{where}: {key}: expected a string, found {_describe(value)}")
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    return f"{value!r} ({type(value).__name__})"


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
