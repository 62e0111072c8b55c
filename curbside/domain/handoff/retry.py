"""When to try a failed delivery again (pure): exponential backoff with full jitter, capped,
and a last attempt after which the event goes to the dead-letter list."""

from __future__ import annotations

from datetime import datetime, timedelta


def retry_at(
    failed_attempts: int, now: datetime, base_s: float, max_s: float, jitter: float
) -> datetime:
    """The next attempt after ``failed_attempts`` failures (>= 1): a random point (``jitter``
    in [0, 1)) up to ``base_s`` * 2^(n-1), at most ``max_s``, so many receivers' failures do
    not retry in step."""
    ceiling = min(max_s, base_s * 2 ** min(failed_attempts - 1, 40))
    return now + timedelta(seconds=max(0.001, jitter * ceiling))


def gives_up(failed_attempts: int, max_attempts: int) -> bool:
    """Whether the event goes to the dead-letter list now."""
    return failed_attempts >= max_attempts
