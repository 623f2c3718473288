"""The ``viz3d`` command: ``run`` (live window), ``render`` (one PNG, headless), ``presets`` (list).

User mistakes end in one line on stderr (``viz3d: error: ...``) and a non-zero exit; GL is imported
only inside the command that needs it, after the window-or-headless choice is made.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from viz3d.app.interrupt import exit_status
from viz3d.app.limits import DAY, FPS_MAX, SIDES
from viz3d.errors import Viz3dError, say, unexpected_error_line
from viz3d.presets import MIN_POINTS, SEED_MAX


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x720, found {text!r}") from None
    low, high = SIDES
    if not (low <= width <= high and low <= height <= high):
        raise argparse.ArgumentTypeError(f"size {text} is out of range: each side must be {low} to {high} pixels")
    return width, height


def count_of_at_least(least: int, what: str = "", most: int | None = None) -> Callable[[str], int]:
    """A flag's type: a whole number of ``least`` or more, and ``most`` or less where given (``what``: the
    things counted, for the message)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
        if value < least:
            bound = "zero" if least == 0 else str(least)
            raise argparse.ArgumentTypeError(f"expected {bound}{f' {what}' if what else ''} or more, found {value}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"expected {least} to {most}, found {value}")
        return value

    return parse


whole_number = count_of_at_least(0)  # steps
seed_number = count_of_at_least(0, most=SEED_MAX)  # as a preset's seed
positive_int = count_of_at_least(1)  # frames
frame_rate = count_of_at_least(1, most=FPS_MAX)  # frames a second
point_count = count_of_at_least(MIN_POINTS, "points")  # as a preset's points


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (no usage block), like every other viz3d error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"viz3d: error: {message} (see `{self.prog} --help`)\n")


POINTS_HELP = (
    "draw this many data points, with a denser grid to match (a fresh sample, or real digits and new points "
    "between near digits of a class); the model still trains on the preset's own data"
)
DEVICE_HELP = "where the model trains: cpu (default), cuda, cuda:1, ... (capture and PCA run there too)"


def device_of(args: argparse.Namespace) -> str:
    """The --device value, checked: a CUDA device must exist in this torch build and machine."""
    import torch

    device = args.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        build = "a CPU-only torch build" if torch.version.cuda is None else "no CUDA device visible"
        raise Viz3dError(f"--device {device}: {build}; use --device cpu, or install torch with CUDA")
    try:
        torch.device(device)
    except RuntimeError:
        raise Viz3dError(f"--device {device}: not a torch device; use cpu or cuda") from None
    try:
        torch.zeros(1, device=device)  # a device torch names but cannot use here ("mps" on Linux)
    except (RuntimeError, AssertionError):
        raise Viz3dError(
            f"--device {device}: this torch cannot put tensors there (built without that backend, or no such "
            "device on this machine); use --device cpu or cuda"
        ) from None
    return device


def load(args: argparse.Namespace):  # -> Preset
    """The preset the command names, with --seed and --points applied."""
    from viz3d.presets import load_preset, with_points, with_seed

    preset = with_seed(load_preset(args.preset), args.seed)
    points = getattr(args, "points", None)  # `train` draws nothing, so it has no --points
    return with_points(preset, points) if points is not None else preset


