"""Writing frames to files: H.264 .mp4, lossless FFV1 .mkv, or a numbered PNG sequence (a folder).

Frames are encoded on a thread of their own and go to a temporary name beside the target, the
recording's own (``.name.partial-PID-TOKEN.mp4``: two recordings to one name never share one file),
which is renamed onto the target when `close` runs, so a file at the target name is always a
finished take. An unfinished recording (Ctrl-C, a failed step) is renamed beside it as
``name.interrupted.mp4`` (``-2``, ``-3``, ... where that exists), so what was rendered is never lost
and nothing is replaced. A partial file no recording holds a lock on (one ended by ``kill -9``) is
removed by the next recording to that name. H.264 needs
even sizes for 4:2:0 colour; an odd size is encoded as 4:4:4 instead (same pixels, no resizing),
and the writer says so. A PNG sequence goes into a new folder, or into an existing one that holds
frames and nothing else: ``--force`` deletes its ``frame-NNNNNN.png`` files and moves the new ones in,
and never touches anything the user put there, nor the folder itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import queue
import re
import secrets
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from viz3d.errors import OutputPathError

H264_CRF = 18  # visually lossless on a projector
H264_PRESET = "fast"
FRAME_NAME = re.compile(r"frame-\d{6}\.png")  # the files of a PNG sequence, frame-000000.png ...
FILE_MANAGER_NOTES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})  # never ours to count or delete


def output_kind(out: str, lossless: bool) -> str:
    """``png`` for a folder path (ending in /), else ``mkv`` (lossless) or ``mp4``."""
    if out.endswith(("/", os.sep)):
        return "png"
    suffix = Path(out).suffix.lower()
    if lossless:
        if suffix != ".mkv":
            raise OutputPathError(
                "--lossless (lossless=True) writes FFV1 video: name the file .mkv (or a folder ending in / for PNGs)"
            )
        return "mkv"
    if suffix == ".mkv":
        raise OutputPathError(f"cannot write {out}: an .mkv is lossless FFV1: add --lossless (lossless=True)")
    if suffix != ".mp4" and Path(out).is_dir():
        raise OutputPathError(f"cannot write {out}: it is a folder: for a PNG per frame in it, end it with / ({out}/)")
    if suffix != ".mp4":
        raise OutputPathError(
            f"cannot write {out}: name an .mp4 file (or an .mkv with --lossless / lossless=True, or a folder/)"
        )
    return "mp4"


class FrameWriter:
    """Write RGB uint8 frames of one size; use as a context manager so `close` always runs.

    Encoding runs on a thread of its own, fed through a short queue: the renderer draws the next
    frame while this one is encoded, and the encoder's floating-point state is its own. (On the GL
    thread, Mesa's CPU rasteriser changes that state, and x264 then encoded the same frames
    differently from one run to the next.)
    """

    QUEUE_FRAMES = 4

    def __init__(
        self,
        out: str,
        size: tuple[int, int],
        fps: int,
        lossless: bool = False,
        force: bool = False,
        timed: bool = False,
    ) -> None:
        self.kind = output_kind(out, lossless)
        self.timed = timed  # frames carry their own times (the live window), not one per 1/fps
        self.force = force
        self.target = Path(out.rstrip("/" + os.sep))
        self.size = size
        self.fps = fps
        self.frames = 0  # frames handed over
        self.dropped = 0  # frames `offer` let go because the encoder was behind
        self.note = ""
        suffix = "" if self.kind == "png" else self.target.suffix
        named = self.target.resolve()  # "./" or "." has no name of its own to put .partial beside
        token = secrets.token_hex(3)  # another container's process may have this number too
        self.partial = named.with_name(f".{named.name}.partial-{os.getpid()}-{token}{suffix}")
        _remove_orphans(named, suffix)
        if self.kind == "png":
            self.partial.mkdir(parents=True)
        else:
            self.partial.touch(exist_ok=False)
        self._lock: int | None = _hold(self.partial)  # held while recording: what tells a partial from an orphan
        width, height = size
        if self.kind == "mp4" and (width % 2 or height % 2):
            even = f"{width + width % 2}x{height + height % 2}"
            self.note = (
                f"{width}x{height} is odd: encoded as H.264 4:4:4, which QuickTime, PowerPoint, Keynote and most "
                f"browsers do not play; for slides, record at an even size such as {even}"
            )
        self._queue: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue(maxsize=self.QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._encode_all, name="viz3d-encoder", daemon=True)
        self._thread.start()

    # --- the caller's side ---------------------------------------------------------------------
    def write(self, frame: np.ndarray) -> None:
        """Queue one frame, waiting while the encoder is behind (a recording must not drop frames)."""
        self._check(frame)
        self._queue.put((frame, self.frames / self.fps))
        self.frames += 1

    def offer(self, frame: np.ndarray, time: float) -> bool:
        """Queue one frame shown at ``time`` seconds if the encoder keeps up; else drop and count it."""
        self._check(frame)
        try:
            self._queue.put_nowait((frame, time))
        except queue.Full:
            self.dropped += 1
            return False
        self.frames += 1
        return True

    def _check(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise OutputPathError(f"cannot write {self.target}: {self._error}")
        height, width = frame.shape[:2]
        if (width, height) != self.size:
            raise ValueError(f"frame is {width}x{height}, the writer expects {self.size[0]}x{self.size[1]}")

    def close(self, complete: bool = True) -> Path | None:
        """Finish the file and move it onto the target name; returns where it went (see `_finish`)."""
        try:
            return self._finish(complete)
        finally:
            if self._lock is not None:
                os.close(self._lock)  # the partial, if one is left, is an orphan from now on
                self._lock = None

    def _finish(self, complete: bool) -> Path | None:
        """Finish the file and move it onto the target name; returns where it went.

        Returns None when no frame was written (nothing is left behind). When the encoder failed, the
        partial file stays where it is and the error names it; when the target appeared meanwhile
        (without --force), the take goes beside it as ``name.new.mp4``: a file at the target name is
        always complete and never replaced unasked.
        A recording that was not ``complete`` (Ctrl-C, a failed step) goes beside the target as
        ``name.interrupted.mp4``: the target name is for finished takes, and a re-run needs no --force.
        """
        if self._closed:
            return self.target if self.target.exists() else None
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise OutputPathError(f"cannot write {self.target} ({self._error}); what was written is in {self.partial}")
        if self.frames == 0:
            _remove(self.partial)
            return None
        if not complete:
            return self._set_aside()
        if self.kind == "png" and self.target.is_dir():
            self._frames_into_folder()
            return self.target
        if self.target.exists():
            if not self.force:
                aside = self._set_aside("new")
                raise OutputPathError(f"{self.target} appeared while recording, and is as it was: the take is {aside}")
            self.target.unlink()
        try:
            os.replace(self.partial, self.target)
        except OSError as err:
            raise OutputPathError(f"cannot write {self.target} ({err}); what was written is in {self.partial}") from err
        return self.target

    def _set_aside(self, label: str = "interrupted") -> Path:
        """The recording under a name of its own beside the target, which stays as it was: ``name.LABEL.mp4``,
        unfinished ("interrupted"), or finished where another file took the target meanwhile ("new")."""
        named = self.target if self.target.name not in ("", "..") else self.target.resolve()  # "./", "../": no name
        suffix = "" if self.kind == "png" else named.suffix
        stem = named.name.removesuffix(suffix) if suffix else named.name
        for attempt in range(1, 1000):
            aside = named.with_name(f"{stem}.{label if attempt == 1 else f'{label}-{attempt}'}{suffix}")
            if not (aside.exists() or aside.is_symlink()):
                os.replace(self.partial, aside)
                return aside
        raise OutputPathError(f"{self.target} is kept as it was; what was written is in {self.partial}")

    def _frames_into_folder(self) -> None:
        """Move the new frames into the existing target folder, deleting its old frames (with --force)
        and nothing else: the folder itself, and what else is in it, stay as they are."""
        if others := files_not_frames(self.target):
            kept = f"it was left alone, and the new frames are in {self._set_aside('new')}"
            raise OutputPathError(f"{self.target}/ now holds files that are not frames ({', '.join(others)}): {kept}")
        old = [entry for entry in self.target.iterdir() if FRAME_NAME.fullmatch(entry.name)]
        if old and not self.force:
            kept = f"it was left alone, and the new frames are in {self._set_aside('new')}"
            raise OutputPathError(f"{self.target} got frames of another recording meanwhile: {kept}")
        for entry in old:
            entry.unlink()
        for frame in sorted(self.partial.iterdir()):
            os.replace(frame, self.target / frame.name)
        self.partial.rmdir()

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the encoder thread --------------------------------------------------------------------
    def _encode_all(self) -> None:
        container = stream = None
        index = 0
        try:
            if self.kind != "png":
                container, stream = self._open_video()
            last_pts = -1
            while (item := self._queue.get()) is not None:
                frame, time = item
                if self.kind == "png":
                    Image.fromarray(frame).save(self.partial / frame_name(index))
                else:
                    video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
                    pts = round(time * self.fps) if self.timed else index  # timed: to the nearest 1/fps
                    video_frame.pts = last_pts = max(pts, last_pts + 1)
                    for packet in stream.encode(video_frame):
                        container.mux(packet)
                index += 1
        except BaseException as err:  # noqa: BLE001 - reported to the caller by write/close
            self._error = err
            while self._queue.get() is not None:  # drain, so a waiting write() never blocks forever
                pass
        finally:
            if container is not None:
                try:
                    for packet in stream.encode():
                        container.mux(packet)
                finally:
                    container.close()

    def _open_video(self) -> tuple:
        width, height = self.size
        container = av.open(str(self.partial), mode="w", format="mp4" if self.kind == "mp4" else "matroska")
        if self.kind == "mp4":
            stream = container.add_stream("libx264", rate=self.fps)
            stream.pix_fmt = "yuv444p" if self.note else "yuv420p"
            stream.options = {"crf": str(H264_CRF), "preset": H264_PRESET, "movflags": "+faststart"}
        else:
            stream = container.add_stream("ffv1", rate=self.fps)
            stream.pix_fmt = "bgr0"
        stream.width, stream.height = width, height
        stream.time_base = Fraction(1, self.fps)
        return container, stream


def frame_name(index: int) -> str:
    return f"frame-{index:06d}.png"


def files_not_frames(folder: Path, shown: int = 3) -> list[str]:
    """Up to ``shown`` names in ``folder`` that are neither a PNG sequence's frames nor a file manager's
    own notes (.DS_Store, Thumbs.db, which are left where they are); folders end in /."""
    others = sorted(
        entry.name + ("/" if entry.is_dir() else "")
        for entry in folder.iterdir()
        if entry.name not in FILE_MANAGER_NOTES and not (FRAME_NAME.fullmatch(entry.name) and entry.is_file())
    )
    return others[:shown] + (["..."] if len(others) > shown else [])


ORPHAN_SECONDS = 10.0  # a partial file untouched for this long, and not locked, is an orphan


def _hold(path: Path) -> int:
    """An open descriptor of ``path`` (a file or a folder) with an exclusive lock on it, which the kernel
    lets go when the process ends, however it ends (``kill -9`` too): another recording can tell."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held by another recording
        os.close(descriptor)
        raise
    return descriptor


