"""Ctrl-C as a request to stop between frames, not an exception in the middle of one.

Python raises KeyboardInterrupt wherever the main thread happens to be. Inside a PyOpenGL call it
surfaces as ``ctypes.ArgumentError: argument 7: KeyboardInterrupt`` instead, which no
``except KeyboardInterrupt`` catches, so a recording could end in a traceback rather than a clean stop.
While a `StopRequest` is active the first Ctrl-C only sets `requested`, and the loop ends at the next
frame; a second one interrupts at once, for when a frame itself takes too long. Once the loop is
`finishing` (writing out what it has), Ctrl-C is ignored: cutting that short would lose the file.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType


class StopRequest:
    def __init__(self) -> None:
        self.requested = False
        self.finishing = False  # set while the results are saved: Ctrl-C then waits for them
        self._previous: signal.Handlers | None = None
        self._installed = False

    def install(self) -> StopRequest:
        """Take over Ctrl-C (from the main thread; elsewhere signals never arrive, so this does nothing)."""
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
            self._installed = True
        return self

    def restore(self) -> None:
        """Give Ctrl-C back to whoever had it before."""
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def __enter__(self) -> StopRequest:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self.finishing:
            print("viz3d: finishing the file first, one moment", file=sys.stderr)
        elif self.requested:
            raise KeyboardInterrupt
        self.requested = True
