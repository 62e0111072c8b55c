"""How far and how long a truck drives between two places: the stated travel model.

No road network is available, so a leg is the great-circle distance times a detour factor
(streets are not straight lines), driven at an average speed that depends on the local time
of day (rush hours are slower). A road-network matrix can replace this later: the planner
asks only for :meth:`TravelModel.matrix` and :meth:`TravelModel.speed_during`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Protocol

from curbside.domain.sanitation.worklist import Point, distance_m


@dataclass(frozen=True, slots=True)
class SpeedBand:
    """From ``start`` (local time) until the next band's start, trucks average ``speed_kmh``."""

    start: time
    speed_kmh: float

    def __post_init__(self) -> None:
        if not 0 < self.speed_kmh <= 120:
            raise ValueError("speed_kmh must be in (0, 120]")


# Town streets with a stop at every bin; slower in the two rush hours.
DEFAULT_BANDS: tuple[SpeedBand, ...] = (
    SpeedBand(time(0, 0), 30.0),
    SpeedBand(time(7, 0), 15.0),
    SpeedBand(time(9, 0), 22.0),
    SpeedBand(time(17, 0), 15.0),
    SpeedBand(time(19, 0), 25.0),
)
DEFAULT_DETOUR = 1.4


class TravelModel(Protocol):
    """What the planner needs of a travel model (a road matrix can stand in)."""

    def matrix(self, places: Sequence[Point]) -> list[list[int]]:
        """Driving distance in whole metres from each place to each other."""
        ...

    def speed_during(self, start: datetime, end: datetime) -> float:
        """The average speed (m/s) to plan with between two instants."""
        ...


@dataclass(frozen=True, slots=True)
class GreatCircleTravel:
    """Great-circle distance × ``detour``, at the speed of the local time band."""

    tz: tzinfo
    detour: float = DEFAULT_DETOUR
    bands: tuple[SpeedBand, ...] = field(default=DEFAULT_BANDS)

    def __post_init__(self) -> None:
        if not 1 <= self.detour <= 5:
            raise ValueError("detour must be in [1, 5]")
        if not self.bands or self.bands[0].start != time(0, 0):
            raise ValueError("speed bands must start at 00:00")
        if list(self.bands) != sorted(self.bands, key=lambda b: b.start):
            raise ValueError("speed bands must be in time order")

    def matrix(self, places: Sequence[Point]) -> list[list[int]]:
        """Driving distance in whole metres from each place to each other."""
        return [[round(distance_m(a, b) * self.detour) for b in places] for a in places]

    def speed_at(self, moment: datetime) -> float:
        """The band's speed at ``moment`` (local time), in m/s."""
        local = moment.astimezone(self.tz).time()
        speed = self.bands[0].speed_kmh
        for band in self.bands:
            if band.start <= local:
                speed = band.speed_kmh
        return speed / 3.6

    def speed_during(self, start: datetime, end: datetime) -> float:
        """The slowest band between ``start`` and ``end``, in m/s.

        The solver takes one duration per leg, not one per time of day; planning with the
        slowest band means a truck may arrive early, never later than the plan says.
        """
        speeds = [self.speed_at(start)]
        moment = start
        while moment < end:
            moment += timedelta(minutes=15)
            speeds.append(self.speed_at(min(moment, end)))
        return min(speeds)


def drive(
    travel: TravelModel, start: Point, end: Point, leaving: datetime
) -> tuple[int, timedelta]:
    """One leg as a truck drives it: whole metres, and the time taken leaving at ``leaving``
    (at the speed the model gives for that moment, rounded up to the second)."""
    metres = travel.matrix([start, end])[0][1]
    return metres, timedelta(seconds=math.ceil(metres / travel.speed_during(leaving, leaving)))
