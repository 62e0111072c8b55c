"""Collections from hand-made fill series and reports, and properties that hold for any."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.sanitation.collections import (
    BOTH,
    FILL,
    REPORT,
    Collection,
    CollectionRules,
    Emptied,
    Level,
    clean_levels,
    detect_collections,
)

T0 = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
RULES = CollectionRules()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def series(*points: tuple[float, float]) -> list[Level]:
    return [Level(at(m), pct) for m, pct in points]


def detect(levels: list[Level], reports: list[Emptied] | None = None) -> list[Collection]:
    return detect_collections(levels, reports or [], RULES)


def test_a_sharp_drop_to_near_empty_is_a_collection_at_the_first_low_reading() -> None:
    levels = series((0, 70), (10, 72), (20, 4), (30, 5))
    assert detect(levels) == [Collection(at(20), FILL, None, 72, 4)]


def test_noise_and_a_slow_fall_are_no_collection() -> None:
    noisy = series(*((m, 40 + (2 if m % 20 else -2)) for m in range(0, 200, 10)))
    assert detect(noisy) == []
    # Rubbish settling: 29 points down in one reading is not enough.
    assert detect(series((0, 43), (10, 14), (20, 14))) == []
    # Dropping 40 points but not to near empty is no emptying either.
    assert detect(series((0, 80), (10, 40), (20, 41))) == []


def test_a_single_bad_low_reading_is_not_a_collection() -> None:
    glitch = series((0, 80), (10, 3), (20, 79), (30, 81))
    assert detect(glitch) == []
    assert clean_levels(glitch, RULES) == series((0, 80), (20, 79), (30, 81))


def test_a_single_bad_high_reading_does_not_make_a_drop() -> None:
    assert detect(series((0, 5), (10, 95), (20, 5), (30, 6))) == []


def test_a_last_low_reading_counts_until_a_next_reading_contradicts_it() -> None:
    assert detect(series((0, 80), (10, 3))) == [Collection(at(10), FILL, None, 80, 3)]
    assert detect(series((0, 80), (10, 3), (20, 80))) == []


def test_refilling_after_the_emptying_does_not_undo_it() -> None:
    # 45 is still more than 30 below the 80 before the drop: the drop is confirmed.
    assert detect(series((0, 80), (10, 5), (20, 45))) == [Collection(at(10), FILL, None, 80, 5)]


def test_a_bin_emptied_twice_is_two_collections() -> None:
    levels = series((0, 60), (10, 2), (300, 55), (310, 3), (320, 3))
    assert detect(levels) == [
        Collection(at(10), FILL, None, 60, 2),
        Collection(at(310), FILL, None, 55, 3),
    ]


def test_a_report_and_a_fill_drop_within_the_window_are_one_collection() -> None:
    levels = series((0, 70), (10, 72), (20, 4), (30, 5))
    # The report is stamped 15 minutes before the first low reading.
    reports = [Emptied(at(5), "T03")]
    assert detect(levels, reports) == [Collection(at(5), BOTH, "T03", 72, 4)]
    # 31 minutes apart: two sightings that cannot be the same emptying.
    far = [Emptied(at(20 + 31), "T03")]
    assert detect(levels, far) == [
        Collection(at(20), FILL, None, 72, 4),
        Collection(at(51), REPORT, "T03", None, None),
    ]


def test_reports_of_one_emptying_are_one_collection_with_the_truck() -> None:
    # A lid sensor without truck id, then the truck 2 minutes later, then a redelivery.
    reports = [Emptied(at(100)), Emptied(at(102), "T07"), Emptied(at(102), "T07")]
    assert detect([], reports) == [Collection(at(100), REPORT, "T07", None, None)]


def test_a_fill_drop_joins_the_nearest_report() -> None:
    levels = series((0, 70), (40, 3), (50, 3))
    reports = [Emptied(at(10), "A"), Emptied(at(45), "B")]
    assert detect(levels, reports) == [
        Collection(at(10), REPORT, "A", None, None),
        Collection(at(45), BOTH, "B", 70, 3),
    ]


def test_times_are_utc_whatever_offset_they_came_with() -> None:
    shanghai = timedelta(hours=8)

    local = timezone(shanghai)
    reports = [Emptied(datetime(2026, 11, 27, 8, 0, tzinfo=local), "T1")]
    [found] = detect([], reports)
    assert found.ts == T0
    assert found.ts.tzinfo is UTC


def test_naive_times_and_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        detect([Level(datetime(2026, 11, 27), 50)])  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="min_drop_pct"):
        CollectionRules(min_drop_pct=0)
    with pytest.raises(ValueError, match="empty_at_most_pct"):
        CollectionRules(empty_at_most_pct=100)
    with pytest.raises(ValueError, match="merge_window"):
        CollectionRules(merge_window=timedelta(minutes=-1))


# Whole minutes over two days; fill in whole points so that drops and ties happen often.
levels_st = st.lists(
    st.builds(
        Level,
        ts=st.integers(0, 2 * 24 * 60).map(at),
        fill_pct=st.integers(0, 100).map(float),
    ),
    max_size=40,
)
reports_st = st.lists(
    st.builds(
        Emptied,
        ts=st.integers(0, 2 * 24 * 60).map(at),
        truck=st.none() | st.sampled_from(["T1", "T2"]),
    ),
    max_size=8,
)


@given(levels_st, reports_st, st.randoms(use_true_random=False))
def test_order_and_duplicates_do_not_change_the_collections(
    levels: list[Level], reports: list[Emptied], rng: random.Random
) -> None:
    expected = detect(levels, reports)
    noisy_levels = levels + rng.sample(levels, k=len(levels) // 2)
    noisy_reports = reports + rng.sample(reports, k=len(reports) // 2)
    rng.shuffle(noisy_levels)
    rng.shuffle(noisy_reports)
    assert detect(noisy_levels, noisy_reports) == expected


@given(levels_st, reports_st)
def test_collections_are_sorted_consistent_and_one_per_emptying(
    levels: list[Level], reports: list[Emptied]
) -> None:
    found = detect(levels, reports)
    window = RULES.merge_window
    assert [c.ts for c in found] == sorted(c.ts for c in found)
    for c in found:
        assert (c.before_pct is None) == (c.source == REPORT)
        assert (c.after_pct is None) == (c.source == REPORT)
        if c.source == FILL:
            assert c.truck is None
        if c.after_pct is not None and c.before_pct is not None:
            assert c.after_pct <= RULES.empty_at_most_pct
            assert c.before_pct - c.after_pct >= RULES.min_drop_pct
    reported = [c for c in found if c.source != FILL]
    # Every report lies within the window after some reported collection, and those are
    # more than the window apart.
    for c in reported:
        assert c.ts in {r.ts for r in reports}
    for earlier, later in itertools.pairwise(reported):
        assert later.ts - earlier.ts > window
    for r in reports:
        assert any(timedelta(0) <= r.ts - c.ts <= window for c in reported)
    # A fill drop left on its own had no unclaimed report within the window.
    for fill in (c for c in found if c.source == FILL):
        assert not any(c.source == REPORT and abs(c.ts - fill.ts) <= window for c in reported)
    # Nothing is lost: each fill drop is in exactly one collection.
    drops = detect(levels)
    assert len(drops) == sum(c.source != REPORT for c in found)
