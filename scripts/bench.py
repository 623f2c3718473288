"""viz3d's speed, measured side by side in one run: prints a markdown table (and writes JSON).

Sections (every comparison is measured in this same run, on this machine):
- render: frame time of viz3d's morphing renderer (warped grid, 6 layers), of a floor (a minimal gloo
  program drawing the same points from a static buffer), and of what a user would pick instead
  (vispy's SceneCanvas with visuals.Markers, headless through vispy's EGL backend, in a subprocess):
  as it comes (antialias 1, round dots with a soft edge as viz3d's, in sprites of 10 pixels for a size
  of 4) and without antialiasing (sprites of 4 pixels, as viz3d's, hard-edged). Every frame is drawn at
  1280x720 and read back, so all of them finish the same work, and their frames take turns.
- training_overhead: mnist training steps per second with capture + projection every 10 steps,
  divided by training alone.
- projection: PCA-projecting and aligning one snapshot (100k x 512) against scikit-learn's PCA (and
  scipy's Procrustes rotation for the alignment).
- latency_frames_p95: frames from the end of the training step that produced a snapshot to the first
  frame that shows it (counting that frame), with training on its thread and a render loop paced at
  60 frames per second at most, as the window's vsync paces it.
- live: the live path a talk runs (spirals drawing 1M points and its warped grid at 1920x1080, the
  model training in its thread on the preset's data, each capture pushing all 1M points through it and
  uploading them), frames per second drawn unpaced: the target is 60 with training on CUDA.
- memory: resident memory for 1M points x 8 layers uploaded, and the weight history after 10,000
  steps of the mnist model with capture every 10.

Usage: .venv/bin/python scripts/bench.py [--quick] [--json FILE [--force]] [--device cuda]
(--quick: up to 100k points, fewer frames; about 25 s on a 2-core machine, a full run about 70 s.
--device: where the models train and PCA runs; scikit-learn and the renderers stay where they are.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

SIZE = (1280, 720)
LIVE_SIZE = (1920, 1080)
POINT_SIZE = 4.0


# --- render -------------------------------------------------------------------------------------------


def render_section(sizes: list[int], frames: int) -> list[dict]:
    from OpenGL import GL

    from viz3d.render.renderer import Offscreen

    GL.glEnable(GL.GL_PROGRAM_POINT_SIZE)
    target = Offscreen(SIZE)
    results = []
    for n in sizes:  # a size that fails (out of memory at 1M, say) keeps the rows measured before it
        result = {"points": n, **measured(f"render at {n:,} points", lambda n=n: render_at(n, frames, target))}
        results.append(result)
        print(f"  render {n:>9,} points: {result}", file=sys.stderr)
    return results


def render_at(n: int, frames: int, target) -> dict:  # noqa: ANN001 - an Offscreen
    """viz3d's renderer (6 layers, warped grid), the floor program and vispy's Markers on the same n points,
    frames of each taking turns (`time_interleaved`)."""
    from vispy import gloo

    from viz3d.app.state import ViewState
    from viz3d.capture.probe import ProbeSet, grid_lattice
    from viz3d.project.projection import Projection
    from viz3d.render.readback import PixelReader
    from viz3d.render.renderer import FrameRenderer

    rng = np.random.default_rng(0)
    coords, segments = grid_lattice(np.array([-1.0, -1.0]), np.array([1.0, 1.0]), 21, 121)
    layers = 6
    positions = rng.normal(size=(layers, n + len(coords), 3)).astype(np.float32) * 0.5
    for layer in range(layers):  # the grid rows: the lattice, bent a little differently in each layer
        bend = 0.3 * np.sin((layer + 1) * coords[:, :1] * 2.0) * np.cos(coords[:, 1:] * 2.0)
        positions[layer, n:] = np.hstack([coords, bend]).astype(np.float32)
    probe = ProbeSet(
        inputs=torch.zeros(0, 2), n_data=n, labels=rng.integers(0, 10, n), grid_coords=coords, grid_segments=segments
    )
    names = [f"layer{i}" for i in range(layers)]
    renderer = FrameRenderer()
    renderer.set_probe(probe)
    renderer.set_projection(Projection(0, names, names, positions, np.zeros((layers, 10)), np.ones(layers)))
    state = ViewState(n_layers=layers, point_size=POINT_SIZE)
    floor = gloo.Program(FLOOR_VERTEX, FLOOR_FRAGMENT)
    floor["a_position"] = gloo.VertexBuffer(positions[0, :n])
    floor["u_point_size"] = POINT_SIZE
    floor_reader = PixelReader()

    def viz3d_frame(index: int) -> None:
        state.set_layer((index * 0.13) % (layers - 1))
        state.camera.azimuth += 0.5
        with target.fbo:
            renderer.draw(state, SIZE)
            renderer.read_pixels(SIZE)

    def floor_frame(index: int) -> None:
        state.camera.azimuth += 0.5
        with target.fbo:
            gloo.set_viewport(0, 0, *SIZE)
            gloo.set_state(depth_test=True, blend=False)  # viz3d's frame leaves blending on: the floor has none
            gloo.clear(color=True, depth=True)
            floor["u_view_proj"] = state.camera.view_proj(SIZE[0] / SIZE[1])
            floor.draw("points")
            floor_reader.read(SIZE)  # read back as viz3d's frame is, so both finish the same work

    timed = {"viz3d_ms": viz3d_frame, "floor_ms": floor_frame}
    with MarkersProcess(positions[0, :n]) as markers:
        if markers.ready:
            timed["markers_ms"] = lambda _index: markers.frame(antialias=1.0)
            timed["markers_no_aa_ms"] = lambda _index: markers.frame(antialias=0.0)
        result = time_interleaved(timed, frames)
        if not markers.ready:  # it died while timed: its figures are not measurements
            result.pop("markers_ms", None)
            result.pop("markers_no_aa_ms", None)
    return {"markers_ms": None, "markers_no_aa_ms": None, **result}


FLOOR_VERTEX = """
#version 330 core
uniform mat4 u_view_proj;
uniform float u_point_size;
in vec3 a_position;
void main() { gl_Position = u_view_proj * vec4(a_position, 1.0); gl_PointSize = u_point_size; }
"""
FLOOR_FRAGMENT = """
#version 330 core
out vec4 f_color;
void main() { f_color = vec4(1.0, 0.6, 0.0, 1.0); }
"""


def time_interleaved(frames: dict, count: int, block: int = 4) -> dict[str, float]:
    """Median milliseconds per frame of each renderer, after two warm-up frames each.

    The renderers take turns in blocks of ``block`` frames, so that all of them see the same machine
    load: on a shared 2-core machine, timing one renderer after the other moved the ratio by 0.1, and
    vispy's Markers timed after viz3d had moved by 2x between runs (a review). A frame function that
    returns a number has timed itself (seconds): one drawn in another process.
    """
    for frame in frames.values():
        for index in range(2):
            frame(index)
    times: dict[str, list[float]] = {name: [] for name in frames}
    index = 0
    while min(len(taken) for taken in times.values()) < count:
        for name, frame in frames.items():
            for _ in range(block):
                started = time.perf_counter()
                took = frame(index)
                times[name].append(time.perf_counter() - started if took is None else took)
                index += 1
    return {name: 1000 * statistics.median(taken) for name, taken in times.items()}


MARKERS_CHILD = """
import os, sys, time
os.environ["PYOPENGL_PLATFORM"] = "egl"; os.environ.setdefault("EGL_PLATFORM", "surfaceless")
import numpy as np
from OpenGL import GL
from vispy import app, gloo, scene
app.use_app("egl")
points = np.load(sys.argv[1])
width, height = 1280, 720
canvas = scene.SceneCanvas(size=(width, height), show=False, bgcolor="black")
view = canvas.central_widget.add_view(); view.camera = "turntable"
markers = scene.visuals.Markers(parent=view.scene)
markers.set_data(points, size=4, face_color=(1, 0.6, 0, 1), edge_width=0)
# One framebuffer and one readback buffer for every frame, as viz3d and the floor have: canvas.render()
# makes a framebuffer and a new image each time, which cost Markers 10-35 ms a frame more than the drawing.
target = gloo.FrameBuffer(color=gloo.RenderBuffer((height, width)), depth=gloo.RenderBuffer((height, width)))
pixels = np.empty((height, width, 3), np.uint8)
def frame():
    canvas.push_fbo(target, (0, 0), (width, height))
    try:
        canvas.context.clear(color=canvas.bgcolor, depth=True)
        canvas.draw_visual(canvas.scene)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE, pixels)
    finally:
        canvas.pop_fbo()
