"""Token buckets: a burst, then the average rate, with the wait to the next token."""

from __future__ import annotations

import pytest

from curbside.adapters.access.ratelimit import RateLimiter


def test_a_burst_then_the_rate() -> None:
    limiter = RateLimiter(rate_per_s=2, burst=3)
    assert [limiter.take("a", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", 100.0) == pytest.approx(0.5)
    assert limiter.take("a", 100.25) == pytest.approx(0.25)  # half a token has come back
    assert limiter.take("a", 100.5) == 0.0
    # Others have buckets of their own.
    assert limiter.take("b", 100.5) == 0.0


def test_a_bucket_refills_to_the_burst_and_no_further() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=2)
    for _ in range(2):
        limiter.take("a", 0.0)
    results = [limiter.take("a", 1000.0) for _ in range(3)]
    assert results[:2] == [0.0, 0.0] and results[2] > 0


def test_idle_callers_are_forgotten_past_the_bound() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1, max_callers=10)
    for n in range(10):
        limiter.take(f"c{n}", 0.0)
    limiter.take("late", 100.0)  # everyone else has refilled long ago
    assert len(limiter._buckets) == 1


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate_per_s=0, burst=1)
