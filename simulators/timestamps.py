"""Simulated instants (whole Unix seconds) and their RFC 3339 spellings.

The models count time in whole seconds: payload timestamps have seconds precision, and two
reports of one device never share a second, so "the latest report" is never ambiguous.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

Instant = int
"""Simulated time: whole seconds since the Unix epoch."""


def local_rfc3339(instant: Instant, tz: tzinfo) -> str:
    """``2026-11-27T08:00:00+08:00``: the instant in the city's time zone, seconds precision."""
    return datetime.fromtimestamp(instant, tz).isoformat(timespec="seconds")


def utc_rfc3339(instant: Instant) -> str:
    """``2026-11-27T00:00:00Z``: the instant in UTC, as the truth file writes it."""
    return datetime.fromtimestamp(instant, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_hour(instant: Instant, tz: tzinfo) -> float:
    """Hour of the local day as a fraction (``13.5`` is half past one in the afternoon)."""
    moment = datetime.fromtimestamp(instant, tz)
    return moment.hour + moment.minute / 60 + moment.second / 3600


def local_date(instant: Instant, tz: tzinfo) -> date:
    """The local calendar date the instant falls on."""
    return datetime.fromtimestamp(instant, tz).date()


def local_instant(day: date, at: time, tz: tzinfo) -> Instant:
    """The instant of local wall-clock time ``at`` on ``day``."""
    return int(datetime.combine(day, at, tzinfo=tz).timestamp())


def instant_of(moment: datetime) -> Instant:
    """An aware datetime, floored to whole seconds."""
    if moment.tzinfo is None:
        raise ValueError("need an aware datetime")
    return int(moment.timestamp() // 1)
