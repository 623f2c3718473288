"""Re-renders the pictures the README shows (docs/*.png) with the viz3d command itself.

Usage: .venv/bin/python scripts/render_docs.py   (overwrites the files in docs/, which it owns)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

DOCS = Path(__file__).resolve().parent.parent / "docs"
VIZ3D = [sys.executable, "-m", "viz3d.cli"]
LAYERS = ("0", "2", "4", "8")  # input, first tanh, second tanh, last tanh


def render(out: Path, *args: str) -> None:
    command = [*VIZ3D, "render", "spirals", "--out", str(out), "--force", *args]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    render(DOCS / "spirals.png", "--layer", "2", "--size", "1280x720")
    with tempfile.TemporaryDirectory() as tmp:
        panels = []
        for layer in LAYERS:
            path = Path(tmp) / f"{layer}.png"
            render(path, "--layer", layer, "--size", "640x360", "--no-ui", "--steps", "600")
            panels.append(Image.open(path).convert("RGB"))
    sheet = Image.new("RGB", (1280, 720))
    for index, panel in enumerate(panels):
        sheet.paste(panel, ((index % 2) * 640, (index // 2) * 360))
    sheet.save(DOCS / "spirals-layers.png")
    print("\n".join(str(p) for p in sorted(DOCS.glob("*.png"))))


if __name__ == "__main__":
    main()
