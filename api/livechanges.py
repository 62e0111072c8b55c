"""What changed between two live-state snapshots, as the live stream sends it (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from api.schemas import BinOut, LiveChangesOut, SpaceOut, ZoneOccupancyOut
from curbside.city.registry import District, Zone
from curbside.domain.parking.occupancy import is_stale
from curbside.readmodels.live.state import Snapshot


def live_changes(
    zones: Sequence[Zone],
    districts: Sequence[District],
    before: Snapshot | None,
    after: Snapshot,
) -> LiveChangesOut:
    """The counts in ``after`` of each of ``zones``, and the spaces of those zones and the
    bins of ``districts`` that differ from ``before`` (all of them when there is no
    ``before``); nothing of any other zone or district. A space whose report did not change
    but which went stale in between counts as changed."""

    def space_key(snapshot: Snapshot | None, zone: str, index: int) -> object:
        if snapshot is None:
            return None
        state = snapshot.spaces[zone][index]
        return state, is_stale(state, snapshot.as_of, snapshot.stale_after)

    def untouched(zone: str) -> bool:
        # The same list (curbside/readmodels/live/snapshot.py reuses unchanged ones) and the same
        # counts: no state
        # changed and, staleness only growing, none went stale.
        if before is None or before.spaces[zone] is not after.spaces[zone]:
            return False
        old, new = before.zones[zone], after.zones[zone]
        return (old.occupied, old.free, old.unknown) == (new.occupied, new.free, new.unknown)

    spaces = [
        SpaceOut.from_state(state, after.as_of, after.stale_after)
        for zone in zones
        if not untouched(zone.id)
        for index, state in enumerate(after.spaces[zone.id])
        if space_key(before, zone.id, index) != space_key(after, zone.id, index)
    ]
    bins = [
        BinOut.from_state(state)
        for district in districts
        if before is None or before.bins[district.id] is not after.bins[district.id]
        for index, state in enumerate(after.bins[district.id])
        if before is None or before.bins[district.id][index] != state
    ]
    return LiveChangesOut(
        as_of=after.as_of,
        zones=[ZoneOccupancyOut.from_counts(after.zones[z.id], z.name) for z in zones],
        spaces=spaces,
        bins=bins,
    )
