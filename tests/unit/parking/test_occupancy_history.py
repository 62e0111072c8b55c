"""Time-weighted mean occupancy per bucket, against hand-computed and brute-force answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.parking.occupancy_history import (
    OccupancyBucket,
    OccupancyIntegrator,
    busiest_first,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def at(minutes: float) -> datetime:
    return T0 + minutes * MINUTE


def means(buckets: list[OccupancyBucket]) -> list[float]:
    return [round(b.occupied_mean, 4) for b in buckets]


def test_hand_computed_means() -> None:
    integrator = OccupancyIntegrator(["A", "B", "C"], at(0), at(60), 15 * MINUTE, 2 * 60 * MINUTE)
    integrator.add_all("A", [(at(-45), True), (at(20), False)])  # occupied 10:00-10:20
    integrator.add_all("B", [(at(-10), False), (at(30), True)])  # occupied 10:30-11:00
    integrator.add_all("C", [(at(10.5), True), (at(40), False)])  # occupied 10:10:30-10:40
    integrator.add("D", at(0), True)  # not one of the zone's spaces
    buckets = integrator.buckets()
    # 10:00-10:15: A 15 + C 4.5 min; 10:15-10:30: A 5 + C 15; 10:30-10:45: B 15 + C 10; then B.
    assert means(buckets) == [round(19.5 / 15, 4), round(20 / 15, 4), round(25 / 15, 4), 1.0]
    assert [b.start for b in buckets] == [at(0), at(15), at(30), at(45)]
    assert buckets[-1].end == at(60)
    assert buckets[0].capacity == 3
    assert buckets[0].occupancy_rate == pytest.approx(19.5 / 15 / 3)
    assert integrator.buckets() == buckets  # asking twice adds nothing twice


def test_a_report_older_than_the_staleness_limit_stops_counting() -> None:
    integrator = OccupancyIntegrator(["A"], at(0), at(60), 15 * MINUTE, 60 * MINUTE)
    integrator.add("A", at(-45), True)  # stale from 10:15 on: silence is not occupancy
    buckets = integrator.buckets()
    assert means(buckets) == [1.0, 0.0, 0.0, 0.0]
    # ... nor vacancy: after it, nothing is known, and the rate is a gap, not 0 %.
    assert [b.has_data for b in buckets] == [True, False, False, False]
    assert [b.occupancy_rate for b in buckets] == [1.0, None, None, None]


def test_known_vacancy_is_0_percent_and_silence_is_no_data() -> None:
    integrator = OccupancyIntegrator(["A", "B"], at(0), at(60), 15 * MINUTE, 60 * MINUTE)
    integrator.add("A", at(20), False)  # known vacant from 10:20 on; B never reports
    buckets = integrator.buckets()
    assert [round(b.known_mean, 4) for b in buckets] == [0.0, round(10 / 15, 4), 1.0, 1.0]
    assert [b.occupancy_rate for b in buckets] == [None, 0.0, 0.0, 0.0]


def test_the_last_bucket_may_be_shorter() -> None:
    integrator = OccupancyIntegrator(["A"], at(0), at(50), 15 * MINUTE, 60 * MINUTE)
    integrator.add_all("A", [(at(0), False), (at(46), True)])
    buckets = integrator.buckets()
    assert [(b.start, b.end) for b in buckets][-1] == (at(45), at(50))
    assert means(buckets) == [0.0, 0.0, 0.0, 0.8]


def test_reports_of_a_space_must_come_in_time_order() -> None:
    integrator = OccupancyIntegrator(["A"], at(0), at(60), 15 * MINUTE, 60 * MINUTE)
    integrator.add("A", at(10), True)
    with pytest.raises(ValueError, match="time order"):
        integrator.add("A", at(5), False)


def test_an_empty_window_has_no_buckets() -> None:
    assert OccupancyIntegrator(["A"], at(0), at(0), MINUTE, MINUTE).buckets() == []


def test_busiest_first_breaks_ties_by_time() -> None:
    buckets = [
        OccupancyBucket(at(0), at(60), 1.0, 2, 2.0),
        OccupancyBucket(at(60), at(120), 2.0, 2, 2.0),
        OccupancyBucket(at(120), at(180), 1.0, 2, 2.0),
    ]
    assert [b.start for b in busiest_first(buckets, 60 * MINUTE)] == [at(60), at(0), at(120)]


def test_busiest_first_ranks_only_complete_buckets_with_data() -> None:
    buckets = [
        OccupancyBucket(at(0), at(60), 0.0, 2, 0.0),  # no sensor reported: unknown, not empty
        OccupancyBucket(at(60), at(120), 0.5, 2, 2.0),
        OccupancyBucket(at(120), at(121), 2.0, 2, 2.0),  # the hour still running, 1 min old
    ]
    assert [b.start for b in busiest_first(buckets, 60 * MINUTE)] == [at(60)]


space_reports = st.lists(st.tuples(st.integers(-90, 120), st.booleans()), max_size=12).map(
    lambda reports: sorted(reports, key=lambda r: r[0])
)


@given(
    st.dictionaries(st.sampled_from(["A", "B", "C"]), space_reports),
    st.integers(1, 45),
    st.integers(1, 90),
)
def test_means_equal_a_minute_by_minute_count(
    reports: dict[str, list[tuple[int, bool]]], every_min: int, stale_min: int
) -> None:
    # Whole-minute reports make a minute-by-minute count exact.
    integrator = OccupancyIntegrator(
        ["A", "B", "C"], at(0), at(120), every_min * MINUTE, stale_min * MINUTE
    )
    for space, series in reports.items():
        integrator.add_all(space, [(at(m), occupied) for m, occupied in series])
    buckets = integrator.buckets()

    def occupied_at(minute: int) -> int:
        count = 0
        for series in reports.values():
            latest = [(m, o) for m, o in series if m <= minute]
            if latest and latest[-1][1] and minute - latest[-1][0] < stale_min:
                count += 1
        return count

    assert len(buckets) == -(-120 // every_min)
    for bucket in buckets:
        first = int((bucket.start - T0) / MINUTE)
        last = int((bucket.end - T0) / MINUTE)
        expected = sum(occupied_at(m) for m in range(first, last)) / (last - first)
        assert bucket.occupied_mean == pytest.approx(expected)
        assert 0 <= bucket.occupied_mean <= 3
