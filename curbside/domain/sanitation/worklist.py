"""A dispatcher's worklist: which bins need a truck now, most urgent first, and in what order
each transfer station's truck could visit them (pure logic).

Urgency: a fire, then a full bin, then one about to overflow (active alerts), then a bin that
still has to be cleared today, the one whose district deadline comes first first. A bin is
listed once, for its most urgent reason. Visiting orders are nearest-neighbour tours: each bin
goes to its nearest station, and the truck from there always drives to the nearest bin not yet
visited, then back to the station to tip. Distances are great-circle (haversine) distances on
the registry coordinates: streets are longer, but the order is what matters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from curbside.vocabulary.messages import Message

Reason = Literal["fire", "full", "overflow_soon", "not_cleared"]
FIRE: Final = "fire"
FULL: Final = "full"
OVERFLOW_SOON: Final = "overflow_soon"
NOT_CLEARED: Final = "not_cleared"
# Most urgent first: a fire endangers people, a full bin already spills, a filling one soon.
URGENCY: Final[tuple[Reason, ...]] = (FIRE, FULL, OVERFLOW_SOON, NOT_CLEARED)

EARTH_RADIUS_M: Final = 6_371_000.0


@dataclass(frozen=True, slots=True)
class Point:
    """A place on the map, in degrees."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Task:
    """One reason to send a truck to one bin.

    ``due`` orders tasks of one reason: when the alert opened, or the district's deadline.
    """

    district: str
    bin: str
    reason: Reason
    detail: str
    due: datetime
    where: Point
    message: Message | None = None  # the detail as a code; None on alerts stored before codes


@dataclass(frozen=True, slots=True)
class Station:
    """A transfer station, where a round starts and ends."""

    id: str
    where: Point


@dataclass(frozen=True, slots=True)
class Route:
    """One station's suggested round: bins in visiting order, and its length there and back."""

    station: str
    stops: list[str]
    distance_m: float


def worklist(tasks: Iterable[Task]) -> list[Task]:
    """One task per bin (its most urgent), most urgent first, then earliest ``due``.

    Ties keep the order given, so callers list bins in registry order.
    """
    ranked = sorted(tasks, key=lambda t: (URGENCY.index(t.reason), t.due))
    seen: set[tuple[str, str]] = set()
    out: list[Task] = []
    for task in ranked:
        key = (task.district, task.bin)
        if key not in seen:
            seen.add(key)
            out.append(task)
    return out


def plan_routes(stations: Sequence[Station], stops: Sequence[Task]) -> list[Route]:
    """A nearest-neighbour round from each station over the bins nearest to it.

    Stations without bins are left out; ties go to the station, or the bin, listed first.
    """
    if not stations:
        return []
    assigned: dict[str, list[Task]] = {s.id: [] for s in stations}
    for stop in stops:
        nearest = min(stations, key=lambda s: distance_m(s.where, stop.where))
        assigned[nearest.id].append(stop)
    return [_round(station, assigned[station.id]) for station in stations if assigned[station.id]]


def distance_m(a: Point, b: Point) -> float:
    """The great-circle distance between two points, in metres (haversine)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _round(station: Station, stops: Sequence[Task]) -> Route:
    left = list(stops)
    here = station.where
    order: list[str] = []
    total = 0.0
    while left:
        # min() keeps the first of equals: ties go to the bin listed first.
        at = min(range(len(left)), key=lambda i: distance_m(here, left[i].where))
        nearest = left.pop(at)
        total += distance_m(here, nearest.where)
        here = nearest.where
        order.append(nearest.bin)
    total += distance_m(here, station.where)  # back to tip the load
    return Route(station.id, order, total)
