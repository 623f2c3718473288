"""A progress line on stderr: frames done, frames per second and time left."""

from __future__ import annotations

import sys
import time

from viz3d.errors import say


class Progress:
    def __init__(self, total: int, label: str = "recording", width: int = 30) -> None:
        self.total = max(total, 1)
        self.label = label
        self.width = width
        self.started = time.perf_counter()
        self._shown = 0.0
        self._tty = sys.stderr.isatty()
        self._last_tenth = -1

    def update(self, done: int) -> None:
        now = time.perf_counter()
        tenth = 10 * done // self.total
        if self._tty and now - self._shown < 0.2 and done < self.total:
            return
        if not self._tty and tenth == self._last_tenth and done < self.total:
            return  # without a terminal, one line per tenth is enough
        self._shown, self._last_tenth = now, tenth
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 else 0.0
        filled = self.width * done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{self.label} [{bar}] {done}/{self.total} frames, {rate:.1f} fps, {_clock(left)} left"
        say(("\r" + line) if self._tty else line, end="" if self._tty else "\n")

    def finish(self) -> None:
        if self._tty:
            say("")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"
