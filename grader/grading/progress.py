"""A one-line progress bar on a terminal; silent when stderr is not a terminal or with --quiet."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, *, quiet: bool = False, stream=None, width: int = 30):
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = not quiet and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.width = width
        self.start = time.monotonic()
        self._last = 0.0

    def tick(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done >= self.total):
            self._last = now
            frac = min(self.done / self.total, 1.0)
            bar = "█" * int(frac * self.width) + "·" * (self.width - int(frac * self.width))
            rate = self.done / max(now - self.start, 1e-9)
            self.stream.write(f"\r  [{bar}] {self.done}/{self.total}  {rate:.1f}/s ")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
