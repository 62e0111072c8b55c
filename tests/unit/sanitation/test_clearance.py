"""Daily clearance from hand-made days in Asia/Shanghai, and properties of the counts."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.city.registry import Bin, District
from curbside.domain.sanitation.clearance import (
    NOT_NEEDED,
    BinClearance,
    ClearanceReport,
    ClearanceRules,
    bin_clearance,
    day_bounds,
    district_clearance,
    not_cleared_detail,
    summarise,
)
from curbside.domain.sanitation.collections import Collection, Emptied, Level, detect_collections

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)
DEADLINE = time(19, 0)
RULES = ClearanceRules()


def local(hh: int, mm: int = 0, days: int = 0) -> datetime:
    """A local Shanghai time on DAY (+ days), as the UTC instant stored."""
    return datetime.combine(DAY + timedelta(days=days), time(hh, mm), tzinfo=SHANGHAI).astimezone(
        UTC
    )


def lv(hh: int, mm: int, pct: float, days: int = 0) -> Level:
    return Level(local(hh, mm, days), pct)


def judge(levels: list[Level], reports: list[Emptied] | None = None) -> BinClearance:
    collections = detect_collections(levels, reports or [], RULES.collection)
    return bin_clearance(levels, collections, DAY, DEADLINE, SHANGHAI, rules=RULES)


def test_day_bounds_are_local_midnights_in_utc() -> None:
    bounds = day_bounds(DAY, DEADLINE, SHANGHAI)
    assert bounds.start == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert bounds.end == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert bounds.deadline == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def test_filled_and_emptied_before_the_deadline_is_cleared_on_time() -> None:
    levels = [lv(6, 0, 2), lv(9, 0, 30), lv(12, 0, 60), lv(16, 30, 3), lv(17, 0, 4)]
    assert judge(levels) == BinClearance(True, True, False, local(16, 30), local(9, 0))


def test_noise_around_a_full_bin_is_one_rise() -> None:
    levels = [lv(6, 0, 2), lv(8, 0, 40), lv(8, 10, 38), lv(8, 20, 42), lv(15, 0, 3)]
    assert judge(levels) == BinClearance(True, True, False, local(15, 0), local(8, 0))


def test_a_single_bad_low_reading_neither_clears_nor_makes_a_rise() -> None:
    levels = [lv(6, 0, 2), lv(9, 0, 70), lv(9, 10, 3), lv(9, 20, 71), lv(20, 0, 72)]
    assert judge(levels) == BinClearance(True, False, False, None, local(9, 0))


def test_a_clearance_after_the_deadline_is_late() -> None:
    levels = [lv(6, 0, 2), lv(10, 0, 50), lv(18, 50, 55), lv(19, 40, 2)]
    reports = [Emptied(local(19, 35), "T03")]
    assert judge(levels, reports) == BinClearance(True, True, True, local(19, 35), local(10, 0))


def test_a_collection_at_the_deadline_is_on_time() -> None:
    levels = [lv(6, 0, 2), lv(10, 0, 50)]
    result = judge(levels, [Emptied(local(19, 0))])
    assert result.cleared
    assert not result.late


def test_a_bin_that_stayed_empty_did_not_need_clearance() -> None:
    levels = [lv(h, 0, 3 + h % 3) for h in range(24)] + [lv(23, 0, 5, days=-1)]
    assert judge(levels, [Emptied(local(7, 0), "T01")]) == NOT_NEEDED


def test_without_readings_nothing_shows_rubbish() -> None:
    assert judge([], [Emptied(local(7, 0))]) == NOT_NEEDED


def test_rubbish_carried_over_midnight_needs_clearance_from_the_days_start() -> None:
    # 23:50 the evening before is 15:50 UTC; 00:10 today is 16:10 UTC.
    levels = [lv(23, 50, 45, days=-1), lv(0, 10, 46), lv(6, 20, 2)]
    assert levels[0].ts == datetime(2026, 11, 26, 15, 50, tzinfo=UTC)
    assert levels[1].ts == datetime(2026, 11, 26, 16, 10, tzinfo=UTC)
    start = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert judge(levels) == BinClearance(True, True, False, local(6, 20), start)


def test_a_collection_before_midnight_empties_what_was_carried() -> None:
    # Emptied at 23:55 after the 23:50 reading; the first reading of the day shows it empty.
    levels = [lv(23, 50, 45, days=-1), lv(0, 30, 2), lv(12, 0, 5)]
    reports = [Emptied(local(23, 55, days=-1), "T09")]
    assert judge(levels, reports) == NOT_NEEDED
    # Yesterday's collection does not clear today's rubbish.
    assert judge([*levels[:2], lv(9, 0, 30)], reports) == BinClearance(
        True, False, False, None, local(9, 0)
    )


def test_a_first_reading_of_the_day_above_the_threshold_counts_as_carried_in() -> None:
    # Nothing before midnight: the 07:00 reading stands for the day's start, so the 06:10
    # emptying cleared it.
    levels = [lv(7, 0, 40), lv(8, 0, 41)]
    result = judge(levels, [Emptied(local(6, 10), "T02")])
    assert result == BinClearance(True, True, False, local(6, 10), local(0, 0))


def test_the_last_reading_before_the_deadline_decides_when_one_is_missing() -> None:
    # 18:30 empty; the next reading, 20:30, shows rubbish: it came after the deadline, so it is
    # tomorrow's (carried over midnight), not a failure today.
    levels = [lv(6, 0, 2), lv(18, 30, 4), lv(20, 30, 35)]
    assert judge(levels) == NOT_NEEDED
    tomorrow = bin_clearance(levels, [], DAY + timedelta(days=1), DEADLINE, rules=RULES)
    assert tomorrow == BinClearance(True, False, False, None, local(0, 0, days=1))


def test_rubbish_after_the_clearing_before_the_deadline_must_be_cleared_again() -> None:
    levels = [lv(6, 0, 40), lv(6, 30, 2), lv(12, 0, 2), lv(14, 0, 25), lv(18, 0, 30)]
    reports = [Emptied(local(6, 25), "T01")]
    assert judge(levels, reports) == BinClearance(True, False, False, None, local(14, 0))


def test_a_bin_emptied_twice_is_cleared_by_the_collection_after_the_last_rise() -> None:
    levels = [
        lv(5, 0, 35),
        lv(6, 10, 2),  # morning round
        lv(13, 0, 45),  # filled again
        lv(17, 40, 3),  # afternoon round
        lv(18, 0, 3),
    ]
    assert judge(levels) == BinClearance(True, True, False, local(17, 40), local(13, 0))
    # Without new rubbish between them, the morning round already cleared the day.
    quiet = [lv(5, 0, 35), lv(6, 10, 2), lv(13, 0, 5), lv(17, 40, 3)]
    assert judge(quiet, [Emptied(local(17, 39))]).cleared_at == local(6, 10)


def test_a_report_and_a_drop_of_one_emptying_clear_once() -> None:
    levels = [lv(6, 0, 2), lv(9, 0, 50), lv(16, 20, 3), lv(16, 30, 3)]
    reports = [Emptied(local(16, 12), "T04")]
    collections = detect_collections(levels, reports, RULES.collection)
    assert [c.source for c in collections] == ["both"]
    assert judge(levels, reports) == BinClearance(True, True, False, local(16, 12), local(9, 0))


def test_summarise_counts_needed_cleared_late_and_the_rate() -> None:
    on_time = BinClearance(True, True, False, local(16, 0), local(9, 0))
    late = BinClearance(True, True, True, local(20, 0), local(9, 0))
    failed = BinClearance(True, False, False, None, local(9, 0))
    results = {"B3": failed, "B1": on_time, "B2": late, "B4": NOT_NEEDED}
    assert summarise(results) == ClearanceReport(
        needed=3, cleared=2, not_cleared=["B3"], late=["B2"], clearance_rate=2 / 3
    )
    assert summarise({"B4": NOT_NEEDED}).clearance_rate is None
    assert summarise({}) == ClearanceReport(0, 0, [], [], None)


def test_district_clearance_uses_the_districts_deadline_its_bins_and_their_reports() -> None:
    bins = [Bin(id=f"D1-B{i}", capacity_l=240, depth_cm=100, lat=30, lon=120) for i in (1, 2, 3)]
    district = District(id="D1", name="East", clearance_deadline=time(18, 30), bins=bins)
    levels = {
        "D1-B1": [lv(6, 0, 2), lv(9, 0, 50), lv(18, 40, 2)],  # late for 18:30
        "D1-B2": [lv(6, 0, 2), lv(9, 0, 50)],  # not cleared
        "D1-B3": [lv(6, 0, 2), lv(9, 0, 50), lv(12, 0, 3)],  # a truck reported emptying it
        "D1-B9": [lv(9, 0, 50)],  # not a bin of the district
    }
    reports = {"D1-B3": [Emptied(local(11, 0), "T04")]}
    verdicts = district_clearance(district, levels, reports, DAY, SHANGHAI, rules=RULES)
    assert list(verdicts) == ["D1-B1", "D1-B2", "D1-B3"]
    assert [v.not_cleared for v in verdicts.values()] == [False, True, False]
    assert summarise(verdicts) == ClearanceReport(
        needed=3, cleared=2, not_cleared=["D1-B2"], late=["D1-B1"], clearance_rate=2 / 3
    )


def test_not_cleared_is_worded_by_the_deadline_before_and_after_it() -> None:
    verdict = BinClearance(True, False, False, None, local(9, 5))
    deadline = local(19, 0)
    assert not_cleared_detail(verdict, deadline, local(18, 0), SHANGHAI) == (
        "rubbish since 09:05, deadline 19:00"
    )
    assert not_cleared_detail(verdict, deadline, local(19, 0), SHANGHAI) == (
        "rubbish since 09:05, not cleared by the 19:00 deadline"
    )


def test_rules_refuse_a_threshold_out_of_range() -> None:
    with pytest.raises(ValueError, match="rubbish_above_pct"):
        ClearanceRules(rubbish_above_pct=100)


# Whole minutes from noon the day before to noon the day after (local), to cross midnights.
_SPAN = 48 * 60
levels_st = st.lists(
    st.builds(
        Level,
        ts=st.integers(0, _SPAN).map(lambda m: local(12, 0, days=-1) + timedelta(minutes=m)),
        fill_pct=st.integers(0, 100).map(float),
    ),
    max_size=40,
)
reports_st = st.lists(
    st.builds(
        Emptied,
        ts=st.integers(0, _SPAN).map(lambda m: local(12, 0, days=-1) + timedelta(minutes=m)),
        truck=st.none() | st.just("T1"),
    ),
    max_size=6,
)


@given(levels_st, reports_st, st.randoms(use_true_random=False))
def test_order_and_duplicates_do_not_change_the_verdict(
    levels: list[Level], reports: list[Emptied], rng: random.Random
) -> None:
    collections = detect_collections(levels, reports, RULES.collection)
    expected = bin_clearance(levels, collections, DAY, DEADLINE, rules=RULES)
    noisy = levels + rng.sample(levels, k=len(levels) // 2)
    rng.shuffle(noisy)
    shuffled: list[Collection] = collections + collections[:1]
    rng.shuffle(shuffled)
    assert bin_clearance(noisy, shuffled, DAY, DEADLINE, rules=RULES) == expected


@given(levels_st, reports_st)
def test_verdicts_are_consistent(levels: list[Level], reports: list[Emptied]) -> None:
    collections = detect_collections(levels, reports, RULES.collection)
    result = bin_clearance(levels, collections, DAY, DEADLINE, rules=RULES)
    bounds = day_bounds(DAY, DEADLINE)
    if not result.needed:
        assert result == NOT_NEEDED
        return
    assert result.last_rise is not None
    assert bounds.start <= result.last_rise <= bounds.deadline
    assert result.cleared == (result.cleared_at is not None)
    if result.cleared_at is not None:
        assert result.last_rise <= result.cleared_at < bounds.end
        assert result.cleared_at in {c.ts for c in collections}
        assert result.late == (result.cleared_at > bounds.deadline)
    else:
        assert not result.late
        assert not any(result.last_rise <= c.ts < bounds.end for c in collections)
