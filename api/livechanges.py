"""What changed between two live-state snapshots, as the live stream sends it (pure)."""

from __future__ import annotations

from api.livestate import Snapshot
from api.schemas import BinOut, LiveChangesOut, SpaceOut, ZoneOccupancyOut
from city.registry import City
from parking.occupancy import is_stale


def live_changes(city: City, before: Snapshot | None, after: Snapshot) -> LiveChangesOut:
    """Every zone's counts in ``after``, and the spaces and bins that differ from ``before``
    (all of them when there is no ``before``). A space whose report did not change but
    which went stale in between counts as changed."""

    def space_key(snapshot: Snapshot | None, zone: str, index: int) -> object:
        if snapshot is None:
            return None
        state = snapshot.spaces[zone][index]
        return state, is_stale(state, snapshot.as_of, snapshot.stale_after)

    spaces = [
        SpaceOut.from_state(state, after.as_of, after.stale_after)
        for zone, states in after.spaces.items()
        for index, state in enumerate(states)
        if space_key(before, zone, index) != space_key(after, zone, index)
    ]
    bins = [
        BinOut.from_state(state)
        for district, states in after.bins.items()
        for index, state in enumerate(states)
        if before is None or before.bins[district][index] != state
    ]
    return LiveChangesOut(
        as_of=after.as_of,
        zones=[ZoneOccupancyOut.from_counts(after.zones[z.id], z.name) for z in city.parking_zones],
        spaces=spaces,
        bins=bins,
    )
