"""Properties of the fee engines on random tariffs, calendars and stays (hypothesis).

The tariffs include the demo ones and random ones with bands crossing midnight, whole-day
bands, gaps, every partial-unit rule, continuing tier clocks, grace both ways and caps of each
window kind; stays run up to eight days, some across daylight-saving changes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curbside.city.registry import load_city
from curbside.domain.parking.fees import (
    DAY_S,
    Fee,
    band_occurrences,
    calendar_day_of,
    compute_fee,
    from_seconds,
    local_date,
)
from curbside.domain.parking.fees_vectorised import compute_fees
from curbside.vocabulary.tariff import Tariff
from curbside.vocabulary.workdays import WorkdayCalendar

CITY = load_city(Path(__file__).parents[3] / "curbside" / "city" / "demo-city.yaml")
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")  # daylight saving: gaps and repeated hours
HAVANA = ZoneInfo("America/Havana")  # daylight saving at midnight: a day without a 00:00
# Stays start near these days: a week with Havana's spring change, then the weeks of
# Berlin's two changes (and Havana's autumn one).
ANCHORS = [date(2026, 3, 2), date(2026, 3, 27), date(2026, 10, 23)]
CALENDAR_DAYS = [a + timedelta(days=n) for a in ANCHORS for n in range(-3, 14)]
UNITS = [1, 5, 7, 15, 30, 60, 120]

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def _prices(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["free", "flat", "tiered", "tiered", "tiered"]))
    if kind == "free":
        return {"kind": "free"}
    if kind == "flat":
        return {"kind": "flat", "fen": draw(st.integers(0, 1000))}
    count = draw(st.integers(1, 3))
    tiers: list[dict[str, int]] = []
    up_to = 0
    for number in range(count):
        unit = draw(st.sampled_from(UNITS))
        fen = draw(st.integers(0, 500))
        if number < count - 1:
            up_to += unit * draw(st.integers(1, 6))
            tiers.append({"up_to_minutes": up_to, "unit_minutes": unit, "unit_fen": fen})
        else:
            tiers.append({"unit_minutes": unit, "unit_fen": fen})
    price: dict[str, Any] = {"kind": "tiered", "tiers": tiers}
    partial = draw(st.sampled_from(["round-up", "drop", "threshold"]))
    smallest = min(t["unit_minutes"] for t in tiers)
    if partial == "threshold" and smallest > 1:
        price["free_under_minutes"] = draw(st.integers(1, smallest - 1))
    else:
        partial = "round-up" if partial == "threshold" else partial
    price["partial"] = partial
    return price


@st.composite
def _band(draw: st.DrawFn, name: str, start: int, end: int) -> dict[str, Any]:
    band: dict[str, Any] = {
        "name": name,
        "start": _hhmm(start),
        "end": _hhmm(end),
        "tier_clock": draw(st.sampled_from(["restart", "continue"])),
        "price": draw(_prices()),
    }
    if draw(st.booleans()):
        band["non_workday_price"] = draw(_prices())
    return band


@st.composite
def _random_tariffs(draw: st.DrawFn) -> Tariff:
    if draw(st.integers(0, 7)) == 0:
        start = draw(st.integers(0, 1439))
        bands = [draw(_band("all", start, start))]  # a whole-day band
    else:
        minute = st.one_of(st.integers(0, 1439), st.integers(0, 95).map(lambda q: q * 15))
        cuts = sorted(draw(st.sets(minute, min_size=2, max_size=5)))
        segments = list(zip(cuts, cuts[1:] + cuts[:1], strict=True))  # the last one wraps
        used = draw(st.lists(st.booleans(), min_size=len(segments), max_size=len(segments)))
        if not any(used):
            used[draw(st.integers(0, len(used) - 1))] = True
        bands = [
            draw(_band(f"b{n}", start, end))
            for n, ((start, end), on) in enumerate(zip(segments, used, strict=True))
            if on
        ]
    tariff: dict[str, Any] = {"bands": bands}
    if draw(st.booleans()):
        tariff["grace"] = {
            "minutes": draw(st.integers(1, 90)),
            "charged_when_exceeded": draw(st.booleans()),
        }
    if draw(st.integers(0, 3)):
        tariff["cap"] = {
            "fen": draw(st.integers(1, 5000)),
            "window": draw(st.sampled_from(["24h-from-entry", "calendar-day", "charging-day"])),
        }
    return Tariff.model_validate(tariff)


TARIFFS = st.one_of(st.sampled_from(sorted(CITY.tariffs.values(), key=repr)), _random_tariffs())


@st.composite
def _calendars(draw: st.DrawFn) -> WorkdayCalendar:
    if draw(st.booleans()):
        return CITY.workday_calendar
    holidays = draw(st.sets(st.sampled_from(CALENDAR_DAYS)))
    weekend = [d for d in CALENDAR_DAYS if d.weekday() >= 5 and d not in holidays]
    adjusted = draw(st.sets(st.sampled_from(weekend))) if weekend else set()
    return WorkdayCalendar(
        holidays=tuple(sorted(holidays)), adjusted_workdays=tuple(sorted(adjusted))
    )


TZS = st.sampled_from([SHANGHAI, SHANGHAI, BERLIN, HAVANA])
# Many whole minutes and five-minute steps: they land exactly on grace, unit and band edges.
DURATIONS = st.one_of(
    st.integers(0, 3 * 3600),
    st.integers(0, 200).map(lambda m: m * 60),
    st.integers(0, 30 * 12).map(lambda q: q * 300),
    st.integers(0, 30 * 3600),
    st.integers(0, 8 * DAY_S),
)


@st.composite
def _entries(draw: st.DrawFn, tz: ZoneInfo) -> int:
    anchor = datetime.combine(draw(st.sampled_from(ANCHORS)), datetime.min.time(), tz)
    offset = draw(
        st.one_of(st.integers(0, 4 * DAY_S), st.integers(0, 4 * 288).map(lambda q: q * 300))
    )
    return int(anchor.timestamp()) + offset


def _fee(tariff: Tariff, entry_s: int, exit_s: int, calendar: WorkdayCalendar, tz: ZoneInfo) -> Fee:
    return compute_fee(tariff, from_seconds(entry_s), from_seconds(exit_s), calendar, tz)


@SETTINGS
@given(st.data(), TARIFFS, _calendars(), TZS)
def test_scalar_and_vectorised_agree_and_the_breakdown_adds_up(
    data: st.DataObject, tariff: Tariff, calendar: WorkdayCalendar, tz: ZoneInfo
) -> None:
    entries = data.draw(st.lists(_entries(tz), min_size=1, max_size=25))
    durations = data.draw(st.lists(DURATIONS, min_size=len(entries), max_size=len(entries)))
    exits = [e + d for e, d in zip(entries, durations, strict=True)]
    bulk = compute_fees(tariff, np.array(entries), np.array(exits), calendar, tz)
    for entry, exit_s, total in zip(entries, exits, bulk.tolist(), strict=True):
        fee = _fee(tariff, entry, exit_s, calendar, tz)
        assert fee.total_fen == total
        assert fee.total_fen >= 0 and fee.cap_deduction_fen >= 0
        assert sum(i.subtotal_fen for i in fee.items) - fee.cap_deduction_fen == fee.total_fen
        for item in fee.items:
            assert item.units >= 0 and item.subtotal_fen == item.units * item.unit_fen
            assert from_seconds(entry) <= item.start < item.end <= from_seconds(exit_s)
        starts = [i.start for i in fee.items]
        assert starts == sorted(starts)


@SETTINGS
@given(st.data(), TARIFFS, _calendars(), TZS)
def test_the_fee_never_decreases_as_the_exit_gets_later(
    data: st.DataObject, tariff: Tariff, calendar: WorkdayCalendar, tz: ZoneInfo
) -> None:
    entry = data.draw(_entries(tz))
    exits = sorted(entry + d for d in data.draw(st.lists(DURATIONS, min_size=2, max_size=12)))
    fees = [_fee(tariff, entry, exit_s, calendar, tz).total_fen for exit_s in exits]
    assert fees == sorted(fees)
    many = np.sort(entry + np.random.default_rng(len(exits)).integers(0, 3 * DAY_S, 500))
    bulk = compute_fees(tariff, np.full(many.size, entry), many, calendar, tz)
    assert np.all(np.diff(bulk) >= 0)


@SETTINGS
@given(st.data(), TARIFFS, _calendars(), TZS)
def test_grace_and_the_cap(
    data: st.DataObject, tariff: Tariff, calendar: WorkdayCalendar, tz: ZoneInfo
) -> None:
    entry = data.draw(_entries(tz))
    exit_s = entry + data.draw(DURATIONS)
    fee = _fee(tariff, entry, exit_s, calendar, tz)
    if tariff.grace is not None:
        within = entry + data.draw(st.integers(0, tariff.grace.minutes * 60))
        inside = _fee(tariff, entry, within, calendar, tz)
        assert inside.total_fen == 0 and inside.grace_applied and not inside.items
    if tariff.cap is not None:
        windows = _windows_touched(tariff, entry, exit_s, calendar, tz)
        assert fee.total_fen <= tariff.cap.fen * max(windows, 1)


def _windows_touched(
    tariff: Tariff, entry: int, exit_s: int, calendar: WorkdayCalendar, tz: ZoneInfo
) -> int:
    """How many cap windows the stay reaches (an upper bound for charging days)."""
    assert tariff.cap is not None
    if exit_s == entry:
        return 1
    if tariff.cap.window == "24h-from-entry":
        return -(-(exit_s - entry) // DAY_S)
    if tariff.cap.window == "calendar-day":
        return (calendar_day_of(exit_s - 1, tz) - calendar_day_of(entry, tz)).days + 1
    first = local_date(entry, tz) - timedelta(days=2)
    occurrences = band_occurrences(tariff, calendar, tz, first, local_date(exit_s, tz))
    return len({o.day for o in occurrences if o.start_s < exit_s and o.end_s > entry})