for antialias in (1.0, 0.0):
    markers.antialias = antialias
    frame()
    if not (pixels.max(axis=2) > 100).sum() > len(points) // 100:
        sys.exit("vispy Markers drew (next to) nothing")
print("ready", flush=True)
for line in sys.stdin:  # one frame a line, drawn with the antialias the line gives; answers its seconds
    markers.antialias = float(line)
    view.camera.azimuth += 0.5
    started = time.perf_counter(); frame(); print(time.perf_counter() - started, flush=True)
"""


class MarkersProcess:
    """vispy's Markers drawing ``points`` in its own process (its EGL context must not meet ours), a frame
    at a time, so that its frames take turns with viz3d's. ``ready`` is False where it could not start
    (vispy's EGL backend asks for EGL's default display, which not every driver gives without X)."""

    def __init__(self, points: np.ndarray) -> None:
        import tempfile

        self._file = tempfile.NamedTemporaryFile(suffix=".npy", delete=False)  # noqa: SIM115 - removed on exit
        np.save(self._file, np.ascontiguousarray(points, np.float32))
        self._file.close()
        # the child's warnings go to a file, not a pipe, which a full pipe would block
        self._errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed on exit
        self._child = subprocess.Popen(
            [sys.executable, "-c", MARKERS_CHILD, self._file.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )
        self.ready = self._child.stdout.readline().strip() == "ready"
        if not self.ready:
            self._fail(f"vispy Markers at {len(points):,} points failed")

    def frame(self, antialias: float) -> float:
        """Seconds the child took to draw and read back one frame (vispy's default antialias is 1); NaN once
        it has died (its figures are then left out, and viz3d's and the floor's kept)."""
        if not self.ready:
            return math.nan
        try:
            self._child.stdin.write(f"{antialias}\n")
            self._child.stdin.flush()
            return float(self._child.stdout.readline())
        except (OSError, ValueError):  # a closed pipe, or no line: the child is gone
            self.ready = False
            self._fail("vispy Markers stopped")
            return math.nan

    def _fail(self, what: str) -> None:
        """Say why the child stopped (its last line of errors), after making sure it has."""
        self._stop()
        self._errors.seek(0)
        last = (self._errors.read().strip().splitlines() or ["no output"])[-1]
        print(f"  {what}: {last}", file=sys.stderr)

    def _stop(self) -> None:
        if self._child.stdin and not self._child.stdin.closed:
            with contextlib.suppress(OSError):  # a broken pipe: the child is gone already
                self._child.stdin.close()  # a running child finishes its loop and exits
        try:
            self._child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()

    def __enter__(self) -> MarkersProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop()
        self._errors.close()
        os.unlink(self._file.name)


# --- training overhead -----------------------------------------------------------------------------


def training_overhead(steps: int, device: str = "cpu") -> dict:
    """Blocks of 10 steps alone and 10 steps + capture, interleaved on one session; ratio of the medians.

    Interleaving puts both under the same machine load, and medians drop the blocks that a neighbour's
    burst slowed down: on a shared 2-core machine, back-to-back totals varied by 10% between runs.
    """
    from viz3d.presets import load_preset
    from viz3d.train.session import session_from_preset

    session = session_from_preset(load_preset("mnist"), device)
    session.train(5)
    alone, watched = [], []
    for _ in range(max(1, steps // 20)):
        started = time.perf_counter()
        session.capture()  # first, so that the step it may save (a shared forward) lands in this block
        session.train(10)
        watched.append(time.perf_counter() - started)
        started = time.perf_counter()
        session.train(10)
        alone.append(time.perf_counter() - started)
    alone_s, watched_s = statistics.median(alone), statistics.median(watched)
    return {"ratio": alone_s / watched_s, "steps_per_s_alone": 10 / alone_s, "steps_per_s_with_capture": 10 / watched_s}


# --- projection ----------------------------------------------------------------------------------


def projection_section(points: int, dims: int, layers: int, device: str = "cpu") -> dict:
    """viz3d projecting a snapshot and aligning it to the picture before, against scikit-learn's PCA and
    scipy's Procrustes doing the same; the same algorithm as viz3d's is timed too (a review: scikit-learn
    picks a randomized solver for 4,000 x 512, where viz3d takes the covariance's eigenvectors)."""
    from scipy.linalg import orthogonal_procrustes
    from sklearn.decomposition import PCA

    import viz3d

    rng = np.random.default_rng(0)
    spectrum = np.r_[np.linspace(6, 2, 10), np.full(dims - 10, 0.5)]
    arrays = [(rng.normal(size=(points, dims)) * spectrum).astype(np.float32) for _ in range(layers)]
    names = [f"layer{i}" for i in range(layers)]
    snapshot = viz3d.Snapshot(
        0, names, ["Linear"] * layers, {n: torch.from_numpy(a).to(device) for n, a in zip(names, arrays, strict=True)}
    )
    from viz3d.project.projection import fit_subset

    fitted = fit_subset(None, points)  # viz3d fits on these evenly strided rows, then projects every row
    previous = viz3d.project(snapshot)  # the picture before, which each layer is rotated onto (untimed)
    before = [previous.positions[layer] for layer in range(layers)]

    def ours() -> None:
        viz3d.project(snapshot, previous=previous)

    def aligned(coords: np.ndarray, layer: int, rows: slice = slice(None)) -> np.ndarray:
        """The first three components rotated onto the picture before, as viz3d aligns them (scipy)."""
        rotation, _ = orthogonal_procrustes(coords[rows, :3], before[layer][rows])
        return coords[:, :3] @ rotation

    def theirs() -> None:  # what a user would write: PCA of every row, aligned on every row
        for layer, array in enumerate(arrays):
            aligned(PCA(n_components=10).fit_transform(array), layer)

    def theirs_on_our_rows() -> None:  # viz3d's algorithm: the covariance's eigenvectors from the strided rows
        for layer, array in enumerate(arrays):
            pca = PCA(n_components=10, svd_solver="covariance_eigh").fit(array[fitted])
            aligned(pca.transform(array), layer, fitted)

    timed = {"viz3d_ms": ours, "sklearn_ms": theirs, "sklearn_same_rows_ms": theirs_on_our_rows}
    taken: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(2):  # each in a block of runs after one untimed: alternating run by run, each library's
        for name, run in timed.items():  # idle thread pool spun on the 2 cores and tripled the other's time
            run()
            for _ in range(3):
                started = time.perf_counter()
                run()
                taken[name].append(1000 * (time.perf_counter() - started))
    medians = {name: statistics.median(values) for name, values in taken.items()}
    fit_rows = len(range(*fitted.indices(points)))
    return {"points": points, "dims": dims, "layers": layers, "fit_rows": fit_rows, **medians}


# --- latency -------------------------------------------------------------------------------------


def latency_section(frames: int, device: str = "cpu") -> dict:
    from viz3d.app.state import ViewState
    from viz3d.presets import load_preset
    from viz3d.render.renderer import FrameRenderer, Offscreen
    from viz3d.train.mailbox import Mailbox
    from viz3d.train.session import session_from_preset
    from viz3d.train.thread import TrainingThread

    preset = load_preset("spirals")
    session = session_from_preset(preset, device)
    ended: dict[int, float] = {}
    train_step = session.train_step

    def timed_step():
        stats = train_step()
        ended[session.step] = time.perf_counter()
        return stats

    session.train_step = timed_step  # type: ignore[method-assign]
    mailbox: Mailbox = Mailbox()
    thread = TrainingThread(session, mailbox, capture_every=10, steps_per_cycle=1)  # unpaced: as fast as it goes
    renderer = FrameRenderer()
    renderer.set_probe(session.probe)
    target = Offscreen(SIZE)
    state = ViewState(n_layers=10)
    frame_starts: list[float] = []
    latencies = []
    thread.start()
    next_frame = time.perf_counter()
    try:
        for _ in range(frames):
            next_frame += 1 / 60  # like the window's vsync: no frame starts before its 1/60 s slot
            time.sleep(max(0.0, next_frame - time.perf_counter()))
            next_frame = max(next_frame, time.perf_counter())
            frame_starts.append(time.perf_counter())
            projection = mailbox.take()
            if projection is not None:
                renderer.set_projection(projection)
                if projection.step in ended:
                    produced = ended[projection.step]
                    latencies.append(sum(1 for start in frame_starts if start >= produced))
            with target.fbo:
                renderer.draw(state, SIZE)
                renderer.read_pixels(SIZE)
    finally:
        thread.stop()
    return {"p95": float(np.percentile(latencies, 95)) if latencies else float("nan"), "samples": len(latencies)}


# --- live ----------------------------------------------------------------------------------------


def live_section(points: int, size: tuple[int, int], seconds: float, device: str) -> dict:
    """The live path as a talk runs it: spirals drawing ``points`` points and its warped grid, training on
    ``device`` in its thread (paced as the window paces it), every new picture uploaded, frames drawn
    unpaced at ``size`` and finished (glFinish) one by one; frames per second is the headroom over 60."""
    from OpenGL import GL

    from viz3d.app.live import FRAME_RATE
    from viz3d.app.state import ViewState
    from viz3d.presets import load_preset, with_points
    from viz3d.render.renderer import FrameRenderer, Offscreen
    from viz3d.train.mailbox import Mailbox
    from viz3d.train.session import session_from_preset
    from viz3d.train.thread import TrainingThread

    preset = with_points(load_preset("spirals"), points)
    session = session_from_preset(preset, device)
    mailbox: Mailbox = Mailbox()
    thread = TrainingThread(
        session, mailbox, preset.training.capture_every, steps_per_second=preset.training.steps_per_frame * FRAME_RATE
    )
    renderer = FrameRenderer()
    renderer.set_probe(session.probe)
    renderer.set_projection(session.capture())
    target = Offscreen(size)
    state = ViewState.from_spec(preset.view, n_layers=len(renderer.projection.layer_names))
    frame_times, shown = [], 0
    thread.start()
    try:
        first_step, started = session.step, time.perf_counter()
        while time.perf_counter() - started < seconds:
            frame_started = time.perf_counter()
            projection = mailbox.take()
            if projection is not None:
                renderer.set_projection(projection)
                shown += 1
            state.camera.azimuth += 0.5
            with target.fbo:
                renderer.draw(state, size)
                GL.glFinish()
            frame_times.append(time.perf_counter() - frame_started)
        elapsed, steps = time.perf_counter() - started, session.step - first_step
    finally:
        thread.stop()
    return {
        "points": points,
        "size": f"{size[0]}x{size[1]}",
        "device": str(device),
        "fps": len(frame_times) / elapsed,
        "frame_ms_p95": 1000 * float(np.percentile(frame_times, 95)),
        "steps_per_s": steps / elapsed,
        "pictures_shown": shown,
    }


# --- memory --------------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_section(points: int) -> dict:
    from viz3d.presets import load_preset
    from viz3d.render.visuals import LayerPositions
    from viz3d.train.history import WeightHistory
    from viz3d.train.models import make_model

    before = rss_mb()
    positions = LayerPositions()
    positions.upload(np.random.default_rng(0).normal(size=(8, points, 3)).astype(np.float32))
    from vispy import gloo

    gloo.flush()
    after = rss_mb()
    model = make_model(load_preset("mnist").model, 784, 10)
    history = WeightHistory()
    for step in range(0, 10_001, 10):
        history.record(step, model)
    return {
        "points": points,
        "layers": 8,
        "rss_mb": after,
        "rss_added_mb": after - before,
        "gpu_mb": gpu_memory_mb(),
        "history_mb": history.nbytes / 2**20,
        "history_checkpoints": len(history),
    }


def gpu_memory_mb() -> float | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return float(out.stdout.split()[0])
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return None  # no NVIDIA GPU here (Mesa llvmpipe keeps textures in ordinary memory, counted above)


# --- main -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="up to 100k points, fewer frames (< 30 s on 2 cores)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--force", action="store_true", help="overwrite the --json file if it exists")
    parser.add_argument("--device", default="cpu", help="where models train and PCA runs: cpu (default), cuda, ...")
    args = parser.parse_args()
    from viz3d.app.output import check_output
    from viz3d.cli import device_of
    from viz3d.errors import Viz3dError

    try:  # checked before anything is measured, not after minutes of it
        device_of(args)
        if args.json:
            check_output(args.json, force=args.force, suffixes=(".json",))
    except Viz3dError as err:
        parser.exit(2, f"bench: error: {err}\n")

    from viz3d.render.platform import use_headless

    use_headless()
    from viz3d.render.context import open_headless

    context = open_headless()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    live_points, live_seconds = (100_000, 4.0) if args.quick else (1_000_000, 8.0)
    started = time.perf_counter()
    sections = {
        "render": lambda: render_section(sizes, frames=8 if args.quick else 20),
        "training_overhead": lambda: training_overhead(steps=100 if args.quick else 300, device=args.device),
        "projection": lambda: projection_section(100_000, 512, 1, device=args.device),
        "latency_frames_p95": lambda: latency_section(frames=120 if args.quick else 400, device=args.device)["p95"],
        "memory": lambda: memory_section(1_000_000),  # before the live section, whose million points would count
        "live": lambda: live_section(live_points, LIVE_SIZE, live_seconds, args.device),
    }
    figures: dict = {"machine": machine_description()}
    for name, measure in sections.items():
        figures[name] = measured(name, measure)
    figures["seconds"] = time.perf_counter() - started
    context.close()
    print(markdown(figures))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(without_nan(figures), out, indent=2)
    failed = [name for name, value in figures.items() if isinstance(value, dict) and "error" in value]
    failed += [f"render at {r['points']:,} points" for r in figures["render"] if isinstance(r, dict) and "error" in r]
    if failed:
        sys.exit(f"bench: {', '.join(failed)} failed (see above); the other figures were measured")


def measured(name: str, measure):  # noqa: ANN001, ANN201 - any section's figures
    """A section's figures, or {"error": ...} where it fails: the other sections still run, since a GPU
    machine may be lent for a short while and one failure should not cost the whole run."""
    try:
        return measure()
    except Exception as err:  # noqa: BLE001 - reported in the table and the exit status
        from viz3d.errors import error_summary

        print(f"  {name} failed: {error_summary(err)}", file=sys.stderr)
        return {"error": error_summary(err)}


def without_nan(figures):  # noqa: ANN001, ANN201 - any JSON-able value
    """``figures`` with NaN (a figure that could not be measured) as null: NaN is not JSON."""
    if isinstance(figures, dict):
        return {key: without_nan(value) for key, value in figures.items()}
    if isinstance(figures, list):
        return [without_nan(value) for value in figures]
    return None if isinstance(figures, float) and figures != figures else figures


def machine_description() -> str:
    from OpenGL import GL

    renderer = GL.glGetString(GL.GL_RENDERER).decode()
    return f"{os.cpu_count()} CPU cores, {renderer}, torch {torch.__version__}"


def markdown(f: dict) -> str:
    lines = [f"Machine: {f['machine']}; the whole run took {f['seconds']:.0f} s.", ""]
    if "error" in f["render"]:
        lines.append(f"Render: failed: {f['render']['error']}")
    else:
        lines += ["| points | viz3d ms | floor ms | Markers ms (no AA) | viz3d / floor | Markers / viz3d (no AA) |",
                  "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for r in f["render"]:
            if "error" in r:
                lines.append(f"| {r['points']:,} | failed: {r['error']} | | | | |")
                continue
            markers, ratio = ("failed", "-") if r["markers_ms"] is None else (
                f"{r['markers_ms']:.1f} ({r['markers_no_aa_ms']:.1f})",
                f"{r['markers_ms'] / r['viz3d_ms']:.2f} ({r['markers_no_aa_ms'] / r['viz3d_ms']:.2f})")  # fmt: skip
            lines.append(
                f"| {r['points']:,} | {r['viz3d_ms']:.1f} | {r['floor_ms']:.1f} | {markers} "
                f"| {r['viz3d_ms'] / r['floor_ms']:.2f} | {ratio} |"
            )

    def row(what: str, key: str, value) -> str:  # noqa: ANN001 - formats one section's figures
        figures = f[key]
        shown = f"failed: {figures['error']}" if isinstance(figures, dict) and "error" in figures else value(figures)
        return f"| {what} | {shown} |"

    live = f["live"]
    live_what = "live: spirals drawing its points + grid"
    if "error" not in live:
        live_what = f"live: spirals drawing {live['points']:,} points + grid at {live['size']}"
        live_what += f", training on {live['device']}"
    lines += [
        "",
        "| figure | value |",
        "| --- | --- |",
        row("training with capture every 10 steps / training alone (mnist)", "training_overhead",
            lambda t: f"{t['ratio']:.2f}"),
        row("projection + alignment of 100,000 x 512 (1 layer): viz3d / scikit-learn + scipy", "projection",
            lambda p: (f"{p['viz3d_ms']:.0f} ms / {p['sklearn_ms']:.0f} ms = "
                       f"{p['sklearn_ms'] / p['viz3d_ms']:.1f}x faster")),
        row("the same, scikit-learn with viz3d's algorithm (covariance eigenvectors of the same rows)", "projection",
            lambda p: (f"{p['viz3d_ms']:.0f} ms / {p['sklearn_same_rows_ms']:.0f} ms on {p['fit_rows']:,} rows = "
                       f"{p['sklearn_same_rows_ms'] / p['viz3d_ms']:.1f}x faster")),
        row("latency, training step to first frame showing it (p95)", "latency_frames_p95",
            lambda p95: f"{p95:.1f} frames"),
        row(live_what, "live",
            lambda v: f"{v['fps']:.1f} fps (p95 {v['frame_ms_p95']:.0f} ms), {v['steps_per_s']:.0f} steps/s"),
        row("resident memory with 1M points x 8 layers uploaded", "memory",
            lambda m: f"{m['rss_mb']:.0f} MB ({m['rss_added_mb']:+.0f} MB)"),
        row("GPU memory", "memory",
            lambda m: "n/a (no NVIDIA GPU)" if m["gpu_mb"] is None else f"{m['gpu_mb']:.0f} MB"),
        row("weight history after 10,000 steps (mnist, capture every 10)", "memory",
            lambda m: f"{m['history_mb']:.0f} MB in {m['history_checkpoints']} checkpoints"),
    ]  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    main()
