"""When to plan again without being asked: the cadence, an urgent bin the plan does not reach
in time, or a truck running late against its route (docs/dispatch.md, "Re-planning")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from curbside.domain.dispatch.problem import Plan, TruckRoute
from curbside.domain.sanitation.worklist import Point

ReplanReason = Literal["cadence", "urgent_bin", "truck_behind"]


@dataclass(frozen=True, slots=True)
class TruckProgress:
    """What a truck last reported: when, which stops of its route it has done (bin ids,
    station ids for unloads) in order, and where it was."""

    truck: str
    at: datetime
    done: tuple[str, ...]
    where: Point | None = None


@dataclass(frozen=True, slots=True)
class Trigger:
    """Why a re-plan is due, in words for the log and the API."""

    reason: ReplanReason
    detail: str


def next_stop_due(route: TruckRoute, progress: TruckProgress) -> int | None:
    """The index of the first stop of ``route`` the truck has not reported done, or None."""
    done = set(progress.done)
    return next((i for i, s in enumerate(route.stops) if s.id not in done), None)


def replan_trigger(
    plan: Plan | None,
    now: datetime,
    *,
    next_plan: datetime,
    urgent: Iterable[tuple[str, str]],
    progress: Mapping[str, TruckProgress],
    urgent_within: timedelta,
    late_after: timedelta,
) -> Trigger | None:
    """Whether the plan should be made again at ``now``, and why (the first reason found).

    - ``cadence``: no plan yet, or ``next_plan`` has come;
    - ``urgent_bin``: a fire or full bin (``urgent``: (district, bin)) that no route reaches
      within ``urgent_within`` of ``now`` (unless the plan left it out for a reason: no truck
      can reach it, so a new plan would not either);
    - ``truck_behind``: a truck whose next undone stop was due more than ``late_after`` ago.
    """
    if plan is None or now >= next_plan:
        return Trigger("cadence", "no plan yet" if plan is None else "the planned cadence")
    reached = {
        (s.district, s.id)
        for r in plan.routes
        for s in r.stops
        if s.kind == "bin" and s.arrival <= now + urgent_within
    }
    # A bin the plan already knew it could not reach is not a reason to plan again.
    known = {(o.district, o.bin) for o in plan.left_out if o.reason != "skipped_optional"}
    missing = sorted(b for b in urgent if b not in reached and b not in known)
    if missing:
        district, bin_id = missing[0]
        minutes = int(urgent_within / timedelta(minutes=1))
        return Trigger("urgent_bin", f"no route reaches {district}/{bin_id} within {minutes} min")
    for route in plan.routes:
        report = progress.get(route.truck)
        if report is None or report.at < plan.start:
            continue
        index = next_stop_due(route, report)
        if index is None:
            continue
        due = route.stops[index].arrival
        if now - due > late_after:
            minutes = int((now - due) / timedelta(minutes=1))
            return Trigger(
                "truck_behind",
                f"{route.truck} is {minutes} min late for {route.stops[index].id}",
            )
    return None
