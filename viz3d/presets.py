"""Presets: TOML demo definitions in ``presets/`` turned into validated, typed dataclasses.

A preset names its dataset, model, optimizer, training rhythm, probe and view. Every mistake is
reported in one line naming the file, the key, what was expected and what was found, e.g.::

    presets/mine.toml: [model] hidden: expected a list of integers, found "wide" (str)
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viz3d.errors import PresetError
from viz3d.resources import preset_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DatasetSpec:
    kind: str = "spirals"
    points: int = 1000
    turns: float = 0.85
    noise: float = 0.02
    seed: int = 0


@dataclass(frozen=True)
class ModelSpec:
    kind: str = "mlp"
    hidden: tuple[int, ...] = (2, 2, 2, 2)
    activation: str = "tanh"
    seed: int = 5


@dataclass(frozen=True)
class OptimizerSpec:
    kind: str = "adam"
    lr: float = 0.03
    weight_decay: float = 0.0  # decoupled (AdamW-style) for adam, L2 for sgd


@dataclass(frozen=True)
class TrainingSpec:
    steps: int = 3000  # what `viz3d render` trains by default
    steps_per_frame: int = 1  # training steps per displayed frame (live view paces to 60 frames/s)
    capture_every: int = 10  # capture and publish a snapshot every K steps


@dataclass(frozen=True)
class ProbeSpec:
    grid_lines: int = 21  # lines in each direction
    grid_samples: int = 121  # samples along each line
    grid_margin: float = 0.15  # how far the grid reaches beyond the data, as a fraction of its span


@dataclass(frozen=True)
class ViewSpec:
    azimuth: float = -90.0
    elevation: float = 55.0
    distance: float = 4.5
    point_size: float = 5.0
    show_grid: bool = True
    show_axes: bool = True
    layer: float = -1.0  # the layer shown first; negative counts from the end (-1 is the last)
    stages: bool = False  # split Linear + activation into W·x, +b, activation


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    path: Path
    schema_version: int = SCHEMA_VERSION
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    probe: ProbeSpec = field(default_factory=ProbeSpec)
    view: ViewSpec = field(default_factory=ViewSpec)


SECTIONS: dict[str, type] = {
    "dataset": DatasetSpec,
    "model": ModelSpec,
    "optimizer": OptimizerSpec,
    "training": TrainingSpec,
    "probe": ProbeSpec,
    "view": ViewSpec,
}

CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("dataset", "kind"): ("spirals",),
    ("model", "kind"): ("mlp",),
    ("model", "activation"): ("tanh", "relu", "sigmoid", "gelu", "none"),
    ("optimizer", "kind"): ("adam", "sgd"),
}

POSITIVE: set[tuple[str, str]] = {
    ("dataset", "points"),
    ("optimizer", "lr"),
    ("training", "steps_per_frame"),
    ("training", "capture_every"),
    ("probe", "grid_lines"),
    ("probe", "grid_samples"),
    ("view", "distance"),
    ("view", "point_size"),
}


def known_presets() -> list[str]:
    """Names of the presets that ship with viz3d, sorted."""
    return sorted(p.stem for p in preset_dir().glob("*.toml"))


def resolve_preset_path(name_or_path: str) -> Path:
    """Map a preset name (``spirals``) or a path to a ``.toml`` file onto an existing file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        if not candidate.is_file():
            raise PresetError(f"preset file {name_or_path} does not exist: check the path")
        return candidate
    shipped = preset_dir() / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    raise PresetError(
        f"unknown preset '{name_or_path}': known presets are {', '.join(known_presets())}"
        " (or pass the path to your own .toml file)"
    )


def load_preset(name_or_path: str) -> Preset:
    """Load and validate a preset by name or path; raises `PresetError` with a one-line message."""
    path = resolve_preset_path(name_or_path)
    where = _display_path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise PresetError(f"{where}: malformed TOML: {err}") from None
    except OSError as err:
        raise PresetError(f"{where}: cannot read the file: {err.strerror}") from None
    return parse_preset(raw, path)


def parse_preset(raw: dict[str, Any], path: Path) -> Preset:
    """Validate an already-parsed TOML table into a `Preset`."""
    where = _display_path(path)
    top_level = {"schema_version", "title", "description", *SECTIONS}
    for key in raw:
        if key not in top_level:
            raise PresetError(f"{where}: unknown key '{key}': expected one of {', '.join(sorted(top_level))}")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise PresetError(
            f"{where}: schema_version: expected {SCHEMA_VERSION}, found {_describe(version)}"
            + (" (add schema_version = 1 at the top)" if version is None else "")
        )
    sections = {}
    for section, spec_type in SECTIONS.items():
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise PresetError(f"{where}: [{section}]: expected a table, found {_describe(table)}")
        sections[section] = _parse_section(where, section, spec_type, table)
    title = _expect_str(where, "title", raw.get("title", path.stem))
    description = _expect_str(where, "description", raw.get("description", ""))
    return Preset(name=path.stem, title=title, description=description, path=path, **sections)


def _parse_section(where: str, section: str, spec_type: type, table: dict[str, Any]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(spec_type)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            raise PresetError(f"{where}: [{section}] unknown key '{key}': expected one of {', '.join(fields)}")
        label = f"[{section}] {key}"
        default = fields[key].default
        values[key] = _coerce(where, label, default, value)
        allowed = CHOICES.get((section, key))
        if allowed and values[key] not in allowed:
            raise PresetError(f"{where}: {label}: expected one of {', '.join(allowed)}, found {value!r}")
        if (section, key) in POSITIVE and values[key] <= 0:
            raise PresetError(f"{where}: {label}: expected a positive number, found {value!r}")
    return spec_type(**values)


def _coerce(where: str, label: str, default: Any, value: Any) -> Any:
    """Check ``value`` against the type of the field's default and convert ints to floats."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        expected = "an integer"
    elif isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        expected = "a number"
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
        expected = "a string"
    elif isinstance(default, tuple):
        if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(value)
        expected = "a list of integers"
    else:  # pragma: no cover - a programming error in the spec classes
        raise TypeError(f"unsupported field type for {label}")
    raise PresetError(f"{where}: {label}: expected {expected}, found {_describe(value)}")


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
