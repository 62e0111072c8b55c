"""The scalar fee engine: its interface, its breakdown text, and edges the examples miss."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from curbside.city.registry import load_city
from curbside.domain.parking.fees import Fee, compute_fee, to_seconds, wall_to_seconds, yuan
from curbside.vocabulary.tariff import Tariff
from curbside.vocabulary.workdays import WorkdayCalendar

CITY = load_city(Path(__file__).parents[3] / "curbside" / "city" / "demo-city.yaml")
TZ = CITY.tz
CALENDAR = CITY.workday_calendar
MAIN = CITY.tariffs["main-road"]
SECONDARY = CITY.tariffs["secondary"]
MONDAY = date(2026, 3, 2)


def _at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TZ)


def _tariff(price: dict[str, Any], **extra: Any) -> Tariff:
    band = {"name": "day", "start": "08:00", "end": "20:00", "price": price}
    return Tariff.model_validate({"bands": [band], **extra})


def test_yuan() -> None:
    assert [yuan(f) for f in (0, 5, 100, 1250, 123456, -150)] == [
        "¥0.00",
        "¥0.05",
        "¥1.00",
        "¥12.50",
        "¥1234.56",
        "-¥1.50",
    ]


def test_exit_before_entry_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="before entry"):
        compute_fee(MAIN, _at(MONDAY, 10), _at(MONDAY, 9), CALENDAR, TZ)
    with pytest.raises(ValueError, match="aware"):
        compute_fee(MAIN, datetime(2026, 3, 2, 9), _at(MONDAY, 10), CALENDAR, TZ)  # noqa: DTZ001


def test_a_stay_of_no_time() -> None:
    tariff = _tariff({"kind": "flat", "fen": 500})
    assert compute_fee(tariff, _at(MONDAY, 9), _at(MONDAY, 9), CALENDAR, TZ) == Fee(0, (), 0, False)
    assert compute_fee(MAIN, _at(MONDAY, 9), _at(MONDAY, 9), CALENDAR, TZ).grace_applied


def test_items_say_what_they_charge() -> None:
    fee = compute_fee(MAIN, _at(MONDAY, 18), _at(MONDAY, 21), CALENDAR, TZ)
    assert [i.description for i in fee.items] == [
        "first 30 min: 1 × 30 min at ¥1.00",
        "30–180 min: 3 × 30 min at ¥2.00",
        "per stay: 1 × ¥6.00",
    ]
    assert fee.items[0].start == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    assert all(i.start.tzinfo is UTC and i.end.tzinfo is UTC for i in fee.items)
    saturday = compute_fee(MAIN, _at(date(2026, 3, 7), 15), _at(date(2026, 3, 7), 19), CALENDAR, TZ)
    assert saturday.items[-1].description == "after 30 min: 7 × 30 min at ¥1.50 (non-workday)"
    long_day = compute_fee(MAIN, _at(MONDAY, 8), _at(MONDAY, 13), CALENDAR, TZ)
    assert long_day.items[-1].description.startswith("after 180 min: ")
    single = compute_fee(SECONDARY, _at(MONDAY, 9), _at(MONDAY, 11), CALENDAR, TZ)
    assert single.items[0].description == "time parked: 2 × 60 min at ¥2.00"


def test_fractions_of_a_second_are_dropped() -> None:
    exact = compute_fee(MAIN, _at(MONDAY, 9), _at(MONDAY, 9, 15), CALENDAR, TZ)
    later = _at(MONDAY, 9, 15) + timedelta(microseconds=999_999)
    assert compute_fee(MAIN, _at(MONDAY, 9), later, CALENDAR, TZ) == exact
    assert exact.grace_applied
    one_more = compute_fee(MAIN, _at(MONDAY, 9), _at(MONDAY, 9, 15, 1), CALENDAR, TZ)
    # One second past grace is one second charged, and round-up makes it a whole unit.
    assert not one_more.grace_applied and one_more.total_fen == 100


def test_partial_unit_edges() -> None:
    threshold = _tariff(
        {
            "kind": "tiered",
            "partial": "threshold",
            "free_under_minutes": 15,
            "tiers": [{"unit_minutes": 60, "unit_fen": 200}],
        }
    )

    def fee(tariff: Tariff, minutes: int, seconds: int = 0) -> int:
        exit_ = _at(MONDAY, 9) + timedelta(minutes=minutes, seconds=seconds)
        return compute_fee(tariff, _at(MONDAY, 9), exit_, CALENDAR, TZ).total_fen

    assert [fee(threshold, m) for m in (14, 15, 60, 74, 75)] == [0, 200, 200, 200, 400]
    assert fee(threshold, 14, 59) == 0
    drop = _tariff(
        {"kind": "tiered", "partial": "drop", "tiers": [{"unit_minutes": 60, "unit_fen": 200}]}
    )
    assert [fee(drop, m) for m in (59, 60, 119, 120)] == [0, 200, 200, 400]
    up = _tariff(
        {"kind": "tiered", "partial": "round-up", "tiers": [{"unit_minutes": 60, "unit_fen": 200}]}
    )
    assert fee(up, 0, 1) == 200 and fee(up, 60) == 200 and fee(up, 60, 1) == 400


def test_zero_unit_items_show_dropped_time() -> None:
    drop = _tariff(
        {"kind": "tiered", "partial": "drop", "tiers": [{"unit_minutes": 60, "unit_fen": 200}]}
    )
    fee = compute_fee(drop, _at(MONDAY, 9), _at(MONDAY, 9, 40), CALENDAR, TZ)
    assert fee.total_fen == 0 and [(i.units, i.subtotal_fen) for i in fee.items] == [(0, 0)]


def test_a_cap_without_grace_at_the_exact_boundary() -> None:
    tariff = _tariff(
        {"kind": "tiered", "partial": "round-up", "tiers": [{"unit_minutes": 60, "unit_fen": 100}]},
        cap={"fen": 1000, "window": "24h-from-entry"},
    )
    # 12 h on Monday, 12 h on Tuesday: 24 h from 08:00 ends at Tuesday 08:00 exactly.
    fee = compute_fee(tariff, _at(MONDAY, 8), _at(MONDAY + timedelta(days=1), 20), CALENDAR, TZ)
    assert (fee.total_fen, fee.cap_deduction_fen) == (2000, 400)


def test_daylight_saving_wall_times_are_monotone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spring = date(2026, 3, 29)  # 02:00 -> 03:00
    gap = [wall_to_seconds(spring, m, berlin) for m in (119, 120, 150, 180)]
    assert gap[1] == gap[2] == gap[3] == gap[0] + 60  # the missing hour is the jump's instant
    autumn = date(2026, 10, 25)  # 03:00 -> 02:00
    assert wall_to_seconds(autumn, 150, berlin) == to_seconds(
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    )
    night = Tariff.model_validate(
        {
            "bands": [
                {
                    "name": "night",
                    "start": "01:00",
                    "end": "03:00",
                    "price": {
                        "kind": "tiered",
                        "partial": "round-up",
                        "tiers": [{"unit_minutes": 60, "unit_fen": 100}],
                    },
                }
            ]
        }
    )
    whole_night = compute_fee(
        night,
        datetime(2026, 3, 29, 0, tzinfo=berlin),
        datetime(2026, 3, 29, 5, tzinfo=berlin),
        WorkdayCalendar(),
        berlin,
    )
    assert whole_night.total_fen == 100  # 01:00 to 03:00 lasts one hour that night


def test_the_city_gives_each_zone_its_tariff() -> None:
    assert CITY.tariff_for_zone("Z01") is MAIN
    assert CITY.tariff_for_zone("Z10") is SECONDARY
    with pytest.raises(KeyError, match="Z99"):
        CITY.tariff_for_zone("Z99")
