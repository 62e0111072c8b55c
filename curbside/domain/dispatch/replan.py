"""Re-planning during the day without turning a driver round: the stop each truck is already
driving to stays its next stop, and the rest of its day is planned again from there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from curbside.domain.dispatch.problem import Place, Plan, Problem, Stop, TruckRoute, TruckSpec
from curbside.domain.dispatch.travel import TravelModel, drive
from curbside.domain.sanitation.worklist import Point


@dataclass(frozen=True, slots=True)
class Pinned:
    """A truck's stop kept from the previous plan, where that leaves the truck, and where the
    previous plan had it last (the stop before, or where its route began)."""

    truck: str
    stop: Stop
    free_at: datetime
    came_from: Place


def driving_to(route: TruckRoute, now: datetime) -> Stop | None:
    """The stop the truck is on its way to at ``now`` (None before it leaves or once home)."""
    if now < route.start:
        return None
    return next((s for s in route.stops if s.arrival > now), None)


def pin_driven_stops(
    problem: Problem, previous: Plan, now: datetime
) -> tuple[Problem, list[Pinned]]:
    """``problem`` with each truck on the road starting from the stop it is driving to.

    That stop's bin is taken out of the problem (it is served already in effect); the truck
    is free after its service there, with the load the previous plan gave it after that stop.
    A truck driving home is planned again from home, empty, once it is there (its shift
    decides whether anything more fits).
    """
    pinned: list[Pinned] = []
    trucks: list[TruckSpec] = []
    for truck in problem.trucks:
        route = previous.route_of(truck.id)
        stop = driving_to(route, now) if route is not None else None
        if stop is None:
            trucks.append(truck)
            continue
        home = stop.kind == "unload" and stop.id == truck.home
        free_at = stop.arrival + (problem.service if stop.kind == "bin" else timedelta())
        assert route is not None  # a stop is driven to only on a route
        before = route.stops.index(stop) - 1
        came_from = (
            route.origin
            if before < 0
            else Place("stop", route.stops[before].where, route.stops[before].id)
        )
        pinned.append(Pinned(truck.id, stop, free_at, came_from))
        if free_at >= truck.shift_end:
            continue
        trucks.append(
            replace(
                truck,
                start_at=None if home else stop.where,
                shift_start=max(truck.shift_start, free_at),
                initial_load_l=0 if home else stop.load_after_l,
            )
        )
    taken = {(p.stop.district, p.stop.id) for p in pinned if p.stop.kind == "bin"}
    bins = tuple(b for b in problem.bins if b.key not in taken)
    return replace(problem, bins=bins, trucks=tuple(trucks)), pinned


def with_pinned(
    plan: Plan,
    pinned: list[Pinned],
    problem: Problem,
    travel: TravelModel,
    positions: Mapping[str, Point] | None = None,
) -> Plan:
    """The new plan with each pinned stop put back in front of its truck's route.

    Such a route begins where the truck last reported being (``positions``, by truck), or
    without a report where the previous plan had it last. A truck the solver gave nothing
    more drives from its pinned stop straight home to unload.
    """
    routes = {r.truck: r for r in plan.routes}
    homes = {t.id: t.home for t in problem.trucks}
    stations = {s.id: s.where for s in problem.stations}
    for pin in pinned:
        reported = (positions or {}).get(pin.truck)
        origin = pin.came_from if reported is None else Place("position", reported)
        after = routes.get(pin.truck)
        if after is not None:
            routes[pin.truck] = replace(after, stops=(pin.stop, *after.stops), origin=origin)
            continue
        if pin.stop.kind == "unload" and pin.stop.id == homes[pin.truck]:
            stops: tuple[Stop, ...] = (pin.stop,)
            metres = 0
        else:
            home = stations[homes[pin.truck]]
            metres, took = drive(travel, pin.stop.where, home, pin.free_at)
            stops = (pin.stop, Stop("unload", homes[pin.truck], None, home, pin.free_at + took, 0))
        destination = Place("station", stations[homes[pin.truck]], homes[pin.truck])
        routes[pin.truck] = TruckRoute(
            pin.truck, plan.start, stops[-1].arrival, metres, stops, origin, destination
        )
    return replace(plan, routes=tuple(sorted(routes.values(), key=lambda r: r.truck)))
