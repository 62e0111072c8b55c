"""Log throttling: at most one line per key per interval, so one broken device can't flood.

The table of keys is bounded by size and by age: a key is forgotten once its interval is
over (it would be allowed again anyway) and the oldest keys go first when the table is full,
so a flood of distinct topics costs at most ``max_keys`` entries. A budget of lines per
interval over all keys keeps such a flood out of the log too; what it holds back is counted.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class Throttle:
    """Answers whether an event for ``key`` may be logged now."""

    def __init__(
        self,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
        max_lines: int = 1_000,
    ) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._max_keys = max_keys
        self._max_lines = max_lines
        # Key -> when it was last allowed, oldest first (an allowed key moves to the end).
        self._last: OrderedDict[str, float] = OrderedDict()
        self._window_start = clock()
        self._lines = 0
        self.suppressed = 0
        """Events held back so far (per key or by the budget)."""
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """True at most once per interval for each key, and ``max_lines`` times in all."""
        now = self._clock()
        with self._lock:
            self._forget_expired(now)
            last = self._last.get(key)
            if last is not None and now - last < self._interval_s:
                self.suppressed += 1
                return False
            if now - self._window_start >= self._interval_s:
                self._window_start, self._lines = now, 0
            if self._lines >= self._max_lines:
                self.suppressed += 1
                return False
            self._lines += 1
            self._last[key] = now
            self._last.move_to_end(key)
            while len(self._last) > self._max_keys:
                self._last.popitem(last=False)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._last)

    def _forget_expired(self, now: float) -> None:
        while self._last:
            oldest_key, oldest = next(iter(self._last.items()))
            if now - oldest < self._interval_s:
                return
            del self._last[oldest_key]
