"""When a re-plan is due without being asked (curbside/domain/dispatch/triggers.py), on the
morning plan of test_dispatch_replan: A at 100 s, B at 320 s, home at 640 s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

from curbside.domain.dispatch.problem import LeftOut, Plan
from curbside.domain.dispatch.triggers import Trigger, TruckProgress, replan_trigger
from curbside.vocabulary.messages import Message
from tests.unit.test_dispatch_replan import MORNING, seconds
from tests.unit.test_dispatch_solver import START

HOUR = timedelta(hours=1)
LATE = timedelta(minutes=5)
NEXT = START + HOUR


def trigger(
    now_s: int,
    *,
    urgent: Sequence[tuple[str, str]] = (),
    progress: Mapping[str, TruckProgress] | None = None,
    plan: Plan | None = MORNING,
) -> Trigger | None:
    return replan_trigger(
        plan,
        START + seconds(now_s),
        next_plan=NEXT,
        urgent=urgent,
        progress=progress or {},
        urgent_within=HOUR,
        late_after=LATE,
    )


def test_the_cadence_and_the_first_plan() -> None:
    assert trigger(10, plan=None).reason == "cadence"  # type: ignore[union-attr]
    assert trigger(3599) is None
    assert trigger(3600).reason == "cadence"  # type: ignore[union-attr]


def test_an_urgent_bin_the_routes_do_not_reach() -> None:
    # B is on the route (320 s): its fire is in hand. C is on no route.
    assert trigger(10, urgent=[("D1", "B")]) is None
    got = trigger(10, urgent=[("D1", "B"), ("D1", "C")])
    assert got is not None and got.reason == "urgent_bin" and "D1/C" in got.detail


def test_an_urgent_bin_the_plan_could_not_reach_does_not_loop() -> None:
    known = LeftOut(
        "D1", "C", True, "no_truck_in_time", "no truck on shift", Message("plan.no_truck_on_shift")
    )
    plan = replace(MORNING, left_out=(known,))
    assert trigger(10, urgent=[("D1", "C")], plan=plan) is None


def test_a_truck_running_late() -> None:
    # At 700 s the truck has done only A: B was due at 320 s, 380 s (over 5 min) ago.
    only_a = {"T1": TruckProgress("T1", START + seconds(690), ("A",))}
    got = trigger(700, progress=only_a)
    assert got is not None and got.reason == "truck_behind" and "6 min late for B" in got.detail
    # At 600 s it is 280 s late: within the 5 minutes allowed.
    assert trigger(600, progress=only_a) is None
    # Done with A and B, on its way home (due 640 s): at 900 s 260 s late, within the 5 min.
    both = {"T1": TruckProgress("T1", START + seconds(890), ("A", "B"))}
    assert trigger(900, progress=both) is None
    # A report from before this plan says nothing about it.
    old = {"T1": TruckProgress("T1", START - seconds(1), ())}
    assert trigger(700, progress=old) is None
