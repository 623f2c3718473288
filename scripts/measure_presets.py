"""Trains every preset with its defaults, times it, renders its thumbnail, and prints the README table.

Usage: .venv/bin/python scripts/measure_presets.py [PRESET ...]
Thumbnails go to docs/presets/<name>.png (this script owns that folder and overwrites it).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import torch

from viz3d.presets import known_presets, load_preset
from viz3d.train.session import session_from_preset

DOCS = Path(__file__).resolve().parent.parent / "docs" / "presets"


def measure(name: str) -> str:
    preset = load_preset(name)
    session = session_from_preset(preset)
    started = time.perf_counter()
    session.train(preset.training.steps)
    seconds = time.perf_counter() - started
    result = session.evaluate() if session.evaluate is not None else None
    if result is None:
        score = "exact (fixed map)"
    elif result.accuracy is None:
        score = f"MSE {result.loss:.1e}"
    else:
        score = f"{100 * result.accuracy:.1f}%"
    thumbnail = DOCS / f"{name}.png"
    command = [sys.executable, "-m", "viz3d.cli", "render", name, "--out", str(thumbnail), "--force"]
    subprocess.run([*command, "--size", "480x270", "--no-ui"], check=True, stdout=subprocess.DEVNULL)
    return (
        f"| `{name}` | {preset.description} | {score} | {preset.training.steps} steps, {seconds:.1f} s |"
        f" ![{name}](docs/presets/{name}.png) |"
    )


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    print("| preset | what it shows | training accuracy (defaults) | training time (CPU) | picture |")
    print("| --- | --- | --- | --- | --- |")
    for name in sys.argv[1:] or known_presets():
        print(measure(name), flush=True)


if __name__ == "__main__":
    main()
