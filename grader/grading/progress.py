"""A one-line progress bar on a terminal; silent when stderr is not a terminal or with --quiet."""

from __future__ import annotations

import sys
import time


class Progress:
    """``start(total, done)`` once (``done``: items kept from an earlier run), ``tick()`` per item."""

    def __init__(self, total: int = 0, *, quiet: bool = False, stream=None, width: int = 30):
        self.total = max(total, 1)
        self.done = 0
        self.first = 0
        self.stream = stream or sys.stderr
        self.enabled = not quiet and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.width = width
        self.start_time = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def start(self, total: int, done: int = 0) -> None:
        self.total = max(total, 1)
        self.done = self.first = done
        self.start_time = time.monotonic()
        self._draw(force=True)

    def tick(self, n: int = 1) -> None:
        self.done += n
        self._draw(force=self.done >= self.total)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 0.1):
            return
        self._last = now
        frac = min(self.done / self.total, 1.0)
        filled = int(frac * self.width)
        bar = "█" * filled + "·" * (self.width - filled)
        elapsed = now - self.start_time
        rate = (self.done - self.first) / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        eta = f"  ~{left:.0f}s left" if rate > 0 and self.done < self.total else ""
        self.stream.write(f"\r  [{bar}] {self.done}/{self.total}  {rate:.1f}/s{eta}   ")
        self.stream.flush()
        self._drawn = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
