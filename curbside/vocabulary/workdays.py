"""The workday calendar: which local dates are workdays, from configuration (pure logic).

Chinese tariffs price workdays (工作日) and non-workdays differently. A date is a non-workday
when it is a weekend day or a public holiday, except the weekend days that the State Council
makes workdays to bridge a holiday (调休上班). Those lists change every year (the State
Council publishes them each November for the year after): with ``official_calendar`` the
dates come from the maintained ``chinese-calendar`` package for the years it covers, and the
registry's own lists override it date by date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cached_property
from typing import Literal, Self

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field, model_validator

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


class WorkdayCalendar(BaseModel):
    """Weekend days, public holidays and the weekend days made workdays (调休)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekend_days: tuple[Weekday, ...] = ("saturday", "sunday")
    holidays: tuple[date, ...] = Field(default=(), description="non-workdays whatever the weekday")
    adjusted_workdays: tuple[date, ...] = Field(
        default=(), description="weekend days that are workdays (调休上班)"
    )
    official_calendar: bool = Field(
        default=False,
        description="take holidays and adjusted workdays from the chinese-calendar package "
        "for the years it covers; the two lists above still win",
    )

    @model_validator(mode="after")
    def _check_dates(self) -> Self:
        _no_repeats("weekend_days", self.weekend_days)
        _no_repeats("holidays", self.holidays)
        _no_repeats("adjusted_workdays", self.adjusted_workdays)
        weekend = {WEEKDAYS.index(d) for d in self.weekend_days}
        both = sorted(set(self.holidays) & set(self.adjusted_workdays))
        if both:
            raise ValueError(f"{both[0].isoformat()} is both a holiday and an adjusted workday")
        for day in self.adjusted_workdays:
            # With the official calendar a listed date may override one of its holidays.
            if day.weekday() not in weekend and not self.official_calendar:
                # A weekday is a workday already: listing it is a typo for another date.
                raise ValueError(
                    f"adjusted workday {day.isoformat()} is a {WEEKDAYS[day.weekday()]}, "
                    "not a weekend day"
                )
        return self

    @cached_property
    def _lookup(self) -> tuple[frozenset[date], frozenset[date], frozenset[int]]:
        # Sets built once: fees ask about every day of every stay.
        weekend = frozenset(WEEKDAYS.index(d) for d in self.weekend_days)
        return frozenset(self.adjusted_workdays), frozenset(self.holidays), weekend

    def is_workday(self, day: date) -> bool:
        """Whether the local date ``day`` is a workday (adjusted workdays win over weekends)."""
        worked, holidays, weekend = self._lookup
        if day in worked:
            return True
        if day in holidays:
            return False
        if self.official_calendar:
            official = _official_workday(day)
            if official is not None:
                return official
        return day.weekday() not in weekend


def _official_workday(day: date) -> bool | None:
    """The State Council's answer for ``day``, or None for a year the package does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # A year not yet published (or too old): the weekend rule and the registry's lists.
        return None


def _no_repeats(field: str, values: Sequence[object]) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            shown = value.isoformat() if isinstance(value, date) else value
            raise ValueError(f"{field}: {shown} appears more than once")
        seen.add(value)
