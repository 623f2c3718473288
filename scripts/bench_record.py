"""Benchmark: what recording costs. Frames per second at 1280x720 with 100k points, three ways, in one run:

- render: draw the frame (4x multisampled) and wait for it;
- render + read back: also resolve and read the pixels, as every recording must;
- record: also encode them to H.264 (the encoder runs on its own thread, as in `viz3d record`).

Usage: .venv/bin/python scripts/bench_record.py [--points 100000] [--frames 60] [--size 1280x720]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from viz3d.render.platform import use_headless


def build_scene(points: int):
    from viz3d.capture.probe import make_probe
    from viz3d.train.session import TrainingSession

    torch.manual_seed(0)
    x = torch.randn(points, 2)
    labels = (x[:, 0] * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 2))
    session = TrainingSession(model, make_probe(x, labels, 21, 121, 0.1), None)
    return session, session.capture()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    use_headless()
    from OpenGL import GL

    from viz3d.app.state import ViewState
    from viz3d.app.video import FrameWriter
    from viz3d.render.context import open_headless
    from viz3d.render.multisample import MultisampleTarget
    from viz3d.render.renderer import FrameRenderer

    session, projection = build_scene(args.points)
    context = open_headless()
    renderer = FrameRenderer()
    renderer.set_probe(session.probe)
    renderer.set_projection(projection)
    target = MultisampleTarget(size)
    state = ViewState(n_layers=len(projection.layer_names))

    def frames(work) -> float:
        for index in range(3):  # warm up: shader compilation, first uploads
            work(index)
        started = time.perf_counter()
        for index in range(args.frames):
            work(index)
        return args.frames / (time.perf_counter() - started)

    def render(index: int) -> None:
        state.set_layer((index % 40) / 40 * (state.n_layers - 1))
        state.camera.azimuth += 1.0
        target.bind()
        renderer.draw(state, size)
        GL.glFinish()

    render_fps = frames(render)
    readback_fps = frames(lambda i: (render(i), target.read()))
    with tempfile.TemporaryDirectory() as folder:
        writer = FrameWriter(str(Path(folder) / "bench.mp4"), size, 60)
        record_fps = frames(lambda i: (render(i), writer.write(target.read())))
        writer.close()
    target.release()
    context.close()
    print(f"recording benchmark: {args.points:,} points, {size[0]}x{size[1]}, {args.frames} frames each")
    print("| what | frames per second | relative to render |")
    print("| --- | --- | --- |")
    for name, fps in (("render", render_fps), ("render + read back", readback_fps), ("record (H.264)", record_fps)):
        print(f"| {name} | {fps:.1f} | {fps / render_fps:.2f} |")


if __name__ == "__main__":
    main()