def preset_command(
    commands: argparse._SubParsersAction, name: str, help_text: str, draws: bool = True
) -> argparse.ArgumentParser:
    """A subcommand that works on a preset: the preset itself, --device, and --points if it ``draws``."""
    command = commands.add_parser(name, help=help_text)
    command.add_argument("preset", help="a preset name (see `viz3d presets`) or a path to a .toml file")
    if draws:
        command.add_argument("--points", type=point_count, default=None, help=POINTS_HELP)
    command.add_argument("--device", default="cpu", help=DEVICE_HELP)
    command.add_argument("--seed", type=seed_number, default=None, help="override the preset's data and model seeds")
    return command


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("viz3d")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="viz3d",
        description="Watch what a neural network does to space while it trains, live in 3D.",
    )
    parser.add_argument("--version", action="version", version=f"viz3d {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=OneLineParser)

    run = preset_command(commands, "run", "train a preset live in a window")
    run.add_argument("--size", type=parse_size, default=(1280, 720), help="window size, e.g. 1600x900")
    run.add_argument("--paused", action="store_true", help="start with training paused")
    run.add_argument("--frames", type=positive_int, default=None, help="close by itself after this many frames")

    render = preset_command(commands, "render", "train a preset headless and render one frame to a PNG")
    render.add_argument("--out", required=True, help="the PNG file to write")
    render.add_argument("--size", type=parse_size, default=(1280, 720), help="image size (default 1280x720)")
    render.add_argument("--steps", type=whole_number, default=None, help="training steps first (default: preset's)")
    render.add_argument(
        "--layer",
        type=layer_argument,
        default=None,
        help="layer to show: last, an index (negative counts from the end), a fraction, a name, or the panel's label; "
        "default: the preset's",
    )
    render.add_argument("--no-ui", action="store_true", help="leave the panel out of the image (arrow labels stay)")
    render.add_argument("--force", action="store_true", help="overwrite --out if it exists")

    rec = preset_command(commands, "record", "record a preset's tour to video (or PNG frames), offscreen")
    rec.add_argument("--out", required=True, help="an .mp4, an .mkv with --lossless, or a folder/ for PNG frames")
    rec.add_argument("--size", type=parse_size, default=(1920, 1080), help="frame size (default 1920x1080)")
    rec.add_argument("--fps", type=frame_rate, default=60, help="frames per second (default 60)")
    length = rec.add_mutually_exclusive_group()
    length.add_argument(
        "--duration", type=float, default=None, help="seconds to record (default: the preset's tour, or 10)"
    )
    length.add_argument("--frames", type=positive_int, default=None, help="exact number of frames")
    rec.add_argument("--lossless", action="store_true", help="FFV1 .mkv instead of H.264 .mp4")
    rec.add_argument("--no-ui", action="store_true", help="leave the panel out of the video (arrow labels stay)")
    rec.add_argument(
        "--steps",
        type=whole_number,
        default=0,
        help="training steps before the first frame (default 0: it shows training)",
    )
    rec.add_argument(
        "--force", action="store_true", help="overwrite --out if it exists (in a folder, only its frame-*.png files)"
    )

    train = preset_command(
        commands, "train", "train a preset headless (no rendering) and print one JSON line", draws=False
    )
    train.add_argument("--steps", type=whole_number, default=None, help="training steps (default: the preset's)")

    layers_help = "list a preset's layers: the positions, names and labels that --layer and [view] layer take"
    preset_command(commands, "layers", layers_help, draws=False)
    presets = commands.add_parser("presets", help="list the presets that ship with viz3d, or those in a folder")
    presets.add_argument("folder", nargs="?", default=None, help="a folder of your own .toml presets")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except Viz3dError as err:
        print(f"viz3d: error: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:  # `viz3d presets | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush stays quiet
        return 0
    except FloatingPointError as err:  # a diverging loss, NaN activations: the user's to fix, as record says
        print(f"viz3d: error: training diverged: {err}", file=sys.stderr)
        return Viz3dError.exit_code
    except (RuntimeError, ValueError, IndexError, MemoryError, TypeError, KeyError, AttributeError) as err:
        if os.environ.get("VIZ3D_DEBUG"):
            raise
        print(f"viz3d: error: {unexpected_error_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:  # Ctrl-C (130), or a `Stopped` by a kill (143) or a hangup (129)
        say("viz3d: interrupted")
        return exit_status(getattr(err, "signum", signal.SIGINT))


def cmd_run(args: argparse.Namespace) -> int:
    from viz3d.app.live import run_preset

    run_preset(load(args), size=args.size, playing=not args.paused, max_frames=args.frames, device=device_of(args))
    return 0


def layer_argument(text: str) -> float | str:
    """--layer as a number where it reads as one (a position: everything on a command line is a string,
    and a Sequential's layers are named "0", "1", ...), else a name, a label or ``last``."""
    try:
        return float(text)
    except ValueError:
        return text


def cmd_render(args: argparse.Namespace) -> int:
    from viz3d.app.still import StillRequest, render_still

    preset = load(args)
    request = StillRequest(
        out=args.out,
        size=args.size,
        steps=args.steps,
        layer=args.layer,
        ui=not args.no_ui,
        force=args.force,
        device=device_of(args),
    )
    path = render_still(preset, request)
    print(path)
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from viz3d.app.recorder import RecordRequest, record

    if args.duration is not None and not 0 < args.duration < DAY:
        raise Viz3dError(f"--duration {args.duration:g}: pass seconds above zero and under a day, e.g. --duration 10")
    preset = load(args)
    request = RecordRequest(
        out=args.out,
        size=args.size,
        fps=args.fps,
        duration=args.duration,
        frames=args.frames,
        lossless=args.lossless,
        ui=not args.no_ui,
        steps=args.steps,
        force=args.force,
        device=device_of(args),
    )
    result = record(preset, request)
    if result.path is not None:
        say(str(result.path), stream=sys.stdout)  # the terminal may be gone (SIGHUP): the file is kept all the same
    return exit_status(result.signum) if result.interrupted else 0


def cmd_train(args: argparse.Namespace) -> int:
    import json

    from viz3d.app.preset_view import check_view, note_nothing_to_train
    from viz3d.train.session import session_from_preset

    preset = load(args)
    session = session_from_preset(preset, device=device_of(args))
    note_nothing_to_train(preset, session.trainable, args.steps)
    snapshot = session.tracker.snapshot()  # one probe forward: the layers the preset's view names, before training
    check_view(preset, snapshot.layer_names, snapshot.widths, snapshot.labels())
    session.train(preset.training.steps if args.steps is None else args.steps)
    final = session.final_stats()
    result = {
        "preset": preset.name,
        "step": session.step,
        "loss": None if final is None else _float32_digits(final.loss),
        "accuracy": None if final is None else _float32_digits(final.accuracy),
    }
    print(json.dumps(result))
    return 0


def _float32_digits(value: float | None) -> float | None:
    """A float32 figure as numpy prints it, the shortest that reads back the same: 0.907, not 0.9070000052452087."""
    import numpy as np

    return None if value is None else float(str(np.float32(value)))


def cmd_presets(args: argparse.Namespace) -> int:
    """The shipped presets, or a folder's: one line each, what it shows and what training reaches. A file
    in the folder that does not load is listed with its error, and the listing goes on (exit 2 after)."""
    from pathlib import Path

    from viz3d.errors import PresetError
    from viz3d.presets import known_presets, load_preset

    if args.folder is None:
        names = known_presets()
    else:
        folder = Path(args.folder)
        if not folder.is_dir():
            raise PresetError(f"{args.folder} is not a folder: pass a folder of .toml presets, or nothing for viz3d's")
        names = [str(path) for path in sorted(folder.glob("*.toml"), key=lambda path: path.stem)]  # as viz3d's are
        if not names:
            raise PresetError(f"no .toml presets in {args.folder}")
    width = max(len(Path(name).stem) for name in names) + 2
    broken = 0
    for name in names:
        try:
            preset = load_preset(name)
        except PresetError as err:
            broken += 1
            print(f"{Path(name).stem:<{width}}does not load: {str(err).removeprefix(f'{name}: ')}")
            continue
        reaches = f"  [{preset.accuracy}]" if preset.accuracy else ""  # what training reaches: what to expect
        print(f"{preset.name:<{width}}{preset.description or preset.title}{reaches}")
    return PresetError.exit_code if broken else 0


def cmd_layers(args: argparse.Namespace) -> int:
    """The layers a preset's model shows, as `--layer`, [view] layer, neuron_layer and keyframes name them."""
    from viz3d.train.session import session_from_preset

    preset = load(args)
    snapshot = session_from_preset(preset, device=device_of(args)).tracker.snapshot()  # one probe forward
    rows = list(zip(snapshot.layer_names, snapshot.labels(), snapshot.widths, strict=True))
    name_width = max(len("name"), *(len(name) for name, _, _ in rows))
    stages = " (stages = true: each Linear as W·x, then + b)" if preset.view.stages else ""
    print(f"{preset.name}: {len(rows)} layers{stages}; name one by position, name or label (a number is a position)")
    print(f"{'position':>8}  {'name':<{name_width}}  {'width':>5}  label")
    for position, (name, label, width) in enumerate(rows):
        print(f"{position:>8}  {name:<{name_width}}  {width:>5}  {label}")
    return 0


COMMANDS = {
    "run": cmd_run,
    "render": cmd_render,
    "record": cmd_record,
    "train": cmd_train,
    "layers": cmd_layers,
    "presets": cmd_presets,
}


if __name__ == "__main__":
    sys.exit(main())
