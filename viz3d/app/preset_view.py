"""A preset's [view] and tour against a model's layers: positions, names, panel labels and the neuron.

`viz3d run`, `render` and `record` (and `viz3d.picture`/`video`, whose options become a preset) all
check the preset's layers and neuron here, before any training, so a layer the model lacks is one
line naming the file and the key. A layer is given as a position (negative counts from the end, a
fraction is a morph in progress), ``last``, a layer's name, or its label as the panel shows it; the
layer a neuron is coloured from is given the same way (`resolve_neuron_layer`).
"""

from __future__ import annotations

from dataclasses import replace

from viz3d.app.state import ViewState
from viz3d.errors import PresetError, Viz3dError, note
from viz3d.presets import Preset, did_you_mean


def with_layer_positions(preset: Preset, layer_names: list[str], labels: list[str] | None = None) -> Preset:
    """The preset with its [view] layer and its tour keyframes' layers as positions on this model: a
    name, ``last`` or a negative number (counted from the end) resolved. A layer the model lacks, or
    a position past its last, is one line naming the file and the key."""

    def position(layer: float | str | None, key: str) -> float | None:
        if layer is None:
            return layer
        try:
            return resolve_layer(layer, layer_names, labels)
        except Viz3dError as err:
            raise PresetError(f"{preset.path}: {key}: {err}") from None

    view = replace(preset.view, layer=position(preset.view.layer, "[view] layer"))
    keyframes = tuple(
        replace(keyframe, layer=position(keyframe.layer, f"[tour.keyframes {number}] layer"))
        for number, keyframe in enumerate(preset.tour.keyframes, start=1)
    )
    return replace(preset, view=view, tour=replace(preset.tour, keyframes=keyframes))


def check_view(preset: Preset, layer_names: list[str], widths: list[int], labels: list[str] | None = None) -> None:
    """Refuse, as `render` and `record` do, a [view] or tour layer, or a neuron, the model does not have:
    `viz3d train`, run as a quick check of a preset file, had passed them."""
    with_layer_positions(preset, layer_names, labels)
    preset_view_state(preset, layer_names, widths, labels=labels)


def preset_view_state(
    preset: Preset,
    layer_names: list[str],
    widths: list[int],
    layer: str | float | None = None,
    labels: list[str] | None = None,
) -> ViewState:
    """The preset's [view] on a model with these layers (and units), on its own layer or on ``layer``.

    A layer or neuron the model does not have is one line naming the preset file and the key, the same
    for `run`, `render` and `record`, and before any training. ``layer`` (`render --layer`, a tour's
    start) is checked too, but is not the preset's, so its error does not name the file; it may also be
    one of the layers' ``labels``, as the panel shows them.
    """
    state = ViewState.from_spec(preset.view, n_layers=len(layer_names))
    try:
        state.set_layer(resolve_layer(preset.view.layer, layer_names, labels))
    except Viz3dError as err:
        raise PresetError(f"{preset.path}: [view] layer: {err}") from None
    if layer is not None:
        state.set_layer(resolve_layer(layer, layer_names, labels))
    try:  # a neuron_layer left out means a unit of the layer shown first
        if preset.view.neuron_layer != "":
            named = resolve_neuron_layer(preset.view.neuron_layer, layer_names, labels)
            state.neuron = (named, preset.view.neuron_index)
        state.pick_neuron(layer_names, widths)
    except Viz3dError as err:
        raise PresetError(f"{preset.path}: [view] {err}") from None
    return state


def resolve_layer(layer: str | float, layer_names: list[str], labels: list[str] | None = None) -> float:
    """Turn ``last``, an index or fraction (negative counts from the end), a layer name, or a layer's
    label as the panel shows it (``labels``, e.g. "Tanh (module 1)") into a position."""
    last = len(layer_names) - 1
    if isinstance(layer, str) and layer.strip().casefold() == "last":
        return float(last)
    try:
        value = float(layer)
        if value < 0:
            value += len(layer_names)
    except ValueError:
        if layer in layer_names:
            return float(layer_names.index(layer))
        folded = [_typed(label) for label in labels or []]
        if _typed(str(layer)) in folded:
            return float(folded.index(_typed(str(layer))))
        names = [name for name in layer_names if not _is_number(name)]  # "3" always means position 3
        numbered = [label for name, label in zip(layer_names, labels or [], strict=False) if _is_number(name)]
        example = f", or a label as the panel shows it, such as '{numbered[0]}'" if numbered else ""
        hint = did_you_mean(str(layer), dict.fromkeys([*names, *(labels or [])]))
        raise Viz3dError(
            f"unknown layer '{layer}'{hint}: use last, a position from 0 to {last}, a name ({', '.join(names)})"
            f"{example}"
        ) from None
    if not 0 <= value <= last:
        given = float(layer)
        shown = int(given) if given.is_integer() else given
        raise Viz3dError(f"layer {shown} is out of range: this model has layers 0 to {last} (or -{last + 1} to -1)")
    if isinstance(layer, str) and layer in layer_names and layer_names.index(layer) != value:
        # "3" is position 3, as 3 is; the module named "3" (a Sequential's) sits elsewhere: say which is meant
        named = layer_names.index(layer)
        label = labels[named] if labels and len(labels) == len(layer_names) else layer
        raise Viz3dError(
            f"{layer!r} is both position {_shown_position(value)} and the name of the layer at position "
            f"{named}: write {_shown_position(value)} (a number) for the position, or {named} or {label!r} "
            "for that layer"
        )
    return value


def _typed(label: str) -> str:
    """A label as it may be typed: any case, and "W.x" for the panel's "W·x"."""
    return label.strip().casefold().replace("·", ".")


def _shown_position(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def resolve_neuron_layer(layer: int | str, layer_names: list[str], labels: list[str] | None = None) -> str:
    """The name of the layer a [view] ``neuron_layer`` means, given as any layer is (see `resolve_layer`:
    "3" and 3 are position 3, as for ``layer``) but whole, since a neuron belongs to one layer."""
    try:
        position = resolve_layer(layer, layer_names, labels)
    except Viz3dError as err:
        raise Viz3dError(f"neuron_layer: {err}") from None
    if not position.is_integer():
        raise Viz3dError(f"neuron_layer: {layer!r} lies between two layers: name one layer, such as {int(position)}")
    return layer_names[int(position)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def note_nothing_to_train(preset: Preset, trainable: bool, steps: int | None) -> None:
    """A note where ``--steps`` asks a fixed map (a preset with nothing to train) for steps it cannot run."""
    if steps and not trainable:
        note(f"{preset.name} is a fixed map, with nothing to train: --steps {steps} changes nothing")
