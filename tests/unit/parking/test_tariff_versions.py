"""Tariff versions by effective date, and bands whose hours differ on workdays and rest days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from curbside.city.registry import CityFileError, parse_city
from curbside.domain.parking.fees import compute_fee, to_seconds
from curbside.domain.parking.fees_vectorised import compute_fees
from curbside.vocabulary.tariff import DatedTariff, Tariff, version_in_force
from curbside.vocabulary.workdays import WorkdayCalendar

TZ = ZoneInfo("Asia/Shanghai")


def _tiered(fen: int) -> dict[str, object]:
    return {"kind": "tiered", "tiers": [{"unit_minutes": 60, "unit_fen": fen}], "partial": "drop"}


def _tariff(fen: int, **extra: object) -> dict[str, object]:
    return {"bands": [{"name": "day", "start": "08:00", "end": "20:00", "price": _tiered(fen)}]} | (
        extra
    )


def test_the_version_in_force_is_the_latest_whose_date_has_come() -> None:
    base = Tariff.model_validate(_tariff(100))
    v2 = DatedTariff.model_validate(_tariff(200, effective_from="2026-04-01"))
    v3 = DatedTariff.model_validate(_tariff(300, effective_from="2026-07-01"))
    assert version_in_force("t", base, [v3, v2], date(2026, 3, 31)).version is None
    assert version_in_force("t", base, [v3, v2], date(2026, 4, 1)).version == date(2026, 4, 1)
    assert version_in_force("t", base, [v3, v2], date(2026, 6, 30)).tariff is v2
    assert version_in_force("t", base, [v3, v2], date(2030, 1, 1)).tariff is v3


def _city(versions: list[dict[str, object]]) -> dict[str, object]:
    return {
        "tariffs": {"t": _tariff(100)},
        "tariff_versions": {"t": versions},
        "parking_zones": [
            {"id": "Z", "name": "z", "tariff": "t", "spaces": [{"id": "S", "lat": 0, "lon": 0}]}
        ],
    }


def test_the_registry_picks_the_version_by_the_local_date_of_the_start() -> None:
    city = parse_city(_city([_tariff(200, effective_from="2026-04-01")]))
    # 23:30 UTC on 31 March is 07:30 on 1 April in Shanghai: the new version.
    assert city.tariff_in_force("Z", datetime(2026, 3, 31, 23, 30, tzinfo=UTC)).version == (
        date(2026, 4, 1)
    )
    assert city.tariff_in_force("Z", datetime(2026, 3, 31, 15, 0, tzinfo=UTC)).version is None


def test_versions_must_name_a_known_tariff_and_differ_in_date() -> None:
    with pytest.raises(CityFileError, match="unknown tariff"):
        parse_city(_city([]) | {"tariff_versions": {"nope": []}})
    twice = [_tariff(200, effective_from="2026-04-01"), _tariff(300, effective_from="2026-04-01")]
    with pytest.raises(CityFileError, match="appears more than once"):
        parse_city(_city(twice))


# A band that starts later at the weekend: 08:00-20:00 on workdays, 10:00-20:00 on rest days,
# ¥1 per whole hour. Hand computation: a stay 07:00-12:00 pays 4 h (08-12) on a workday and
# 2 h (10-12) on a rest day.
LATER_AT_WEEKENDS = Tariff.model_validate(
    {
        "bands": [
            {
                "name": "work",
                "start": "08:00",
                "end": "20:00",
                "days": "workdays",
                "price": _tiered(100),
            },
            {
                "name": "rest",
                "start": "10:00",
                "end": "20:00",
                "days": "rest-days",
                "price": _tiered(100),
            },
        ]
    }
)


@pytest.mark.parametrize(("day", "fen"), [(date(2026, 3, 4), 400), (date(2026, 3, 7), 200)])
def test_a_band_can_start_later_on_rest_days(day: date, fen: int) -> None:
    entry = datetime(day.year, day.month, day.day, 7, tzinfo=TZ)
    fee = compute_fee(LATER_AT_WEEKENDS, entry, entry + timedelta(hours=5), WorkdayCalendar(), TZ)
    assert fee.total_fen == fen


def test_a_holiday_on_a_weekday_takes_the_rest_day_hours() -> None:
    calendar = WorkdayCalendar(holidays=(date(2026, 3, 4),))
    entry = datetime(2026, 3, 4, 7, tzinfo=TZ)
    fee = compute_fee(LATER_AT_WEEKENDS, entry, entry + timedelta(hours=5), calendar, TZ)
    assert fee.total_fen == 200


def test_a_day_kind_band_must_end_by_midnight() -> None:
    with pytest.raises(ValidationError, match="must end by midnight"):
        Tariff.model_validate(
            {
                "bands": [
                    {
                        "name": "n",
                        "start": "20:00",
                        "end": "08:00",
                        "days": "workdays",
                        "price": _tiered(100),
                    }
                ]
            }
        )


def test_bands_of_the_same_kind_of_day_still_may_not_overlap() -> None:
    with pytest.raises(ValidationError, match="overlap"):
        Tariff.model_validate(
            {
                "bands": [
                    {
                        "name": "a",
                        "start": "08:00",
                        "end": "20:00",
                        "days": "workdays",
                        "price": _tiered(100),
                    },
                    {"name": "b", "start": "10:00", "end": "12:00", "price": _tiered(100)},
                ]
            }
        )


def test_the_bulk_engine_agrees_on_day_kind_bands() -> None:
    entries = [
        datetime(2026, 3, day, hour, tzinfo=TZ) for day in range(1, 15) for hour in (0, 7, 9, 19)
    ]
    exits = [e + timedelta(hours=h) for e, h in zip(entries, [3, 5, 30, 50] * 14, strict=True)]
    bulk = compute_fees(
        LATER_AT_WEEKENDS,
        [to_seconds(e) for e in entries],
        [to_seconds(x) for x in exits],
        WorkdayCalendar(),
        TZ,
    )
    scalar = [
        compute_fee(LATER_AT_WEEKENDS, e, x, WorkdayCalendar(), TZ).total_fen
        for e, x in zip(entries, exits, strict=True)
    ]
    assert list(bulk) == scalar
