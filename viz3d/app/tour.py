"""Tours: keyframes (layer, camera, training on/off, overlay on/off) interpolated over time.

Numbers ease between the keyframes that set them (smoothstep, so motion starts and stops at rest) and
hold their first and last values outside them; switches (training, overlay) take the value of the
latest keyframe at or before the time, and are on until a keyframe turns them off. A preset without
a tour gets `default_tour`: train while orbiting, then sweep through the layers while the orbit goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from viz3d.app.state import smoothstep
from viz3d.presets import Keyframe, TourSpec, ViewSpec

NUMBERS = ("layer", "azimuth", "elevation", "distance")
SWITCHES = ("training", "overlay")


@dataclass(frozen=True)
class TourPoint:
    """Where the tour is at one moment; ``layer`` may be negative (counted from the end)."""

    layer: float
    azimuth: float
    elevation: float
    distance: float
    training: bool
    overlay: bool


def tour_at(keyframes: tuple[Keyframe, ...], time: float, view: ViewSpec, n_layers: int) -> TourPoint:
    """The tour's state at ``time`` seconds; anything no keyframe sets comes from ``view``.

    Negative layers count from the end (-1 is the last of ``n_layers``); the result is always 0 or more.
    Layers are positions here: names and ``last`` are resolved first (`with_layer_positions`).
    """

    def absolute(layer: float) -> float:
        return min(max(layer + n_layers if layer < 0 else layer, 0.0), float(n_layers - 1))

    values: dict[str, float | bool] = {
        "layer": absolute(view.layer),
        "azimuth": view.azimuth,
        "elevation": view.elevation,
        "distance": view.distance,
        "training": True,
        "overlay": True,
    }
    for name in NUMBERS:
        keyed = [(k.time, getattr(k, name)) for k in keyframes if getattr(k, name) is not None]
        if name == "layer":
            keyed = [(t, absolute(v)) for t, v in keyed]
        if keyed:
            values[name] = _interpolate(keyed, time)
    for name in SWITCHES:
        keyed = [(k.time, getattr(k, name)) for k in keyframes if getattr(k, name) is not None]
        earlier = [v for t, v in keyed if t <= time]
        if earlier:  # before the first keyframe that sets it, a switch is on
            values[name] = earlier[-1]
    return TourPoint(**values)  # type: ignore[arg-type]


def cut_times(keyframes: tuple[Keyframe, ...]) -> tuple[float, ...]:
    """The times of the tour's cuts: two keyframes at one time that set a number (the layer, the camera)
    to two values jump from one to the other, and the framing (the camera's centre and distance) cuts
    with them instead of sliding after the new layer. Two at one time that set other things (the panel
    off, training on) cut nothing."""
    cuts = set()
    for time in {k.time for k in keyframes if k.time > 0}:
        at_once = [k for k in keyframes if k.time == time]
        for name in NUMBERS:
            if len({getattr(k, name) for k in at_once if getattr(k, name) is not None}) > 1:
                cuts.add(time)
    return tuple(sorted(cuts))


def _interpolate(keyed: list[tuple[float, float]], time: float) -> float:
    if time <= keyed[0][0]:
        return keyed[0][1]
    for (t0, v0), (t1, v1) in zip(keyed, keyed[1:], strict=False):
        if time <= t1:
            return v0 + (v1 - v0) * smoothstep((time - t0) / (t1 - t0)) if t1 > t0 else v1
    return keyed[-1][1]


def frame_time(index: int, n_frames: int, fps: float) -> float:
    """The tour time frame ``index`` of ``n_frames`` shows: 0 on the first frame and the recording's
    duration (``n_frames / fps``) on the last, evenly between. At ``index / fps`` the last frame came
    1/fps short, and a keyframe at ``time = duration`` was never shown; the stretch is 1/(n-1), a
    sixth of a percent in 10 s at 60 fps."""
    return index * (n_frames / fps) / max(n_frames - 1, 1)


REWIND_PACE = 2.0  # the default tour goes back to the input at most this many times as fast as it sweeps
ORBIT_DEGREES = 120.0  # how far the default tour turns the camera over a recording
TOP_DOWN_ELEVATION = 75.0  # looking down this steeply or more, an orbit only spins a flat picture in place


def default_tour(duration: float, view: ViewSpec, n_layers: int, trains: bool = True) -> TourSpec:
    """Train for the first half on the preset's layer, going back to the input; then stop and sweep
    input → output. A fixed map, with nothing to train, holds the input, sweeps and holds the output.
    The camera turns `ORBIT_DEGREES` over the recording, except in a top-down view (a 2D map seen from
    above), where turning would only rotate the picture on the screen, x no longer pointing right."""
    last = float(n_layers - 1)
    end_azimuth = view.azimuth + (ORBIT_DEGREES if abs(view.elevation) < TOP_DOWN_ELEVATION else 0.0)
    if not trains:
        return TourSpec(
            keyframes=(
                Keyframe(time=0.0, layer=0.0, azimuth=view.azimuth, training=False),
                Keyframe(time=duration * 0.15, layer=0.0),
                Keyframe(time=duration * 0.85, layer=last),
                Keyframe(time=duration, layer=last, azimuth=end_azimuth),
            )
        )
    half = duration / 2
    start = min(max(view.layer if view.layer >= 0 else view.layer + n_layers, 0.0), last)
    # back to the input at most REWIND_PACE times the sweep's pace, slowly enough to follow (a fixed
    # eighth of the recording had rewound 3 layers in 0.4 s of a 3 s clip), in no more than half of the
    # first half: the preset's steps are spread over the frames that train, so the model ends as trained
    rewind = min(max(half * 0.25, start / max(last, 1.0) * half / REWIND_PACE), half * 0.5)
    return TourSpec(
        keyframes=(
            Keyframe(time=0.0, layer=start, azimuth=view.azimuth, training=True),
            Keyframe(time=half - rewind, layer=start),
            Keyframe(time=half, layer=0.0, training=False),
            Keyframe(time=duration, layer=last, azimuth=end_azimuth),
        )
    )
