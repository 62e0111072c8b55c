"""Time limits in working hours on the workday calendar.

Ground truth for the dates: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号):
国庆节 10月1日至7日放假调休, 9月20日(周日)、10月10日(周六)上班 (the same notice the tariffs'
calendar test cites). The working hours are the policy's default, 08:00-12:00 and 14:00-18:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.cases.working_time import NoWorkingTime, deadline, working_time_between
from curbside.vocabulary.cases import CaseLimit, CasePolicy, WorkingPeriod
from curbside.vocabulary.workdays import WorkdayCalendar

TZ = ZoneInfo("Asia/Shanghai")
PERIODS = CasePolicy().working_hours
OFFICIAL = WorkdayCalendar(official_calendar=True)


def local(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def due(start: datetime, hours: float, clock: str = "working") -> datetime:
    limit = CaseLimit.model_validate({"limit_h": hours, "clock": clock})
    return deadline(start, limit, PERIODS, OFFICIAL, TZ).astimezone(TZ)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Within one morning.
        (local(4, 3, 9), 2, local(4, 3, 11)),
        # Across the lunch break: 11:00-12:00, then 14:00-15:00.
        (local(4, 3, 11), 2, local(4, 3, 15)),
        # Opened at night: the clock starts at 08:00 the next workday.
        (local(4, 3, 22), 1, local(5, 3, 9)),
        # Opened during lunch: the clock starts at 14:00.
        (local(4, 3, 12, 30), 1, local(4, 3, 15)),
        # Friday 17:00 + 2 h: one hour on Friday, one on Monday.
        (local(6, 3, 17), 2, local(9, 3, 9)),
        # Wednesday 30 September 16:00 + 4 h: 2 h that day, then National Day (1-7 October)
        # and the weekend after it; Thursday 8 October 08:00-10:00.
        (local(30, 9, 16), 4, local(8, 10, 10)),
        # Saturday 19 September is off, Sunday 20 September is worked (调休上班).
        (local(19, 9, 10), 1, local(20, 9, 9)),
        # A fire counts calendar hours, holiday or not.
        (local(2, 10, 23, 30), 1, local(3, 10, 0, 30)),
    ],
)
def test_deadlines_on_the_2026_calendar(start: datetime, hours: float, expected: datetime) -> None:
    clock = "calendar" if start == local(2, 10, 23, 30) else "working"
    assert due(start, hours, clock) == expected


def test_the_registrys_lists_override_the_official_calendar() -> None:
    # A city that works Thursday 1 October (its own list wins over the State Council's).
    calendar = WorkdayCalendar(official_calendar=True, adjusted_workdays=(local(1, 10, 0).date(),))
    limit = CaseLimit(limit_h=4)
    got = deadline(local(30, 9, 16), limit, PERIODS, calendar, TZ)
    assert got.astimezone(TZ) == local(1, 10, 10)


def test_a_calendar_without_workdays_is_an_error_not_a_hang() -> None:
    never = WorkdayCalendar(
        weekend_days=("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
    with pytest.raises(NoWorkingTime):
        deadline(local(4, 3, 9), CaseLimit(limit_h=1), PERIODS, never, TZ)


def test_overlapping_working_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        CasePolicy(
            working_hours=(
                WorkingPeriod(start=time(8), end=time(12)),
                WorkingPeriod(start=time(11), end=time(13)),
            )
        )


def test_overflow_predictions_cannot_open_cases() -> None:
    with pytest.raises(ValueError, match="overflow_soon"):
        CasePolicy.model_validate({"kinds": {"overflow_soon": {"limit_h": 1}}})


# hypothesis takes naive bounds and attaches the zone itself.
starts = st.datetimes(
    min_value=datetime(2025, 12, 1),  # noqa: DTZ001
    max_value=datetime(2027, 2, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(starts, st.integers(min_value=1, max_value=200 * 60))
def test_the_deadline_is_exactly_the_limit_in_working_time(start: datetime, minutes: int) -> None:
    limit = CaseLimit(limit_h=minutes / 60)
    end = deadline(start, limit, PERIODS, OFFICIAL, TZ)
    assert working_time_between(start, end, PERIODS, OFFICIAL, TZ) == timedelta(minutes=minutes)
    # And not a moment later: the deadline lies inside working time.
    local_end = end.astimezone(TZ)
    assert OFFICIAL.is_workday(local_end.date())
    assert any(p.start < local_end.time() <= p.end for p in PERIODS)


@given(starts, starts)
def test_working_time_is_additive(a: datetime, b: datetime) -> None:
    first, last = sorted((a, b))
    middle = first + (last - first) / 2
    whole = working_time_between(first, last, PERIODS, OFFICIAL, TZ)
    parts = working_time_between(first, middle, PERIODS, OFFICIAL, TZ)
    parts += working_time_between(middle, last, PERIODS, OFFICIAL, TZ)
    assert whole == parts
    assert whole <= last - first
