"""Token buckets per caller, in memory: ``rate`` requests a second on average, ``burst`` at once.

The clock is passed in, so the rules are testable without waiting. Memory is bounded: past
``max_callers`` buckets, the full ones (callers idle long enough to have refilled) are
forgotten, which changes nothing for them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Whether a caller may make a request now, and if not, how long to wait."""

    def __init__(self, rate_per_s: float, burst: int, max_callers: int = 10_000) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_callers = max_callers
        self._buckets: dict[str, _Bucket] = {}

    def take(self, caller: str, now: float) -> float:
        """Spend one token: 0.0 if allowed, else the seconds until a token is due."""
        bucket = self._buckets.get(caller)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[caller] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate_per_s)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate_per_s

    def _forget_idle(self, now: float) -> None:
        if len(self._buckets) < self.max_callers:
            return
        for caller, b in list(self._buckets.items()):
            if b.tokens + (now - b.at) * self.rate_per_s >= self.burst:
                del self._buckets[caller]