def _remove_orphans(named: Path, suffix: str) -> None:
    """Remove the partial files (or frame folders) beside ``named`` that no recording holds: one killed at
    once (``kill -9``) could not finish or rename its own. One being recorded holds its lock (`_hold`),
    in any process, container or PID namespace on this machine."""
    for entry in named.parent.glob(f".{glob.escape(named.name)}.partial-*{suffix}"):
        try:
            if time.time() - entry.stat().st_mtime < ORPHAN_SECONDS:  # perhaps made, and not yet locked, just now
                continue
            descriptor = _hold(entry)
        except OSError:  # gone, or held: a recording still under way
            continue
        try:
            with contextlib.suppress(OSError, OutputPathError):  # another user's, or holding more: left alone
                _remove(entry)
        finally:
            os.close(descriptor)


def _remove(path: Path) -> None:
    """Remove what a recording that wrote nothing left: a file, or an empty partial folder."""
    if path.is_dir():
        for entry in path.iterdir():
            if FRAME_NAME.fullmatch(entry.name):
                entry.unlink()
        try:
            path.rmdir()
        except OSError as err:  # something else is in it: it stays, with all of that
            problem = f"{path} holds files that are not frames"
            raise OutputPathError(f"{problem}: move them, or choose another folder") from err
    else:
        path.unlink(missing_ok=True)
