"""The workday calendar: weekends, holidays, adjusted workdays (调休), and its checks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from curbside.city.registry import load_city
from curbside.vocabulary.workdays import WorkdayCalendar

DEMO = load_city(
    Path(__file__).parents[3] / "curbside" / "city" / "demo-city.yaml"
).workday_calendar


def test_weekdays_weekends_holidays_and_adjusted_workdays() -> None:
    calendar = WorkdayCalendar(
        holidays=(date(2026, 10, 1), date(2026, 10, 3)), adjusted_workdays=(date(2026, 10, 10),)
    )
    assert calendar.is_workday(date(2026, 9, 30))  # Wednesday
    assert not calendar.is_workday(date(2026, 10, 1))  # Thursday, a holiday
    assert not calendar.is_workday(date(2026, 10, 3))  # Saturday and a holiday
    assert not calendar.is_workday(date(2026, 10, 4))  # Sunday
    assert calendar.is_workday(date(2026, 10, 10))  # Saturday, worked


def test_other_weekends() -> None:
    calendar = WorkdayCalendar.model_validate({"weekend_days": ["friday"]})
    assert not calendar.is_workday(date(2026, 3, 6))
    assert calendar.is_workday(date(2026, 3, 7))
    assert all(WorkdayCalendar(weekend_days=()).is_workday(date(2026, 3, d)) for d in range(1, 8))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"holidays": ["2026-10-01", "2026-10-01"]}, "holidays: 2026-10-01 appears more than once"),
        ({"weekend_days": ["sunday", "sunday"]}, "weekend_days: sunday appears more than once"),
        (
            {"holidays": ["2026-10-10"], "adjusted_workdays": ["2026-10-10"]},
            "2026-10-10 is both a holiday and an adjusted workday",
        ),
        ({"adjusted_workdays": ["2026-10-09"]}, "2026-10-09 is a friday, not a weekend day"),
        ({"weekend_days": ["caturday"]}, "weekend_days.0"),
        ({"holidays": ["2026-02-30"]}, "holidays.0"),
        ({"festivals": []}, "festivals"),
    ],
)
def test_mistakes_are_named(body: dict[str, object], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WorkdayCalendar.model_validate(body)
    assert expected in str(caught.value)


def test_the_demo_calendar_has_the_2026_arrangements() -> None:
    # 国务院办公厅关于2026年部分节假日安排的通知: 33 days off, 6 weekend days worked.
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    holidays = [d for d in days if d in DEMO.holidays]
    assert len(holidays) == 33
    assert [d for d in DEMO.adjusted_workdays if d.year == 2026] == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    # Spring Festival: nine days off in a row, worked Saturdays either side.
    assert [DEMO.is_workday(date(2026, 2, d)) for d in range(14, 24)] == [True] + [False] * 9
    assert DEMO.is_workday(date(2026, 2, 28))
    assert not DEMO.is_workday(date(2027, 2, 8))  # 2027: statutory days only, so far
