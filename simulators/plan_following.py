"""The run's events when trucks follow the published plan (``--trucks plan``).

Spaces run on their own as always. Bins and trucks act on each other: a truck decides its
visits as it drives the route it heard, and a visit changes what the bin's sensor reports
next. So instead of merging endless per-device streams, this keeps one queue of what happens
next (each bin's next report, each truck's next arrival or departure) and asks each actor
only when its moment comes; events are yielded in time order, spaces first, then bins, then
trucks within a second.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Literal

from curbside.city.registry import City
from curbside.domain.dispatch.travel import TravelModel
from curbside.domain.sanitation.worklist import Point
from simulators.driving import TruckDriver
from simulators.events import Event
from simulators.fleet import Fleet
from simulators.route_feed import RouteFeed
from simulators.timestamps import Instant
from simulators.visited_bin import VisitedBin

Kind = Literal["space", "bin", "after", "truck"]
_RANK: dict[Kind, int] = {"space": 0, "bin": 1, "after": 1, "truck": 2}


class _Queue:
    def __init__(self) -> None:
        self._heap: list[tuple[Instant, int, int, Kind, int]] = []
        self._order = itertools.count()

    def push(self, t: Instant, kind: Kind, index: int) -> None:
        heapq.heappush(self._heap, (t, _RANK[kind], next(self._order), kind, index))

    def __len__(self) -> int:
        return len(self._heap)

    def pop(self) -> tuple[Instant, Kind, int]:
        t, _, _, kind, index = heapq.heappop(self._heap)
        return t, kind, index


class PlanFollowingCity:
    """The bins and the trucks of a run whose trucks follow the plan; see the module doc."""

    def __init__(
        self, city: City, fleet: Fleet, feed: RouteFeed, travel: TravelModel, start: Instant
    ) -> None:
        self._fleet = fleet
        self._feed = feed
        self._start = start
        self.bins = [VisitedBin(model) for model in fleet.bins]
        self._bin_index = {(b.model.district, b.model.bin): i for i, b in enumerate(self.bins)}
        stations = {s.id: Point(s.lat, s.lon) for s in city.transfer_stations}
        self.trucks = [
            TruckDriver(t.id, stations[t.station], travel, self._empty) for t in city.trucks
        ]
        self._capacity = {
            (d.id, b.id): b.capacity_l for d in city.sanitation_districts for b in d.bins
        }
        self._queue = _Queue()

    def _empty(self, t: Instant, district: str, bin_id: str, truck: str) -> tuple[list[Event], int]:
        index = self._bin_index.get((district, bin_id))
        if index is None:  # a bin this run does not simulate: nothing to empty or report
            return [], 0
        outcome = self.bins[index].visit(t, truck)
        if outcome.report_at is not None:
            self._queue.push(outcome.report_at, "after", index)
        taken = outcome.true_pct if outcome.emptied else 0.0
        return outcome.events, round(self._capacity[(district, bin_id)] * taken / 100)

    def events(self) -> Iterator[Event]:
        """Every device's and truck's events from the start on, in time order (endless)."""
        spaces = heapq.merge(*(s.events() for s in self._fleet.spaces), key=lambda e: e.t)
        queue = self._queue
        pending_space = next(spaces, None)
        if pending_space is not None:
            queue.push(pending_space.t, "space", 0)
        for index, b in enumerate(self.bins):
            queue.push(b.next_report, "bin", index)
        for index in range(len(self.trucks)):
            queue.push(self._start, "truck", index)
        while queue:  # empty only in a run with nothing to simulate
            t, kind, index = queue.pop()
            if kind == "space":
                assert pending_space is not None
                yield pending_space
                pending_space = next(spaces, None)
                if pending_space is not None:
                    queue.push(pending_space.t, "space", 0)
            elif kind == "truck":
                driver = self.trucks[index]
                happened, wake = driver.wake(t, self._feed.latest(driver.truck))
                yield from happened
                queue.push(wake, "truck", index)
            else:
                yield from self._bin_report(t, kind, index)

    def _bin_report(self, t: Instant, kind: Kind, index: int) -> list[Event]:
        b = self.bins[index]
        if kind == "bin" and t != b.next_report:
            return []  # an emptied bin's report moved its regular reports on
        before = b.next_report
        happened = b.report(t)
        if b.next_report != before:
            self._queue.push(b.next_report, "bin", index)
        return happened
