"""Log throttling: at most one line per key per interval, so one broken device can't flood."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Throttle:
    """Answers whether an event for ``key`` may be logged now."""

    def __init__(
        self,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._max_keys = max_keys
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """True at most once per interval for each key."""
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._interval_s:
                return False
            if len(self._last) >= self._max_keys:
                # Forget everything rather than grow without bound under a flood of topics.
                self._last.clear()
            self._last[key] = now
            return True
