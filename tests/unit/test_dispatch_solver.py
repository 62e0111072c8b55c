"""The route planner on instances small enough to solve by hand.

The travel model here is a flat grid (``Point.lat``/``lon`` read as kilometres north/east,
straight-line distance, 10 m/s) so that every expected distance and time below is worked out
in the comments, not taken from the code under test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from curbside.domain.dispatch.problem import BinJob, Place, Problem, StationSpot, TruckSpec
from curbside.domain.dispatch.solver import solve
from curbside.domain.sanitation.worklist import Point

START = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
LATE = START + timedelta(hours=12)
SERVICE = timedelta(seconds=120)


class GridTravel:
    """Kilometre grid, straight lines, 10 m/s."""

    def matrix(self, places: Sequence[Point]) -> list[list[int]]:
        return [
            [round(1000 * math.hypot(a.lat - b.lat, a.lon - b.lon)) for b in places] for a in places
        ]

    def speed_during(self, start: datetime, end: datetime) -> float:
        return 10.0


STATION = StationSpot("S", Point(0, 0))


def job(
    name: str,
    north: float,
    east: float,
    load: int = 1,
    *,
    deadline: datetime = LATE,
    must: bool = True,
    penalty: int = 0,
) -> BinJob:
    return BinJob("D1", name, Point(north, east), 50.0, load, deadline, must, penalty)


def truck(capacity: int = 100) -> TruckSpec:
    return TruckSpec("T1", "S", capacity, START, LATE)


def problem(*bins: BinJob, capacity: int = 100) -> Problem:
    return Problem(START, bins, (truck(capacity),), (STATION,), service=SERVICE)


def test_capacity_forces_an_unload_trip() -> None:
    # A 1 km east and B 2 km east hold 6 l each; the truck takes 10 l, so it must unload
    # between them. Either order drives out and back twice: 1+1 + 2+2 = 6 km (S-A-B-S would
    # be 4 km but carries 12 l). Two unloads: one mid-route, one at the end.
    plan = solve(
        problem(job("A", 0, 1, 6), job("B", 0, 2, 6), capacity=10), GridTravel(), time_limit_s=1
    )
    (route,) = plan.routes
    assert plan.left_out == ()
    assert route.distance_m == 6000
    assert [s.kind for s in route.stops] == ["bin", "unload", "bin", "unload"]
    assert [s.load_after_l for s in route.stops] == [6, 0, 6, 0]
    assert route.unload_trips == 2
    # It leaves from its home station and ends there.
    assert route.origin == route.destination == Place("station", STATION.where, "S")


def test_a_deadline_forces_the_order() -> None:
    # A 1 km east, B 1 km north: both directions of the triangle are 1 + 1.414 + 1 km.
    # B due 200 s after the start: first, it is reached at 100 s; second, at
    # 100 + 120 (service) + 142 (1414 m at 10 m/s, rounded up) = 362 s. So B comes first,
    # and A is reached at 362 s.
    due = START + timedelta(seconds=200)
    plan = solve(
        problem(job("A", 0, 1), job("B", 1, 0, deadline=due)), GridTravel(), time_limit_s=1
    )
    (route,) = plan.routes
    bins = [s for s in route.stops if s.kind == "bin"]
    assert [s.id for s in bins] == ["B", "A"]
    assert [s.arrival - START for s in bins] == [timedelta(seconds=100), timedelta(seconds=362)]
    assert route.distance_m == 1000 + 1414 + 1000


def test_the_mirrored_deadline_mirrors_the_order() -> None:
    # Same triangle with A due instead: the passing test above is not a coin toss.
    due = START + timedelta(seconds=200)
    plan = solve(
        problem(job("A", 0, 1, deadline=due), job("B", 1, 0)), GridTravel(), time_limit_s=1
    )
    (route,) = plan.routes
    assert [s.id for s in route.stops if s.kind == "bin"] == ["A", "B"]


def test_a_bin_nobody_can_reach_in_time_is_reported_with_the_times() -> None:
    # C is 10 km away: 1,000 s at 10 m/s, i.e. 06:16:40, but due at 06:10. A is easy.
    plan = solve(
        problem(job("A", 0, 1), job("C", 0, 10, deadline=START + timedelta(minutes=10))),
        GridTravel(),
        time_limit_s=1,
    )
    (route,) = plan.routes
    assert [s.id for s in route.stops if s.kind == "bin"] == ["A"]
    (out,) = plan.left_out
    assert (out.bin, out.reason, out.must) == ("C", "no_truck_in_time", True)
    assert "06:16" in out.detail and "06:10" in out.detail


def test_two_bins_that_fit_alone_but_not_together() -> None:
    # A 1 km east and B 1 km west, both due at 150 s. Alone each is reached at 100 s; the
    # second of the two could be reached at 100 + 120 + 200 = 420 s at the earliest. One
    # truck clears exactly one; the other is left out because the fleet has no room.
    due = START + timedelta(seconds=150)
    plan = solve(
        problem(job("A", 0, 1, deadline=due), job("B", 0, -1, deadline=due)),
        GridTravel(),
        time_limit_s=1,
    )
    (route,) = plan.routes
    assert route.bins == 1
    (out,) = plan.left_out
    assert out.reason == "fleet_full"
    assert {out.bin, route.stops[0].id} == {"A", "B"}


def test_when_one_fits_a_bin_about_to_overflow_goes_before_one_due_for_the_sweep() -> None:
    # A (due for the 日产日清 sweep) 1 km east, B (about to overflow) 2 km west, both due at
    # 600 s. A alone: out at 100 s, back at 320 s; B alone: there at 200 s, back at 520 s;
    # both: at least 100 + 120 + 300 (3 km) = 520 s to the second, 840 s home, past the
    # 600 s shift end. Both must go; the fleet can take one, and B, further but overflowing
    # otherwise until a later plan, is the one: A is nearer, so equal prizes would take A.
    due = START + timedelta(seconds=600)
    short = Problem(
        START,
        (job("A", 0, 1, deadline=due), replace(job("B", 0, -2, deadline=due), overflow_at=due)),
        (TruckSpec("T1", "S", 100, START, due),),
        (STATION,),
        service=SERVICE,
    )
    plan = solve(short, GridTravel(), time_limit_s=1)
    (route,) = plan.routes
    assert [s.id for s in route.stops] == ["B", "S"]
    assert [(o.bin, o.reason) for o in plan.left_out] == [("A", "fleet_full")]


def test_an_optional_bin_is_taken_only_when_worth_its_detour() -> None:
    # O is optional, 1 km out: visiting it costs 2 km more. A 500 m penalty: skip it;
    # 5,000 m: take it.
    cheap = solve(problem(job("O", 0, 1, must=False, penalty=500)), GridTravel(), time_limit_s=1)
    dear = solve(problem(job("O", 0, 1, must=False, penalty=5000)), GridTravel(), time_limit_s=1)
    assert cheap.routes == () and [o.reason for o in cheap.left_out] == ["skipped_optional"]
    assert [s.id for s in dear.routes[0].stops if s.kind == "bin"] == ["O"]
