"""Immutable snapshots of the live state, built whole or copied on write from the previous one.

A snapshot is what every request reads; it never changes once published. An update copies
only the top-level dicts and rebuilds the zones and districts whose devices changed, plus the
zones where a space went stale since the previous snapshot: the lists and counts of every
other zone are the previous snapshot's own objects (api/livechanges.py relies on that to skip
them cheaply).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from curbside.adapters.influx.latest import Latest
from curbside.city.registry import City, Zone
from curbside.domain.parking.occupancy import SpaceState, ZoneOccupancy, is_stale, zone_occupancy
from curbside.domain.sanitation.bins import BinState
from curbside.domain.telemetry.latest_state import DeviceKey, LatestStates


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the endpoints serve, in registry order, computed as of one moment.

    Every registry space and bin is present: one that never reported has a state whose
    values are all None. Devices the registry does not list are left out.
    """

    as_of: datetime
    stale_after: timedelta
    zones: dict[str, ZoneOccupancy]
    spaces: dict[str, list[SpaceState]]
    bins: dict[str, list[BinState]]


def build_snapshot(city: City, latest: Latest, as_of: datetime, stale_after: timedelta) -> Snapshot:
    """Arrange the latest device states by registry zone and district, with zone counts."""
    return SnapshotBuilder(city, stale_after).whole(
        {(s.zone, s.space): s for s in latest.spaces},
        {(b.district, b.bin): b for b in latest.bins},
        as_of,
    )


class SnapshotBuilder:
    """Builds snapshots of one city; remembers, per zone, when a space of it goes stale next."""

    def __init__(self, city: City, stale_after: timedelta) -> None:
        self._city = city
        self._stale_after = stale_after
        self._zones = {zone.id: zone for zone in city.parking_zones}
        self._space_at = {
            (zone.id, space.id): i
            for zone in city.parking_zones
            for i, space in enumerate(zone.spaces)
        }
        self._bin_at = {
            (district.id, b.id): i
            for district in city.sanitation_districts
            for i, b in enumerate(district.bins)
        }
        self._stale_next: dict[str, datetime] = {}

    def from_states(self, states: LatestStates, as_of: datetime) -> Snapshot:
        """A whole snapshot of ``states``."""
        return self.whole(
            {key: r.state(*key) for key, r in states.spaces.items()},
            {key: r.state(*key) for key, r in states.bins.items()},
            as_of,
        )

    def whole(
        self,
        spaces: dict[DeviceKey, SpaceState],
        bins: dict[DeviceKey, BinState],
        as_of: datetime,
    ) -> Snapshot:
        """A snapshot with every zone and district built anew."""
        by_zone = {
            zone.id: [
                spaces.get((zone.id, space.id)) or _never_seen_space(zone.id, space.id)
                for space in zone.spaces
            ]
            for zone in self._city.parking_zones
        }
        by_district = {
            district.id: [
                bins.get((district.id, b.id)) or _never_seen_bin(district.id, b.id)
                for b in district.bins
            ]
            for district in self._city.sanitation_districts
        }
        zones = {
            zone.id: self._counted(zone, by_zone[zone.id], as_of)
            for zone in self._city.parking_zones
        }
        return Snapshot(as_of, self._stale_after, zones, by_zone, by_district)

    def updated(
        self,
        previous: Snapshot,
        states: LatestStates,
        spaces: Iterable[DeviceKey],
        bins: Iterable[DeviceKey],
        as_of: datetime,
    ) -> Snapshot:
        """``previous`` with the given spaces and bins taken from ``states``, as of ``as_of``."""
        by_zone, copied = _copied_on_write(
            previous.spaces,
            self._space_at,
            {key: _space_state(states, key) for key in spaces},
        )
        by_district, _ = _copied_on_write(
            previous.bins, self._bin_at, {key: _bin_state(states, key) for key in bins}
        )
        zones = {}
        for zone_id, counts in previous.zones.items():
            if zone_id in copied or as_of > self._stale_next.get(zone_id, as_of):
                zones[zone_id] = self._counted(self._zones[zone_id], by_zone[zone_id], as_of)
            else:
                zones[zone_id] = replace(counts, as_of=as_of)
        return Snapshot(as_of, self._stale_after, zones, by_zone, by_district)

    def _counted(self, zone: Zone, states: list[SpaceState], as_of: datetime) -> ZoneOccupancy:
        live = [
            s.last_seen
            for s in states
            if s.last_seen is not None and not is_stale(s, as_of, self._stale_after)
        ]
        # Recounted once `as_of` passes this: the moment the first of its live spaces goes stale.
        self._stale_next[zone.id] = min(live) + self._stale_after if live else _far_future(as_of)
        return zone_occupancy(zone, states, as_of, self._stale_after)


S = TypeVar("S")


def _copied_on_write(
    lists: dict[str, list[S]], position: dict[DeviceKey, int], changed: dict[DeviceKey, S]
) -> tuple[dict[str, list[S]], set[str]]:
    # A new list only for a group (zone or district) with a changed device; the others are
    # shared with the previous snapshot. Devices the registry does not list are skipped.
    result = dict(lists)
    copied: set[str] = set()
    for key, state in changed.items():
        index = position.get(key)
        if index is None:
            continue
        group = key[0]
        if group not in copied:
            result[group] = list(result[group])
            copied.add(group)
        result[group][index] = state
    return result, copied


def _space_state(states: LatestStates, key: DeviceKey) -> SpaceState:
    record = states.spaces.get(key)
    return record.state(*key) if record else _never_seen_space(*key)


def _bin_state(states: LatestStates, key: DeviceKey) -> BinState:
    record = states.bins.get(key)
    return record.state(*key) if record else _never_seen_bin(*key)


def _far_future(as_of: datetime) -> datetime:
    return datetime.max.replace(tzinfo=as_of.tzinfo)


def _never_seen_space(zone: str, space: str) -> SpaceState:
    return SpaceState(zone, space, None, None, None, None)


def _never_seen_bin(district: str, bin_id: str) -> BinState:
    return BinState(district, bin_id, None, None, None, None, None)
