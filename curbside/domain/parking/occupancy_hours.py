"""Time-weighted occupancy by the hour: how many seconds of a stay fall in each UTC hour.

Stored per zone and hour (records), so occupancy over any period is a sum of hours. Pure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

HOUR = timedelta(hours=1)


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour containing ``moment``."""
    return moment.replace(minute=0, second=0, microsecond=0)


def seconds_by_hour(start: datetime, end: datetime) -> dict[datetime, int]:
    """Whole seconds of ``[start, end)`` in each hour it touches (hours by their start)."""
    spans: dict[datetime, int] = {}
    at = start
    while at < end:
        until = min(end, hour_of(at) + HOUR)
        seconds = int((until - at).total_seconds())
        if seconds:
            spans[hour_of(at)] = spans.get(hour_of(at), 0) + seconds
        at = until
    return spans
