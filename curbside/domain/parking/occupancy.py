"""Occupancy of parking zones from the latest known state of each space (pure logic).

A space is *unknown* when it never reported within the look-back window, or when its last
report is older than the staleness limit: a sensor that stopped talking says nothing about
the kerb now, so it counts neither as occupied nor as free.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from curbside.city.registry import Zone


@dataclass(frozen=True, slots=True)
class SpaceState:
    """What is known now about one space; ``occupied`` is None when it never reported."""

    zone: str
    space: str
    occupied: bool | None
    since: datetime | None
    last_seen: datetime | None
    battery_v: float | None


@dataclass(frozen=True, slots=True)
class ZoneOccupancy:
    """Counts for one zone; ``occupancy_rate`` is None when no space's status is known."""

    zone: str
    capacity: int
    occupied: int
    free: int
    unknown: int
    occupancy_rate: float | None
    as_of: datetime


def is_stale(state: SpaceState | None, now: datetime, stale_after: timedelta) -> bool:
    """Whether a space's status cannot be trusted now: never reported, or last too long ago."""
    if state is None or state.occupied is None or state.last_seen is None:
        return True
    return now - state.last_seen > stale_after


def zone_occupancy(
    zone: Zone, states: Iterable[SpaceState], now: datetime, stale_after: timedelta
) -> ZoneOccupancy:
    """Occupied, free and unknown spaces of a registry zone, as of ``now``.

    Only the registry's spaces count: states of spaces the registry no longer lists (or of
    other zones) are ignored, so the three counts always add up to the zone's capacity.
    """
    by_space = {s.space: s for s in states if s.zone == zone.id}
    occupied = free = unknown = 0
    for space in zone.spaces:
        state = by_space.get(space.id)
        if state is None or is_stale(state, now, stale_after):
            unknown += 1
        elif state.occupied:
            occupied += 1
        else:
            free += 1
    known = occupied + free
    return ZoneOccupancy(
        zone=zone.id,
        capacity=len(zone.spaces),
        occupied=occupied,
        free=free,
        unknown=unknown,
        occupancy_rate=occupied / known if known else None,
        as_of=now,
    )


def opposite_status_seen(
    occupied: bool,
    last_seen: datetime,
    last_vacant: datetime | None,
    last_occupied: datetime | None,
) -> datetime | None:
    """When the space was last seen in the status opposite to its current one, or None.

    The current status began with the first report after that moment (or with the first
    report at all when there is none). An opposite report at or after ``last_seen`` cannot
    precede the current status: it is a write that landed between the statements of one
    query, and the next refresh will see it as the current status, so it is ignored here.
    """
    opposite = last_vacant if occupied else last_occupied
    if opposite is None or opposite >= last_seen:
        return None
    return opposite
