"""A single-slot mailbox: the training thread posts, the render loop takes the newest, nobody waits.

Posting replaces whatever is waiting; taking returns the newest item once (``None`` when nothing new
arrived since the last take). The lock is held only to swap a reference, never during work.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._item: T | None = None
        self._posted = 0  # how many items were ever posted
        self._taken = 0  # the post count at the last take

    def post(self, item: T) -> None:
        """Replace the waiting item with ``item``."""
        with self._lock:
            self._item = item
            self._posted += 1

    def take(self) -> T | None:
        """The newest item if it has not been taken yet, else ``None``; never blocks on a poster."""
        with self._lock:
            if self._posted == self._taken:
                return None
            self._taken = self._posted
            return self._item

    def latest(self) -> T | None:
        """The newest item, taken or not (``None`` before the first post)."""
        with self._lock:
            return self._item

    @property
    def posted(self) -> int:
        return self._posted
