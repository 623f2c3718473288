"""Capture from the live window: R records what is on screen to video, S saves a screenshot.

Files go to ``recordings/`` (created when first needed) with a time stamp in their names, and never
replace an existing file. Video frames carry the wall-clock time they were shown, so the file plays at
the speed the demo ran; when the encoder falls behind, frames are dropped (and counted) rather than
slowing the window down.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from viz3d.app.output import write_atomically
from viz3d.app.video import FrameWriter

RECORDINGS = Path("recordings")
LIVE_FPS = 60


def stamped_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem-YYYYmmdd-HHMMSS.suffix``, with -2, -3 ... added if that name is taken."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{stem}-{datetime.now():%Y%m%d-%H%M%S}"
    candidate = folder / f"{base}{suffix}"
    count = 1
    while candidate.exists():
        count += 1
        candidate = folder / f"{base}-{count}{suffix}"
    return candidate


class ScreenCapture:
    def __init__(self, stem: str, folder: Path = RECORDINGS) -> None:
        self.stem = stem
        self.folder = folder
        self.writer: FrameWriter | None = None
        self.path: Path | None = None
        self._started = 0.0

    @property
    def recording(self) -> bool:
        return self.writer is not None

    def start(self, size: tuple[int, int]) -> Path:
        self.path = stamped_path(self.folder, self.stem, ".mp4")
        self.writer = FrameWriter(str(self.path), size, LIVE_FPS, timed=True)
        self._started = time.perf_counter()
        return self.path

    def add(self, pixels: np.ndarray) -> bool:
        """Hand one frame to the encoder; False when it could not keep up (the frame is dropped)."""
        if self.writer is None:
            return False
        return self.writer.offer(pixels, time.perf_counter() - self._started)

    def stop(self) -> tuple[Path | None, int, int]:
        """Finish the video; returns (path, frames written, frames dropped)."""
        assert self.writer is not None
        writer, self.writer = self.writer, None
        path = writer.close()
        return path, writer.frames, writer.dropped

    def screenshot(self, pixels: np.ndarray, detail: str = "") -> Path:
        """Save ``pixels`` as a PNG named from the stem, ``detail`` (what it shows: layer, step) and the time."""
        path = stamped_path(self.folder, f"{self.stem}-{detail}" if detail else self.stem, ".png")
        return write_atomically(path, lambda tmp: Image.fromarray(pixels).save(tmp, format="PNG"))
