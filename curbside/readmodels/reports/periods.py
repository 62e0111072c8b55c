"""Report periods: which row a local day falls in, and how many days each row covers."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Literal

Period = Literal["day", "week", "month", "all"]
MAX_DAYS = 366


def period_key(day: date, period: Period, first: date, last: date) -> str:
    """The label of the row ``day`` belongs to: 2026-03-04, 2026-W10, 2026-03, or the range."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{first.isoformat()}..{last.isoformat()}"


def days_in(first: date, last: date) -> list[date]:
    """Every local day from ``first`` to ``last``; ValueError past MAX_DAYS or if reversed."""
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise ValueError(f"{count} days is more than a report covers ({MAX_DAYS})")
    return [first + timedelta(days=n) for n in range(count)]


def period_keys(first: date, last: date, period: Period) -> dict[date, str]:
    """Each day of the range and the label of its row (computed once, looked up per record)."""
    return {day: period_key(day, period, first, last) for day in days_in(first, last)}


def days_per_period(first: date, last: date, period: Period) -> Counter[str]:
    """How many of the range's days each row covers (the denominators of rates)."""
    return Counter(period_key(d, period, first, last) for d in days_in(first, last))
