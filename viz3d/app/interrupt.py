"""Ctrl-C (or a kill, or a closed terminal) as a request to stop between frames, not an exception in
the middle of one.

Python raises KeyboardInterrupt wherever the main thread happens to be. Inside a PyOpenGL call it
surfaces as ``ctypes.ArgumentError: argument 7: KeyboardInterrupt`` instead, which no
``except KeyboardInterrupt`` catches, so a recording could end in a traceback rather than a clean stop.
While a `StopRequest` is active the first Ctrl-C only sets `requested`, and the loop ends at the next
frame; a second one interrupts at once, for when a frame itself takes too long. Once the loop is
`finishing` (writing out what it has), Ctrl-C is ignored: cutting that short would lose the file.
SIGTERM (``kill``, ``timeout``) and SIGHUP (the terminal closed) are taken the same way: they had
ended a recording at once, leaving only its hidden, unplayable partial file. The command then exits
with 128 plus the signal's number, as a shell reports a process the signal ended: 130 for Ctrl-C, 143
for SIGTERM, 129 for SIGHUP (`Stopped`).
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)  # SIGHUP does not exist on Windows


class Stopped(KeyboardInterrupt):
    """A stop asked for by ``signum``, raised once the work has ended cleanly; a KeyboardInterrupt, so a script
    that catches Ctrl-C catches a kill too."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    def __reduce__(self) -> tuple[type, tuple[int]]:  # pickled by its number, not its name (multiprocessing)
        return (Stopped, (self.signum,))


def exit_status(signum: int = signal.SIGINT) -> int:
    """What a shell reports for a process ``signum`` ended: 128 plus its number."""
    return 128 + int(signum)


class StopRequest:
    def __init__(self) -> None:
        self.requested = False
        self.signum = int(signal.SIGINT)  # the signal that asked first
        self.finishing = False  # set while the results are saved: Ctrl-C then waits for them
        self._previous: dict[int, object] = {}

    def install(self) -> StopRequest:
        """Take over Ctrl-C, SIGTERM and SIGHUP (from the main thread; elsewhere signals never arrive, so
        this does nothing)."""
        if threading.current_thread() is threading.main_thread():
            for stop_signal in STOP_SIGNALS:
                if signal.getsignal(stop_signal) is signal.SIG_IGN:
                    continue  # ignored on purpose: `nohup viz3d record ...` must outlive its terminal
                self._previous[stop_signal] = signal.signal(stop_signal, self._on_interrupt)
        return self

    def restore(self) -> None:
        """Give the signals back to whoever had them before (the default, where that was not Python)."""
        for stop_signal, previous in self._previous.items():
            signal.signal(stop_signal, signal.SIG_DFL if previous is None else previous)
        self._previous.clear()

    def __enter__(self) -> StopRequest:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self.finishing:
            print("viz3d: finishing the file first, one moment", file=sys.stderr)
        elif self.requested:
            raise Stopped(signum)
        else:
            self.signum = signum
        self.requested = True
