"""The worklist's order and the stations' rounds, on a hand-made layout along the equator.

On the equator a degree of longitude is 2πR/360 metres, so the distances are easy to check by
hand: the layout is in thousandths of a degree ("units"), about 111.2 m each.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from curbside.domain.sanitation.worklist import (
    EARTH_RADIUS_M,
    FIRE,
    FULL,
    NOT_CLEARED,
    OVERFLOW_SOON,
    Point,
    Reason,
    Station,
    Task,
    distance_m,
    plan_routes,
    worklist,
)

UNIT_M = 2 * math.pi * EARTH_RADIUS_M / 360 / 1000
T0 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def on_line(units: float) -> Point:
    return Point(0.0, units / 1000)


def task(bin_id: str, units: float = 0, reason: Reason = NOT_CLEARED, minutes: int = 0) -> Task:
    return Task("D1", bin_id, reason, "", T0 + timedelta(minutes=minutes), on_line(units))


def test_distance_along_the_equator_and_a_meridian() -> None:
    assert distance_m(on_line(0), on_line(3)) == pytest.approx(3 * UNIT_M)
    # A degree of latitude is the same length anywhere on a sphere.
    assert distance_m(Point(30, 120), Point(31, 120)) == pytest.approx(1000 * UNIT_M)
    assert distance_m(on_line(5), on_line(5)) == 0


def test_nearest_neighbour_round_is_greedy_and_returns_to_the_station() -> None:
    # Station at 0; bins at +1, -1.5, +3. Nearest first: +1; from there +3 (2 away) beats
    # -1.5 (2.5 away); then -1.5; then home: 1 + 2 + 4.5 + 1.5 = 9 units.
    stations = [Station("S1", on_line(0))]
    stops = [task("minus", -1.5), task("three", 3), task("one", 1)]
    [route] = plan_routes(stations, stops)
    assert route.station == "S1"
    assert route.stops == ["one", "three", "minus"]
    assert route.distance_m == pytest.approx(9 * UNIT_M)


def test_each_bin_goes_to_its_nearest_station() -> None:
    # S1 at 0, S2 at 100; a bin at 50 is as near to both: the station listed first takes it.
    # S3 gets no bin and is left out.
    stations = [
        Station("S1", on_line(0)),
        Station("S2", on_line(100)),
        Station("S3", Point(10.0, 0.0)),
    ]
    stops = [task("a", 2), task("b", 98), task("mid", 50), task("c", 95)]
    routes = plan_routes(stations, stops)
    assert [(r.station, r.stops) for r in routes] == [("S1", ["a", "mid"]), ("S2", ["b", "c"])]
    assert routes[0].distance_m == pytest.approx(100 * UNIT_M)
    assert routes[1].distance_m == pytest.approx(10 * UNIT_M)


def test_no_stations_or_no_stops() -> None:
    assert plan_routes([], [task("a", 1)]) == []
    assert plan_routes([Station("S1", on_line(0))], []) == []


def test_ties_between_bins_go_to_the_bin_listed_first() -> None:
    [route] = plan_routes([Station("S1", on_line(0))], [task("left", -1), task("right", 1)])
    assert route.stops == ["left", "right"]
    assert route.distance_m == pytest.approx(4 * UNIT_M)


def test_worklist_most_urgent_first_then_earliest_and_one_entry_per_bin() -> None:
    tasks = [
        task("b1", reason=NOT_CLEARED, minutes=60),
        task("b2", reason=NOT_CLEARED, minutes=30),
        task("b3", reason=OVERFLOW_SOON),
        task("b4", reason=FULL, minutes=10),
        task("b5", reason=FULL, minutes=5),
        task("b1", reason=FIRE, minutes=90),  # b1 is on fire: listed once, as a fire
        task("b6", reason=NOT_CLEARED, minutes=30),  # same due as b2: given order kept
    ]
    assert [(t.bin, t.reason) for t in worklist(tasks)] == [
        ("b1", FIRE),
        ("b5", FULL),
        ("b4", FULL),
        ("b3", OVERFLOW_SOON),
        ("b2", NOT_CLEARED),
        ("b6", NOT_CLEARED),
    ]


def test_the_same_bin_id_in_another_district_is_another_bin() -> None:
    other = Task("D2", "b1", FULL, "", T0, on_line(0))
    assert len(worklist([task("b1", reason=FULL), other])) == 2
