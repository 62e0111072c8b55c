"""Time limits counted in working hours on the city's workday calendar (pure).

A case's limit runs only during the working periods of workdays (the registry's
``cases.working_hours`` on the days ``workday_calendar`` calls workdays, 调休 included), or on
the plain clock for a kind whose limit is in calendar hours.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from curbside.vocabulary.cases import CaseLimit, WorkingPeriod
from curbside.vocabulary.workdays import WorkdayCalendar

# Far beyond any limit the policy allows (366 days): a calendar without workdays ends here.
_MAX_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The calendar has no working time within reach: a limit could never run out."""


def _working_spans(
    since: datetime, periods: Sequence[WorkingPeriod], calendar: WorkdayCalendar, tz: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """Working spans (UTC) from the local day of ``since`` on, in order, unclipped."""
    ordered = sorted(periods, key=lambda p: p.start)
    first = since.astimezone(tz).date()
    for offset in range(_MAX_DAYS):
        day = first + timedelta(days=offset)
        if not calendar.is_workday(day):
            continue
        for period in ordered:
            yield _at(day, period.start, tz), _at(day, period.end, tz)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def deadline(
    start: datetime,
    limit: CaseLimit,
    periods: Sequence[WorkingPeriod],
    calendar: WorkdayCalendar,
    tz: ZoneInfo,
) -> datetime:
    """The instant a case opened at ``start`` runs out of its limit (UTC)."""
    if limit.clock == "calendar":
        return (start + timedelta(hours=limit.limit_h)).astimezone(UTC)
    left = timedelta(hours=limit.limit_h)
    for span_start, span_end in _working_spans(start, periods, calendar, tz):
        begin = max(span_start, start)
        if begin >= span_end:
            continue
        if begin + left <= span_end:
            return begin + left
        left -= span_end - begin
    raise NoWorkingTime(f"no working time within {_MAX_DAYS} days of {start.isoformat()}")


def working_time_between(
    start: datetime,
    end: datetime,
    periods: Sequence[WorkingPeriod],
    calendar: WorkdayCalendar,
    tz: ZoneInfo,
) -> timedelta:
    """How much working time lies between two instants (zero if ``end`` is not later)."""
    total = timedelta(0)
    if end <= start:
        return total
    for span_start, span_end in _working_spans(start, periods, calendar, tz):
        if span_start >= end:
            break
        begin, finish = max(span_start, start), min(span_end, end)
        if finish > begin:
            total += finish - begin
    return total
