"""The official holiday calendar from the chinese-calendar package, with registry overrides.

Ground truth: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号): 元旦 1月1日至3日
放假调休, 1月4日(周日)上班; 春节 2月15日至23日放假调休, 2月14日(周六)、2月28日(周六)上班;
国庆节 10月1日至7日放假调休, 9月20日(周日)、10月10日(周六)上班.
"""

from __future__ import annotations

from datetime import date

import pytest

from curbside.vocabulary.workdays import WorkdayCalendar

OFFICIAL = WorkdayCalendar(official_calendar=True)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 1, 1), False),  # New Year's Day, a Thursday
        (date(2026, 1, 2), False),  # a Friday off
        (date(2026, 1, 4), True),  # a Sunday worked
        (date(2026, 2, 14), True),  # a Saturday worked before the Spring Festival
        (date(2026, 2, 16), False),  # a Monday of the Spring Festival
        (date(2026, 2, 23), False),  # its last day, a Monday
        (date(2026, 2, 24), True),  # the Tuesday after
        (date(2026, 2, 28), True),  # a Saturday worked after it
        (date(2026, 9, 20), True),  # a Sunday worked before National Day
        (date(2026, 10, 7), False),  # National Day week, a Wednesday
        (date(2026, 10, 10), True),  # a Saturday worked after it
        (date(2026, 3, 4), True),  # an ordinary Wednesday
        (date(2026, 3, 7), False),  # an ordinary Saturday
    ],
)
def test_the_state_councils_2026_dates(day: date, workday: bool) -> None:
    assert OFFICIAL.is_workday(day) is workday


def test_without_the_official_calendar_only_weekends_rest() -> None:
    assert WorkdayCalendar().is_workday(date(2026, 10, 7))
    assert not WorkdayCalendar().is_workday(date(2026, 2, 14))


def test_the_registry_overrides_the_package_date_by_date() -> None:
    calendar = WorkdayCalendar(
        official_calendar=True,
        holidays=(date(2026, 3, 4),),  # a local holiday on a Wednesday
        adjusted_workdays=(date(2026, 10, 7),),  # the city works a national holiday
    )
    assert not calendar.is_workday(date(2026, 3, 4))
    assert calendar.is_workday(date(2026, 10, 7))
    assert calendar.is_workday(date(2026, 2, 14))  # the rest still from the package


def test_a_year_the_package_does_not_know_falls_back_to_weekends() -> None:
    assert OFFICIAL.is_workday(date(2099, 3, 4))
    assert not OFFICIAL.is_workday(date(2099, 3, 7))
