"""Re-planning keeps the stop a truck is driving to; hand-worked on the kilometre grid of
test_dispatch_solver (straight lines, 10 m/s, 120 s per bin)."""

from __future__ import annotations

from datetime import timedelta

from curbside.domain.dispatch.problem import Place, Plan, Problem, Stop, TruckRoute
from curbside.domain.dispatch.replan import driving_to, pin_driven_stops, with_pinned
from curbside.domain.dispatch.solver import solve
from curbside.domain.sanitation.worklist import Point
from tests.unit.test_dispatch_solver import SERVICE, START, STATION, GridTravel, job, truck

A, B, C = job("A", 0, 1), job("B", 0, 2), job("C", 0, -1, deadline=START + timedelta(seconds=500))


def seconds(n: int) -> timedelta:
    return timedelta(seconds=n)


HOME = Place("station", STATION.where, "S")
# The morning's plan, written out: S -> A (1 km: 100 s) -> B (+120 s service +100 s: 320 s)
# -> S (+120 +200: 640 s).
MORNING = Plan(
    START,
    (
        TruckRoute(
            "T1",
            START,
            START + seconds(640),
            4000,
            (
                Stop("bin", "A", "D1", A.where, START + seconds(100), 1),
                Stop("bin", "B", "D1", B.where, START + seconds(320), 2),
                Stop("unload", "S", None, STATION.where, START + seconds(640), 0),
            ),
            HOME,
            HOME,
        ),
    ),
    (),
    0.0,
    True,
)


def test_the_stop_being_driven_to() -> None:
    (route,) = MORNING.routes
    assert driving_to(route, START - seconds(1)) is None  # not yet left
    assert driving_to(route, START + seconds(50)) == route.stops[0]
    assert driving_to(route, START + seconds(400)) == route.stops[2]
    assert driving_to(route, START + seconds(700)) is None  # home


def test_a_new_bin_is_fitted_in_after_the_stop_being_driven_to() -> None:
    # At 50 s the truck is on its way to A; C appears 1 km west of S, due at 500 s. From
    # scratch the truck would turn round for C; kept, A is still reached at 100 s and the
    # truck is free at 220 s. Then C first: A -> C is 2 km, 420 s (in time); B first would
    # reach C at 220 + 100 + 120 + 300 = 740 s (late). So A, C, B, home: C at 420 s,
    # B at 420 + 120 + 300 = 840 s, S at 840 + 120 + 200 = 1,160 s; loads 1, 2, 3, 0.
    now = START + seconds(50)
    problem = Problem(now, (A, B, C), (truck(),), (STATION,), service=SERVICE)
    kept, pinned = pin_driven_stops(problem, MORNING, now)
    assert [b.bin for b in kept.bins] == ["B", "C"]
    fresh = solve(kept, GridTravel(), time_limit_s=1)
    plan = with_pinned(fresh, pinned, problem, GridTravel())
    (route,) = plan.routes
    assert [s.id for s in route.stops] == ["A", "C", "B", "S"]
    assert [s.arrival - START for s in route.stops] == [seconds(t) for t in (100, 420, 840, 1160)]
    assert [s.load_after_l for s in route.stops] == [1, 2, 3, 0]
    assert plan.left_out == ()
    # Nobody reported where the truck is: its route begins where the morning's plan had it
    # last (it left S for A), and ends at home.
    assert (route.origin, route.destination) == (HOME, HOME)
    # Its tablet said it was half-way to A: the route begins there.
    halfway = Point(0, 0.5)
    reported = with_pinned(fresh, pinned, problem, GridTravel(), {"T1": halfway})
    assert reported.routes[0].origin == Place("position", halfway)
    assert reported.routes[0].destination == HOME


def test_a_truck_driving_home_goes_home_first() -> None:
    # At 400 s the truck has emptied A and B and is on its way to S (arrives 640 s). C, 1 km
    # west and due at 500 s, cannot be had: the truck is not turned round, C is left out.
    # D, 1 km west and due late, is fitted in after S: out from S at 640 s, there at 740 s,
    # back at 740 + 120 + 100 = 960 s, empty of A and B's load.
    now = START + seconds(400)
    d = job("D", 0, -1)
    problem = Problem(now, (C, d), (truck(),), (STATION,), service=SERVICE)
    kept, pinned = pin_driven_stops(problem, MORNING, now)
    (again,) = kept.trucks
    assert again.start_at is None and again.initial_load_l == 0
    assert again.shift_start == START + seconds(640)
    plan = with_pinned(solve(kept, GridTravel(), time_limit_s=1), pinned, problem, GridTravel())
    (route,) = plan.routes
    assert [s.id for s in route.stops] == ["S", "D", "S"]
    # Last planned at B (emptied at 320 s) on its way home: the route begins there.
    assert route.origin == Place("stop", B.where, "B")
    assert [s.arrival - START for s in route.stops] == [seconds(t) for t in (640, 740, 960)]
    assert [s.load_after_l for s in route.stops] == [0, 1, 0]
    assert [o.bin for o in plan.left_out] == ["C"]


def test_a_truck_not_yet_out_is_planned_afresh() -> None:
    later = Problem(START - seconds(10), (A,), (truck(),), (STATION,), service=SERVICE)
    kept, pinned = pin_driven_stops(later, MORNING, START - seconds(10))
    assert pinned == [] and kept == later
