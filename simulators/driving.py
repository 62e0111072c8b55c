"""A simulated truck following the route published for it (docs/simulators.md, "Trucks that
follow the plan").

The truck drives its route's stops in order on the product's travel model
(:func:`curbside.domain.dispatch.travel.drive`: the same legs the planner plans with), leaving
no earlier than the route's start. At a bin it stops for the planner's service time; at a
station it unloads. After every stop it reports its position and the stops of its route done.

A new route (a re-plan) never turns the truck round: the stop it is driving to, or serving,
is finished first, as the API promises; then the new route is driven from its first stop not
yet taken, leaving that in-flight stop out. With no work the truck waits where it is (at home,
since every route ends there) and looks for a new route every ``IDLE_S``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from curbside.domain.dispatch.problem import SERVICE, Stop, TruckRoute
from curbside.domain.dispatch.travel import TravelModel, drive
from curbside.domain.sanitation.worklist import Point
from simulators.events import Event, RouteTaken, TruckProgress, Unloaded
from simulators.timestamps import Instant, utc_rfc3339

IDLE_S = 60

EmptyBin = Callable[[Instant, str, str, str], tuple[list[Event], int]]
"""Empties bin (district, bin) for a truck at an instant: the events, and the litres taken."""


@dataclass(frozen=True, slots=True)
class _Leg:
    stop: Stop
    arrives: Instant


def _instant(moment: datetime) -> Instant:
    return math.ceil(moment.timestamp())


def _same(a: Stop, b: Stop) -> bool:
    return (a.kind, a.district, a.id) == (b.kind, b.district, b.id)


class TruckDriver:
    """One truck: where it is, the route it follows, what it carries."""

    def __init__(self, truck: str, home: Point, travel: TravelModel, empty_bin: EmptyBin) -> None:
        self.truck = truck
        self.where = home
        self.load_l = 0
        self.metres = 0
        self._travel = travel
        self._empty_bin = empty_bin
        self._route: TruckRoute | None = None
        self._todo: list[Stop] = []
        self._done: list[str] = []
        self._heading: _Leg | None = None
        self._at_stop: Stop | None = None  # where it stands, until it drives off
        self._free_at: Instant = 0

    def wake(self, t: Instant, latest: TruckRoute | None) -> tuple[list[Event], Instant]:
        """What the truck does at ``t`` given the latest route published for it, and when it
        next has something to do."""
        events: list[Event] = []
        if latest is not None and latest is not self._route:
            events.extend(self._take(t, latest))
        if self._heading is not None and t >= self._heading.arrives:
            events.extend(self._arrive(t, self._heading.stop))
        if self._heading is None and t >= self._free_at and self._todo:
            assert self._route is not None  # work comes only with a route
            leaves = max(t, _instant(self._route.start))
            if leaves > t:
                return events, leaves
            self._depart(t, self._todo.pop(0))
        if self._heading is not None:
            return events, self._heading.arrives
        if self._free_at > t:
            return events, self._free_at
        return events, t + IDLE_S

    def _take(self, t: Instant, route: TruckRoute) -> list[Event]:
        self._route = route
        self._done = []
        self._todo = list(route.stops)
        heading = self._heading
        if heading is not None:
            # The stop in flight is finished first; if the new route has it, it is that one.
            same = next((i for i, s in enumerate(self._todo) if _same(s, heading.stop)), None)
            if same is not None:
                self._heading = _Leg(self._todo.pop(same), heading.arrives)
        elif self._at_stop is not None and self._todo and _same(self._todo[0], self._at_stop):
            # Planned as still ahead, but the truck is there already: done, not driven again.
            self._done.append(self._todo.pop(0).id)
        stops = tuple(s.id for s in route.stops)
        return [
            RouteTaken(t, self.truck, utc_rfc3339(_instant(route.start)), stops),
            self._progress(t),
        ]

    def _arrive(self, t: Instant, stop: Stop) -> list[Event]:
        self._heading = None
        self._at_stop = stop
        self.where = stop.where
        events: list[Event]
        if stop.kind == "bin" and stop.district is not None:
            events, litres = self._empty_bin(t, stop.district, stop.id, self.truck)
            self.load_l += litres
            self._free_at = t + int(SERVICE.total_seconds())
        else:
            events = [Unloaded(t, self.truck, stop.id, self.load_l)]
            self.load_l = 0
            self._free_at = t
        if self._route is not None and any(_same(stop, s) for s in self._route.stops):
            self._done.append(stop.id)
        return [*events, self._progress(t)]

    def _depart(self, t: Instant, stop: Stop) -> None:
        leaving = datetime.fromtimestamp(t, UTC)
        metres, took = drive(self._travel, self.where, stop.where, leaving)
        self.metres += metres
        self._at_stop = None
        self._heading = _Leg(stop, t + math.ceil(took.total_seconds()))

    def _progress(self, t: Instant) -> TruckProgress:
        return TruckProgress(t, self.truck, self.where.lat, self.where.lon, tuple(self._done))
