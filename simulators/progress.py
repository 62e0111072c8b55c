"""A progress line every so often on long runs: messages so far, simulated time, rate."""

from __future__ import annotations

import logging
from datetime import tzinfo

from simulators.timestamps import Instant, local_rfc3339

log = logging.getLogger("simulators")


def _lag(seconds: float) -> str:
    minutes = max(0, round(seconds / 60))
    return f"{minutes // 60}h{minutes % 60:02d}m"


class ProgressLog:
    """Logs at most one progress line every ``every_s`` wall seconds (never if 0)."""

    def __init__(self, every_s: float, tz: tzinfo, started: float) -> None:
        self._every_s = every_s
        self._tz = tz
        self._last_at = started
        self._last_count = 0

    def due(self, monotonic_now: float) -> bool:
        """Whether a line is due at this moment."""
        return self._every_s > 0 and monotonic_now - self._last_at >= self._every_s

    def line(self, monotonic_now: float, published: int, sim_t: Instant, wall_t: float) -> None:
        """Log the progress line and restart the interval."""
        interval = max(monotonic_now - self._last_at, 1e-9)
        rate = (published - self._last_count) / interval
        log.info(
            "published %d messages; simulated time %s (%s behind the wall clock); %.0f msg/s",
            published,
            local_rfc3339(sim_t, self._tz),
            _lag(wall_t - sim_t),
            rate,
        )
        self._last_at = monotonic_now
        self._last_count = published
