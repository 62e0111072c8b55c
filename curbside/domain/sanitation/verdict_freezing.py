"""When a day's clearance verdicts are frozen, and when later data corrects one (pure logic).

A local day's verdicts are judged and frozen once the day has closed plus a grace for late
data; the frozen verdict is what a report of that day shows. Data that arrives later and
changes a bin's verdict is recorded as a correction with its reason (docs/records.md).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from curbside.domain.sanitation.clearance import BinClearance


def freeze_time(day: date, tz: ZoneInfo, grace: timedelta) -> datetime:
    """The instant the verdicts of the local ``day`` are frozen: its end plus the grace."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) + grace


def days_to_freeze(
    last_frozen: date | None, now: datetime, tz: ZoneInfo, grace: timedelta, first: date
) -> list[date]:
    """The days after ``last_frozen`` (or from ``first``) whose freeze time has come."""
    day = first if last_frozen is None else last_frozen + timedelta(days=1)
    due: list[date] = []
    while freeze_time(day, tz, grace) <= now:
        due.append(day)
        day += timedelta(days=1)
    return due


def correction_reason(frozen: BinClearance, now_seen: BinClearance) -> str | None:
    """Why a frozen verdict needs a correction given what the data shows now, or None."""
    if frozen == now_seen:
        return None
    changes = []
    for name in ("needed", "cleared", "late"):
        old, new = getattr(frozen, name), getattr(now_seen, name)
        if old != new:
            changes.append(f"{name} {str(old).lower()} -> {str(new).lower()}")
    if frozen.cleared_at != now_seen.cleared_at:
        changes.append("cleared_at changed")
    if frozen.last_rise != now_seen.last_rise:
        changes.append("last_rise changed")
    return "late data: " + ", ".join(changes)
