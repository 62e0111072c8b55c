"""Collection trucks' rounds: which truck empties which bin, and when.

Trucks are shared out over the districts in registry order (several per district when there
are enough, else several districts per truck); a district's bins are split between its
trucks west to east. Each truck's route is fixed: nearest bin next, starting from its
transfer station. Every day it drives the route twice: from about 06:00, and again in the
afternoon so that it finishes about half an hour before the earliest clearance deadline of
its districts. Emptying a bin takes 1.5-3 minutes; driving times vary with traffic.

Rounds never depend on how full bins are, so each bin can look up its own visits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

from curbside.city.registry import Bin, City, District
from simulators.plan import TrafficPlan
from simulators.timestamps import Instant, local_date, local_instant

TRUCK_SPEED_M_S = 5.0  # 18 km/h: town streets with stops
SERVICE_S = (90, 180)
MORNING_START = time(6, 0)
DEADLINE_MARGIN_S = 30 * 60
MIN_BREAK_S = 60 * 60  # between the morning round's end and the afternoon round
METRES_PER_DEG = 111_320.0
_CACHED_DAYS = 8  # route-days kept; bins look a few days back at the start


@dataclass(frozen=True, slots=True)
class Visit:
    """A truck emptied a bin at ``t``."""

    t: Instant
    truck: str


@dataclass(frozen=True, slots=True)
class Route:
    """One truck's fixed order of bins and the driving distance to each from the last."""

    truck: str
    stops: tuple[tuple[str, str], ...]
    legs_m: tuple[float, ...]
    deadline: time

    def planned_duration_s(self) -> float:
        """How long a round takes on an average day."""
        return sum(self.legs_m) / TRUCK_SPEED_M_S + len(self.stops) * sum(SERVICE_S) / 2


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    # Equirectangular: exact enough across a town.
    mean_lat = math.radians((a[0] + b[0]) / 2)
    north = (b[0] - a[0]) * METRES_PER_DEG
    east = (b[1] - a[1]) * METRES_PER_DEG * math.cos(mean_lat)
    return math.hypot(north, east)


def _route(
    truck: str, home: tuple[float, float], bins: list[tuple[District, Bin]], deadline: time
) -> Route:
    left = list(bins)
    here = home
    stops: list[tuple[str, str]] = []
    legs: list[float] = []
    while left:
        nearest = min(left, key=lambda item: _distance_m(here, (item[1].lat, item[1].lon)))
        left.remove(nearest)
        there = (nearest[1].lat, nearest[1].lon)
        legs.append(_distance_m(here, there))
        stops.append((nearest[0].id, nearest[1].id))
        here = there
    return Route(truck, tuple(stops), tuple(legs), deadline)


def _shares(city: City) -> dict[str, list[tuple[District, Bin]]]:
    """The bins each truck serves, by truck id."""
    trucks = [truck.id for truck in city.trucks]
    districts = city.sanitation_districts
    shares: dict[str, list[tuple[District, Bin]]] = {truck: [] for truck in trucks}
    if not trucks:
        return shares
    for index, district in enumerate(districts):
        own = [trucks[j] for j in range(len(trucks)) if j % len(districts) == index]
        own = own or [trucks[index % len(trucks)]]
        west_to_east = sorted(district.bins, key=lambda b: (b.lon, b.id))
        size = math.ceil(len(west_to_east) / len(own))
        for k, truck in enumerate(own):
            shares[truck].extend((district, b) for b in west_to_east[k * size : (k + 1) * size])
    return shares


def plan_routes(city: City) -> list[Route]:
    """Every truck's route (trucks without bins have none)."""
    stations = {s.id: (s.lat, s.lon) for s in city.transfer_stations}
    shares = _shares(city)
    routes = []
    for truck in city.trucks:
        bins = shares[truck.id]
        if bins:
            deadline = min(district.clearance_deadline for district, _ in bins)
            routes.append(_route(truck.id, stations[truck.station], bins, deadline))
    return routes


class CollectionRounds:
    """When each bin gets emptied, day by day, computed on demand."""

    def __init__(self, city: City, plan: TrafficPlan) -> None:
        self._plan = plan
        self._routes = plan_routes(city)
        self._stop_of: dict[tuple[str, str], tuple[int, int]] = {
            stop: (r, s)
            for r, route in enumerate(self._routes)
            for s, stop in enumerate(route.stops)
        }
        self._days: dict[tuple[int, date], list[list[Instant]]] = {}

    @property
    def routes(self) -> list[Route]:
        """The trucks' routes."""
        return self._routes

    def visits(self, district: str, bin_id: str, since: Instant) -> Iterator[Visit]:
        """The bin's emptyings at or after ``since``, in time order (endless; none if unserved)."""
        where = self._stop_of.get((district, bin_id))
        if where is None:
            return
        route_index, stop = where
        truck = self._routes[route_index].truck
        day = local_date(since, self._plan.tz) - timedelta(days=1)
        last = since - 1
        while True:
            for times in self._rounds(route_index, day):
                # A round overrunning into the next one cannot empty a bin twice.
                if times[stop] > last:
                    last = times[stop]
                    yield Visit(last, truck)
            day += timedelta(days=1)

    def _rounds(self, route_index: int, day: date) -> list[list[Instant]]:
        key = (route_index, day)
        if key not in self._days:
            if len(self._days) >= _CACHED_DAYS * max(1, len(self._routes)):
                oldest = min(d for _, d in self._days)
                self._days = {k: v for k, v in self._days.items() if k[1] != oldest}
            self._days[key] = self._drive_day(self._routes[route_index], day)
        return self._days[key]

    def _drive_day(self, route: Route, day: date) -> list[list[Instant]]:
        rng = self._plan.rng("rounds", route.truck, day.isoformat())
        tz = self._plan.tz
        morning = self._drive(route, local_instant(day, MORNING_START, tz) + rng.randint(-600, 600))
        planned = local_instant(day, route.deadline, tz) - DEADLINE_MARGIN_S
        planned -= round(route.planned_duration_s()) + rng.randint(0, 900)
        afternoon = self._drive(route, max(planned, morning[-1] + MIN_BREAK_S))
        return [morning, afternoon]

    def _drive(self, route: Route, start: Instant) -> list[Instant]:
        # Each round has its own stream so one round's length never shifts another's draws.
        rng = self._plan.rng("round", route.truck, str(start))
        t = float(start)
        emptied = []
        for leg in route.legs_m:
            t += leg / TRUCK_SPEED_M_S * rng.uniform(0.8, 1.3) + rng.randint(*SERVICE_S)
            emptied.append(math.ceil(t))
        return emptied
