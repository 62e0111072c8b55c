"""The day's collection routing problem and its plan, as plain data (no solver here).

Loads are litres of loose rubbish as it sits in the bins; a truck's capacity is what its body
holds after compaction, in the same litres (``Truck.capacity_loose_l`` in the registry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal

from curbside.domain.sanitation.worklist import Point
from curbside.vocabulary.messages import Message

Urgency = Literal["fire", "full", "tilted"]
URGENT: Final[tuple[Urgency, ...]] = ("fire", "full", "tilted")

# A fire, full or tilted bin is reached within this of the plan's start.
URGENT_WITHIN: Final = timedelta(hours=1)
# How long emptying one bin takes, from arrival to driving off; unloading takes no time here.
SERVICE: Final = timedelta(minutes=2)

LeftOutReason = Literal["no_truck_in_time", "too_big", "fleet_full", "skipped_optional"]
PlaceKind = Literal["station", "position", "stop"]


@dataclass(frozen=True, slots=True)
class BinJob:
    """A bin the plan may visit.

    ``load_l`` is the rubbish the truck picks up there: the fill predicted for the visit
    (the caller predicts, e.g. at the district's deadline, so never less than it will be).
    ``must`` bins have to be cleared by ``deadline``; the others are taken only when the
    detour costs less than ``skip_penalty_m``. An ``urgent`` bin must be reached by
    ``Problem.urgent_within`` after the plan starts. A bin predicted full at ``overflow_at``
    must be reached by then, or within ``Problem.urgent_within`` when that is later (as soon as
    a full bin, no sooner).
    """

    district: str
    bin: str
    where: Point
    fill_pct: float
    load_l: int
    deadline: datetime
    must: bool
    skip_penalty_m: int = 0
    urgent: Urgency | None = None
    overflow_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(district, bin): unique in the registry."""
        return (self.district, self.bin)


@dataclass(frozen=True, slots=True)
class StationSpot:
    """A transfer station: where trucks start, unload mid-route and end."""

    id: str
    where: Point


@dataclass(frozen=True, slots=True)
class TruckSpec:
    """A truck for the day: its home station, loose-litre capacity and shift (aware times).

    A re-plan starts a truck already on the road from the stop it is driving to
    (``start_at``, free from ``shift_start``) with the load it will have there.
    """

    id: str
    home: str
    capacity_l: int
    shift_start: datetime
    shift_end: datetime
    start_at: Point | None = None
    initial_load_l: int = 0


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything the planner needs; ``start`` is now: nothing is planned before it."""

    start: datetime
    bins: tuple[BinJob, ...]
    trucks: tuple[TruckSpec, ...]
    stations: tuple[StationSpot, ...]
    service: timedelta = SERVICE
    urgent_within: timedelta = URGENT_WITHIN

    def __post_init__(self) -> None:
        homes = {s.id for s in self.stations}
        for truck in self.trucks:
            if truck.home not in homes:
                raise ValueError(f"truck {truck.id}: unknown home station {truck.home!r}")
        keys = [b.key for b in self.bins]
        if len(set(keys)) != len(keys):
            raise ValueError("a bin appears more than once")

    def latest_arrival(self, job: BinJob) -> datetime:
        """When a truck must be at the bin at the latest: its deadline, sooner if urgent or
        about to overflow."""
        latest = job.deadline
        if job.urgent is not None:
            latest = min(latest, self.start + self.urgent_within)
        if job.overflow_at is not None:
            latest = min(latest, max(job.overflow_at, self.start + self.urgent_within))
        return latest


@dataclass(frozen=True, slots=True)
class Stop:
    """One stop of a route: a bin emptied, or a station where the truck unloads."""

    kind: Literal["bin", "unload"]
    id: str  # bin id, or station id
    district: str | None
    where: Point
    arrival: datetime
    load_after_l: int


@dataclass(frozen=True, slots=True)
class Place:
    """Where a route begins or ends: a transfer station (``id`` its id); where the truck last
    reported being (a re-plan mid-shift); or, re-planned without a report, the stop the
    previous plan had it at last (``id`` the bin's or station's id)."""

    kind: PlaceKind
    where: Point
    id: str | None = None


@dataclass(frozen=True, slots=True)
class TruckRoute:
    """A truck's day: from ``origin`` through its stops in order, ending with the unload at
    its home station (``destination``)."""

    truck: str
    start: datetime
    end: datetime
    distance_m: int
    stops: tuple[Stop, ...]
    origin: Place
    destination: Place

    @property
    def unload_trips(self) -> int:
        """How many times it unloads (the last one at home included)."""
        return sum(1 for s in self.stops if s.kind == "unload")

    @property
    def bins(self) -> int:
        """How many bins it empties."""
        return sum(1 for s in self.stops if s.kind == "bin")


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A bin not in the plan, and why (``detail`` says it in English words with the times,
    ``message`` as a code with parameters for people in either language)."""

    district: str
    bin: str
    must: bool
    reason: LeftOutReason
    detail: str
    message: Message


@dataclass(frozen=True, slots=True)
class Plan:
    """The solver's answer: a route per truck that has work, and every bin left out."""

    start: datetime
    routes: tuple[TruckRoute, ...]
    left_out: tuple[LeftOut, ...]
    solve_s: float
    feasible: bool
    solver: str = "pyvrp"
    notes: tuple[str, ...] = field(default=())

    @property
    def distance_m(self) -> int:
        """Kilometres driven by the whole fleet, in metres."""
        return sum(r.distance_m for r in self.routes)

    def route_of(self, truck: str) -> TruckRoute | None:
        """The route of one truck, or None when it has no work."""
        return next((r for r in self.routes if r.truck == truck), None)
