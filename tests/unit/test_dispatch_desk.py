"""The plan holder (curbside/readmodels/dispatch.py) re-planning by itself: a fire keeps each
truck's current stop, a late truck is noticed from its progress report.

The town of test_dispatch_city_problem: one truck at TS1 (29.87, 121.53), bins B1..B4 due east
at 121.541..121.544, 19:00 deadline, 06:00-20:00 shift; the planner's own travel model.
"""

from __future__ import annotations

from datetime import timedelta

from curbside.domain.dispatch.city_problem import BinFill
from curbside.domain.dispatch.triggers import TruckProgress
from curbside.readmodels.dispatch import DispatchDesk
from tests.unit.test_dispatch_city_problem import at, town

HOUR = timedelta(hours=1)
LATE = timedelta(minutes=10)


def test_a_fire_is_fitted_in_after_the_stop_the_truck_is_driving_to() -> None:
    desk = DispatchDesk(town(), time_limit_s=1)
    # 17:00: the sweep is on (deadline 19:00 within 2 h 30 min): B1 and B2 hold rubbish.
    first = desk.replan(at(17), {("D1", "B1"): BinFill(50), ("D1", "B2"): BinFill(40)})
    (route,) = first.routes
    assert [s.id for s in route.stops] == ["B1", "B2", "TS1"]
    assert desk.trigger(at(17, 1), [], urgent_within=HOUR, late_after=LATE) is None
    # A minute later B4 catches fire: no route reaches it, so a re-plan is due, and the new
    # plan keeps B1 (the truck is on its way there) first and fits B4 in after it.
    trigger = desk.trigger(at(17, 1), [("D1", "B4")], urgent_within=HOUR, late_after=LATE)
    assert trigger is not None and trigger.reason == "urgent_bin"
    fills = {
        ("D1", "B1"): BinFill(50),
        ("D1", "B2"): BinFill(40),
        ("D1", "B4"): BinFill(30, urgent="fire"),
    }
    again = desk.replan(at(17, 1), fills)
    (route,) = again.routes
    assert route.stops[0] == first.routes[0].stops[0]
    assert {s.id for s in route.stops} == {"B1", "B2", "B4", "TS1"}
    assert desk.trigger(at(17, 2), [("D1", "B4")], urgent_within=HOUR, late_after=LATE) is None


def test_a_truck_late_for_its_next_stop_and_the_cadence() -> None:
    desk = DispatchDesk(town(), time_limit_s=1)
    plan = desk.replan(at(17), {("D1", "B1"): BinFill(50)})
    (route,) = plan.routes
    b1 = route.stops[0]
    # Reported at B1 on time: 10 min later it is on its way home (due a few minutes after
    # B1), within the 10 min allowed. Still short of B1 10 min after it was due: late.
    desk.report(TruckProgress(route.truck, b1.arrival, ("B1",)))
    assert desk.trigger(b1.arrival + LATE, [], urgent_within=HOUR, late_after=LATE) is None
    desk.report(TruckProgress(route.truck, b1.arrival + LATE, ()))
    # An older report arriving late changes nothing.
    desk.report(TruckProgress(route.truck, b1.arrival - LATE, ("B1",)))
    late = desk.trigger(b1.arrival + 2 * LATE, [], urgent_within=HOUR, late_after=LATE)
    assert late is not None and late.reason == "truck_behind"
    # The cadence: the next plan after 17:00 is tomorrow's 06:00 (17:00 + 5 h 30 min is past
    # the shift's end at 20:00).
    assert desk.next_plan_after(at(17)) == at(6, day=8)
    cadence = desk.trigger(at(6, day=8), [], urgent_within=HOUR, late_after=LATE)
    assert cadence is not None and cadence.reason == "cadence"
