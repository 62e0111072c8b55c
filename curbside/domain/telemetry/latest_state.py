"""The latest state of every space and bin, kept up to date reading by reading (pure).

The result is what curbside/adapters/influx/latest.py reads back from InfluxDB for the same points:
per field,
the point with the newest timestamp wins (a late message with an older timestamp changes
nothing current; two points with the same timestamp are one point, the later write wins).

A space's ``since`` is the first report after the newest report of the opposite status
(``opposite_seen``), or the first report at all when there is none. One case needs points
the stream no longer holds: a late report of the opposite status that lands between
``since`` and ``last_seen`` (or a rewrite of the newest point with the other status). The
space is then marked unsettled; its ``since`` here is a guess until :meth:`LatestStates.settle`
gives it the answer read back from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, Literal, TypeVar

from curbside.domain.parking.occupancy import SpaceState
from curbside.domain.sanitation.bins import BinState
from curbside.vocabulary.readings import BinLevel, Reading, SpaceStatus

T = TypeVar("T")
DeviceKey = tuple[str, str]
Change = tuple[Literal["space", "bin"], DeviceKey]


@dataclass(frozen=True, slots=True)
class Stamped(Generic[T]):
    """A field's value and the timestamp of the point it came from."""

    time: datetime
    value: T


@dataclass(frozen=True, slots=True)
class SpaceRecord:
    """A space's latest status, with what its ``since`` depends on."""

    occupied: bool
    last_seen: datetime
    opposite_seen: datetime | None
    since: datetime | None
    battery_v: Stamped[float] | None = None
    # True while ``since`` (and ``opposite_seen``) must be read back from the database.
    unsettled: bool = False

    def state(self, zone: str, space: str) -> SpaceState:
        """The space's state as the API serves it."""
        battery = self.battery_v.value if self.battery_v is not None else None
        return SpaceState(zone, space, self.occupied, self.since, self.last_seen, battery)


@dataclass(frozen=True, slots=True)
class BinRecord:
    """Each bin field's newest point; a field never reported is None."""

    fill_pct: Stamped[float] | None = None
    battery_v: Stamped[float] | None = None
    temp_c: Stamped[float] | None = None
    tilted: Stamped[bool] | None = None

    def state(self, district: str, bin_id: str) -> BinState:
        """The bin's state as the API serves it; last seen is the newest point of any field."""
        fields = (self.fill_pct, self.battery_v, self.temp_c, self.tilted)
        times = [f.time for f in fields if f is not None]
        return BinState(
            district=district,
            bin=bin_id,
            fill_pct=_value(self.fill_pct),
            last_seen=max(times) if times else None,
            battery_v=_value(self.battery_v),
            temp_c=_value(self.temp_c),
            tilted=_value(self.tilted),
        )


class LatestStates:
    """Records by device; :meth:`apply` merges one admitted reading into them."""

    def __init__(
        self,
        spaces: dict[DeviceKey, SpaceRecord] | None = None,
        bins: dict[DeviceKey, BinRecord] | None = None,
    ) -> None:
        self.spaces: dict[DeviceKey, SpaceRecord] = spaces if spaces is not None else {}
        self.bins: dict[DeviceKey, BinRecord] = bins if bins is not None else {}

    def apply(self, reading: Reading) -> Change | None:
        """Merge an admitted reading (``ts`` set); the device it changed, or None.

        Readings of other kinds (emptied bins, network-server batteries) change nothing here.
        """
        if reading.ts is None:
            raise ValueError("only admitted readings, with a timestamp, can be applied")
        match reading:
            case SpaceStatus():
                key = (reading.zone, reading.space)
                before = self.spaces.get(key)
                after = _space_merged(before, reading.occupied, reading.ts, reading.battery_v)
                if after == before:
                    return None
                self.spaces[key] = after
                return ("space", key)
            case BinLevel():
                key = (reading.district, reading.bin)
                before_bin = self.bins.get(key) or BinRecord()
                after_bin = _bin_merged(before_bin, reading, reading.ts)
                if after_bin == before_bin:
                    return None
                self.bins[key] = after_bin
                return ("bin", key)
            case _:
                return None

    def settle(
        self, key: DeviceKey, occupied: bool, opposite_seen: datetime | None, since: datetime
    ) -> bool:
        """Give an unsettled space the ``opposite_seen`` and ``since`` read from the database
        for status ``occupied``; ignored (False) when the space is settled or changed status."""
        record = self.spaces.get(key)
        if record is None or not record.unsettled or record.occupied != occupied:
            return False
        self.spaces[key] = replace(
            record, opposite_seen=opposite_seen, since=since, unsettled=False
        )
        return True


def _space_merged(
    record: SpaceRecord | None, occupied: bool, ts: datetime, battery_v: float | None
) -> SpaceRecord:
    if record is None:
        return SpaceRecord(occupied, ts, None, ts, _newest(None, battery_v, ts))
    merged = _status_merged(record, occupied, ts)
    battery = _newest(record.battery_v, battery_v, ts)
    return merged if battery is record.battery_v else replace(merged, battery_v=battery)


def _status_merged(record: SpaceRecord, occupied: bool, ts: datetime) -> SpaceRecord:
    if ts > record.last_seen:
        if occupied == record.occupied:
            return replace(record, last_seen=ts)
        # A new status: the previous one was last seen at the previous newest point.
        return SpaceRecord(occupied, ts, record.last_seen, ts, record.battery_v)
    if occupied == record.occupied:
        return _same_status_again(record, ts)
    return _opposite_status_late(record, ts)


def _same_status_again(record: SpaceRecord, ts: datetime) -> SpaceRecord:
    # A repeat, or late: it moves `since` back if it belongs to the current run.
    after_opposite = record.opposite_seen is None or ts > record.opposite_seen
    if after_opposite and (record.since is None or ts < record.since):
        return replace(record, since=ts)
    return record


def _opposite_status_late(record: SpaceRecord, ts: datetime) -> SpaceRecord:
    if ts == record.last_seen:
        # The newest point rewritten with the other status: where its run began is unknown.
        return SpaceRecord(not record.occupied, ts, None, ts, record.battery_v, unsettled=True)
    if record.since is None or ts >= record.since:
        # A late opposite report inside the current run: the run now begins at the first
        # report after it, which only the database still holds; last_seen is one such.
        return replace(record, opposite_seen=ts, since=record.last_seen, unsettled=True)
    # A late opposite report before the current run: the run still begins at `since`.
    if record.opposite_seen is None or ts > record.opposite_seen:
        return replace(record, opposite_seen=ts)
    return record


def _bin_merged(record: BinRecord, reading: BinLevel, ts: datetime) -> BinRecord:
    return BinRecord(
        fill_pct=_newest(record.fill_pct, reading.fill_pct, ts),
        battery_v=_newest(record.battery_v, reading.battery_v, ts),
        temp_c=_newest(record.temp_c, reading.temp_c, ts),
        tilted=_newest(record.tilted, reading.tilted, ts),
    )


def _newest(held: Stamped[T] | None, value: T | None, ts: datetime) -> Stamped[T] | None:
    if value is None or (held is not None and ts < held.time):
        return held
    return Stamped(ts, value)


def _value(stamped: Stamped[T] | None) -> T | None:
    return stamped.value if stamped is not None else None
