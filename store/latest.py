"""The latest state of every space and bin, read from InfluxDB with a few InfluxQL statements.

One request carries the grouped ``last()`` statements for parking and bins. A space's
``since`` (when its current status began) needs one statement per space, so it is asked
only for spaces whose current status or last opposite report changed since the previous
read; the answer for the others is remembered. A steady refresh therefore costs one request,
plus a second one with a statement for each space that changed.

Selectors are ordered by the points' timestamps, not by arrival: a late message carrying
an older timestamp does not change a device's current state.

Reading the whole look-back window costs InfluxDB a ``last()`` over every device and the reader
a decode of every device's answer (about 7 MB at 10,000 spaces), whatever changed. Given a
``recent`` window, the reader does that only every ``full_every`` (and first); in between it
asks for the last points of the recent window alone, which only the devices that reported
lately have, and merges them into what it holds (newest timestamp wins). A message whose
timestamp is already older than the window when it is stored (a gateway emptying its buffer)
shows at the next full read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from parking.occupancy import SpaceState, opposite_status_seen
from sanitation.bins import BinState
from store.influx import InfluxClient, QueryFailed, Series
from store.influxql import literal
from store.lineprotocol import epoch_ms, from_epoch_ms
from store.schema import BIN_LEVEL, PARKING

# With a ``recent`` window, a full read of the whole look-back window still runs this often: it
# picks up what the short reads cannot see (a late message whose timestamp is older than the
# window, a device that left the look-back window).
FULL_READ_EVERY = timedelta(minutes=5)

# Statements per request when many spaces need their `since` (the first read after start):
# keeps each request's body and the server's work per request bounded.
SINCE_STATEMENTS_PER_REQUEST = 500

_BIN_FIELDS = ("fill_pct", "battery_v", "temp_c", "tilted")

DeviceKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Latest:
    """The latest state of every space and bin that reported within the look-back window."""

    spaces: list[SpaceState]
    bins: list[BinState]


@dataclass(frozen=True, slots=True)
class _Point:
    time: datetime
    value: Any


@dataclass(frozen=True, slots=True)
class _KnownSince:
    # The `since` found for a space, valid while its status and last opposite report stay.
    occupied: bool
    opposite_seen: datetime | None
    since: datetime | None


@dataclass(frozen=True, slots=True)
class _SpaceLast:
    zone: str
    space: str
    occupied: bool
    last_seen: datetime
    battery_v: float | None
    opposite_seen: datetime | None


class LatestReader:
    """Reads the latest state from one database, remembering each space's ``since``.

    Not thread-safe: one refresher calls :meth:`read` at a time.
    """

    def __init__(
        self,
        client: InfluxClient,
        lookback: timedelta,
        *,
        recent: timedelta | None = None,
        full_every: timedelta = FULL_READ_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._lookback_s = max(1, int(lookback.total_seconds()))
        # With ``recent``, reads between full ones ask only for points of the last ``recent``
        # and merge them into what is held (see the module docstring).
        self._recent_s = None if recent is None else max(1, int(recent.total_seconds()))
        self._full_every_s = full_every.total_seconds()
        self._clock = clock
        self._held: list[dict[DeviceKey, _Point]] = []
        self._full_at = 0.0
        self._since: dict[DeviceKey, _KnownSince] = {}
        self.since_statements_last_read = 0
        self.last_read_was_full = False

    def read(self) -> Latest:
        """The latest state now; raises :class:`store.influx.InfluxError` when the DB fails."""
        now = self._clock()
        full = self._recent_s is None or not self._held or now - self._full_at >= self._full_every_s
        window_s = self._lookback_s if full else self._recent_s
        assert window_s is not None
        parking = _parking_statements(window_s)
        bins = _bin_statements(window_s)
        try:
            results = self._client.query_many([*parking, *bins])
        except QueryFailed as exc:
            if str(exc) == "not executed":
                # InfluxDB 1.x answers a multi-statement request it refused as a whole (a
                # missing database, say) with only "not executed"; one statement says why.
                self._client.query(parking[0])
            raise
        if len(results) != len(parking) + len(bins):
            raise ValueError(f"expected {len(parking) + len(bins)} results, got {len(results)}")
        fresh = [_by_device(r, "zone", "space") for r in results[: len(parking)]] + [
            _by_device(r, "district", "bin") for r in results[len(parking) :]
        ]
        if full:
            self._held, self._full_at = fresh, now
        else:
            for held, points in zip(self._held, fresh, strict=True):
                for key, point in points.items():
                    if key not in held or point.time >= held[key].time:
                        held[key] = point
        self.last_read_was_full = full
        status, battery, vacant, occupied, *bin_fields = self._held
        spaces = _spaces_last(status, battery, vacant, occupied)
        return Latest(spaces=self._with_since(spaces), bins=_bins_last(*bin_fields))

    def _with_since(self, spaces: list[_SpaceLast]) -> list[SpaceState]:
        known: dict[DeviceKey, _KnownSince] = {}
        missing: list[_SpaceLast] = []
        for space in spaces:
            key = (space.zone, space.space)
            cached = self._since.get(key)
            if (
                cached is not None
                and cached.occupied == space.occupied
                and cached.opposite_seen == space.opposite_seen
            ):
                known[key] = cached
            else:
                missing.append(space)
        found = self._first_since(missing)
        for space in missing:
            key = (space.zone, space.space)
            known[key] = _KnownSince(space.occupied, space.opposite_seen, found.get(key))
        # Replacing the cache drops spaces that left the look-back window.
        self._since = known
        self.since_statements_last_read = len(missing)
        return [
            SpaceState(
                zone=s.zone,
                space=s.space,
                occupied=s.occupied,
                since=known[(s.zone, s.space)].since,
                last_seen=s.last_seen,
                battery_v=s.battery_v,
            )
            for s in spaces
        ]

    def _first_since(self, spaces: list[_SpaceLast]) -> dict[DeviceKey, datetime]:
        found: dict[DeviceKey, datetime] = {}
        for chunk in _chunks(spaces, SINCE_STATEMENTS_PER_REQUEST):
            statements = [_since_statement(s, self._lookback_s) for s in chunk]
            results = self._client.query_many(statements)
            for space, series in zip(chunk, results, strict=True):
                point = _single_point(series)
                if point is not None:
                    found[(space.zone, space.space)] = point.time
        return found


def _select(selector: str, measurement: str, where: str, group_by: str = "") -> str:
    # Only constants, integers and literal()-quoted tag values reach here, never request text.
    return f"SELECT {selector} FROM {measurement} WHERE {where} {group_by}".rstrip()  # noqa: S608


def _parking_statements(lookback_s: int) -> list[str]:
    window = f"time > now() - {lookback_s}s"
    group = "GROUP BY zone, space"
    return [
        _select("last(occupied)", PARKING, window, group),
        _select("last(battery_v)", PARKING, window, group),
        _select("last(occupied)", PARKING, f"{window} AND occupied = 0", group),
        _select("last(occupied)", PARKING, f"{window} AND occupied = 1", group),
    ]


def _bin_statements(lookback_s: int) -> list[str]:
    window = f"time > now() - {lookback_s}s"
    return [
        _select(f"last({field})", BIN_LEVEL, window, "GROUP BY district, bin")
        for field in _BIN_FIELDS
    ]


def _since_statement(space: _SpaceLast, lookback_s: int) -> str:
    after = (
        f"now() - {lookback_s}s"
        if space.opposite_seen is None
        else f"{epoch_ms(space.opposite_seen)}ms"
    )
    device = f"zone = {literal(space.zone)} AND space = {literal(space.space)}"
    return _select("first(occupied)", PARKING, f"{device} AND time > {after}")


def _spaces_last(
    status: dict[DeviceKey, _Point],
    battery: dict[DeviceKey, _Point],
    vacant: dict[DeviceKey, _Point],
    occupied: dict[DeviceKey, _Point],
) -> list[_SpaceLast]:
    spaces = []
    for key, point in status.items():
        now_occupied = bool(point.value)
        battery_point = battery.get(key)
        vacant_point = vacant.get(key)
        occupied_point = occupied.get(key)
        spaces.append(
            _SpaceLast(
                zone=key[0],
                space=key[1],
                occupied=now_occupied,
                last_seen=point.time,
                battery_v=_float(battery_point.value) if battery_point else None,
                opposite_seen=opposite_status_seen(
                    now_occupied,
                    point.time,
                    vacant_point.time if vacant_point else None,
                    occupied_point.time if occupied_point else None,
                ),
            )
        )
    return spaces


def _bins_last(
    fill: dict[DeviceKey, _Point],
    battery: dict[DeviceKey, _Point],
    temp: dict[DeviceKey, _Point],
    tilted: dict[DeviceKey, _Point],
) -> list[BinState]:
    keys = dict.fromkeys([*fill, *battery, *temp, *tilted])
    bins = []
    for key in keys:
        points = [p for p in (fill.get(key), battery.get(key), temp.get(key), tilted.get(key)) if p]
        # Last seen is the newest report of any field: a report without a fill level (a
        # sensor that only sent its battery) still shows the device is alive.
        bins.append(
            BinState(
                district=key[0],
                bin=key[1],
                fill_pct=_float(fill[key].value) if key in fill else None,
                last_seen=max(p.time for p in points),
                battery_v=_float(battery[key].value) if key in battery else None,
                temp_c=_float(temp[key].value) if key in temp else None,
                tilted=bool(tilted[key].value) if key in tilted else None,
            )
        )
    return bins


def _by_device(series: list[Series], first_tag: str, second_tag: str) -> dict[DeviceKey, _Point]:
    points: dict[DeviceKey, _Point] = {}
    for one in series:
        first, second = one.tags.get(first_tag, ""), one.tags.get(second_tag, "")
        point = _single_point([one])
        # Points written without the tags group under "": they belong to no device.
        if first and second and point is not None:
            points[(first, second)] = point
    return points


def _single_point(series: list[Series]) -> _Point | None:
    for one in series:
        for row in one.values:
            # Selector rows are [time, value]; a null value means the field was never set.
            if len(row) >= 2 and row[1] is not None:
                return _Point(from_epoch_ms(int(row[0])), row[1])
    return None


def _float(value: Any) -> float:
    # JSON drops the fraction of whole floats (50.0 arrives as 50).
    return float(value)


def _chunks(items: list[_SpaceLast], size: int) -> Iterator[list[_SpaceLast]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
