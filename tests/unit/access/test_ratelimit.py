"""Token buckets: a burst, then the average rate, with the wait to the next token."""

from __future__ import annotations

import multiprocessing

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


def test_a_limited_caller_stays_limited_among_many_others() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1, max_callers=100)
    assert limiter.take("x", 0.0) == 0.0
    for n in range(100):
        limiter.take(f"c{n}", 0.0)
    assert limiter.take("x", 0.5) == pytest.approx(0.5)


def test_refilled_callers_make_room_in_a_full_table() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1, max_callers=4)
    for n in range(1000):
        limiter.take(f"c{n}", 0.0)
    # Everyone above has refilled by now: new callers are served and then limited.
    assert [limiter.take(f"late{n}", 100.0) for n in range(8)] == [0.0] * 8
    assert all(limiter.take(f"late{n}", 100.0) > 0 for n in range(8))


def test_the_buckets_are_shared_with_forked_processes() -> None:
    """The API's processes are forked after the app (and its limiters) is made: a caller's
    tokens spent in one of them are gone in the others."""
    limiter = RateLimiter(rate_per_s=0.001, burst=5)
    child = multiprocessing.get_context("fork").Process(target=_spend, args=(limiter, "a", 5))
    child.start()
    child.join(10)
    assert child.exitcode == 0
    assert limiter.take("a", 0.0) > 0
    assert limiter.take("b", 0.0) == 0.0


def _spend(limiter: RateLimiter, caller: str, times: int) -> None:
    for _ in range(times):
        assert limiter.take(caller, 0.0) == 0.0


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate_per_s=0, burst=1)
