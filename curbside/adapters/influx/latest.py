"""The latest state of every space and bin, read from InfluxDB with a few InfluxQL statements.

One request carries the grouped ``last()`` statements for parking and bins. A space's
``since`` (when its current status began) needs one statement per space, so it is asked
only for spaces whose current status or last opposite report changed since the previous
read; the answer for the others is remembered. A steady read therefore costs one request,
plus a second one with a statement for each space that changed.

Selectors are ordered by the points' timestamps, not by arrival: a late message carrying
an older timestamp does not change a device's current state. The API reads this in full
only at start and now and then; in between it follows the MQTT stream
(curbside/readmodels/live/state.py)
and asks :meth:`LatestReader.settle_since` for the rare ``since`` the stream cannot settle.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from curbside.adapters.influx.client import InfluxClient, QueryFailed, Series
from curbside.adapters.influx.influxql import literal
from curbside.adapters.influx.lineprotocol import epoch_ms, from_epoch_ms
from curbside.adapters.influx.schema import BIN_LEVEL, PARKING
from curbside.domain.parking.occupancy import SpaceState, opposite_status_seen
from curbside.domain.sanitation.bins import BinState
from curbside.domain.telemetry.latest_state import (
    BinRecord,
    DeviceKey,
    LatestStates,
    SpaceRecord,
    Stamped,
)

T = TypeVar("T")

# Statements per request when many spaces need their `since` (the first read after start):
# keeps each request's body and the server's work per request bounded.
SINCE_STATEMENTS_PER_REQUEST = 500

_BIN_FIELDS = ("fill_pct", "battery_v", "temp_c", "tilted")


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
class SinceQuestion:
    """Which space, and its current status."""

    zone: str
    space: str
    occupied: bool


@dataclass(frozen=True, slots=True)
class SinceAnswer:
    """The newest report of the opposite status and the first report after it."""

    opposite_seen: datetime | None
    since: datetime


class LatestReader:
    """Reads the latest state from one database, remembering each space's ``since``.

    Not thread-safe: one caller reads at a time.
    """

    def __init__(self, client: InfluxClient, lookback: timedelta) -> None:
        self._client = client
        self._lookback_s = max(1, int(lookback.total_seconds()))
        self._since: dict[DeviceKey, _KnownSince] = {}
        self.since_statements_last_read = 0

    def read(self) -> Latest:
        """The latest state now; raises :class:`curbside.adapters.influx.client.InfluxError` when
        the DB fails."""
        states = self.read_states()
        return Latest(
            spaces=[r.state(*key) for key, r in states.spaces.items()],
            bins=[r.state(*key) for key, r in states.bins.items()],
        )

    def read_states(self) -> LatestStates:
        """The latest state now, with each field's timestamp, for merging with newer points."""
        parking = _parking_statements(self._lookback_s)
        bins = _bin_statements(self._lookback_s)
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
        status, battery, vacant, occupied = (
            _by_device(r, "zone", "space") for r in results[: len(parking)]
        )
        fill, bin_battery, temp, tilted = (
            _by_device(r, "district", "bin") for r in results[len(parking) :]
        )
        spaces = self._with_since(_spaces_last(status, battery, vacant, occupied))
        return LatestStates(spaces, _bins_last(fill, bin_battery, temp, tilted))

    def check(self) -> None:
        """Raise :class:`curbside.adapters.influx.client.InfluxError` unless the database answers a
        query."""
        self._client.query("SHOW MEASUREMENTS LIMIT 1")

    def settle_since(self, questions: list[SinceQuestion]) -> dict[DeviceKey, SinceAnswer]:
        """Each space's newest opposite report and the first report after it, as stored now.

        A space whose current status has no report in the window is left out of the answer.
        """
        answers: dict[DeviceKey, SinceAnswer] = {}
        for chunk in _chunks(questions, SINCE_STATEMENTS_PER_REQUEST):
            results = self._client.query_many(
                [_opposite_statement(q, self._lookback_s) for q in chunk]
            )
            opposites = [_single_point(series) for series in results]
            asked = [
                (q, point.time if point is not None else None)
                for q, point in zip(chunk, opposites, strict=True)
            ]
            statements = [
                _since_statement(q.zone, q.space, opposite, self._lookback_s)
                for q, opposite in asked
            ]
            for (q, opposite), series in zip(
                asked, self._client.query_many(statements), strict=True
            ):
                first = _single_point(series)
                if first is not None:
                    answers[(q.zone, q.space)] = SinceAnswer(opposite, first.time)
        return answers

    def _with_since(self, spaces: dict[DeviceKey, SpaceRecord]) -> dict[DeviceKey, SpaceRecord]:
        known: dict[DeviceKey, _KnownSince] = {}
        missing: list[tuple[DeviceKey, SpaceRecord]] = []
        for key, space in spaces.items():
            cached = self._since.get(key)
            if (
                cached is not None
                and cached.occupied == space.occupied
                and cached.opposite_seen == space.opposite_seen
            ):
                known[key] = cached
            else:
                missing.append((key, space))
        found = self._first_since(missing)
        for key, space in missing:
            known[key] = _KnownSince(space.occupied, space.opposite_seen, found.get(key))
        # Replacing the cache drops spaces that left the look-back window.
        self._since = known
        self.since_statements_last_read = len(missing)
        return {key: replace(s, since=known[key].since) for key, s in spaces.items()}

    def _first_since(
        self, spaces: list[tuple[DeviceKey, SpaceRecord]]
    ) -> dict[DeviceKey, datetime]:
        found: dict[DeviceKey, datetime] = {}
        for chunk in _chunks(spaces, SINCE_STATEMENTS_PER_REQUEST):
            statements = [
                _since_statement(key[0], key[1], s.opposite_seen, self._lookback_s)
                for key, s in chunk
            ]
            results = self._client.query_many(statements)
            for (key, _), series in zip(chunk, results, strict=True):
                point = _single_point(series)
                if point is not None:
                    found[key] = point.time
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


def _since_statement(zone: str, space: str, opposite_seen: datetime | None, lookback_s: int) -> str:
    after = f"now() - {lookback_s}s" if opposite_seen is None else f"{epoch_ms(opposite_seen)}ms"
    device = f"zone = {literal(zone)} AND space = {literal(space)}"
    return _select("first(occupied)", PARKING, f"{device} AND time > {after}")


def _opposite_statement(question: SinceQuestion, lookback_s: int) -> str:
    device = f"zone = {literal(question.zone)} AND space = {literal(question.space)}"
    opposite = 0 if question.occupied else 1
    where = f"{device} AND time > now() - {lookback_s}s AND occupied = {opposite}"
    return _select("last(occupied)", PARKING, where)


def _spaces_last(
    status: dict[DeviceKey, _Point],
    battery: dict[DeviceKey, _Point],
    vacant: dict[DeviceKey, _Point],
    occupied: dict[DeviceKey, _Point],
) -> dict[DeviceKey, SpaceRecord]:
    spaces = {}
    for key, point in status.items():
        now_occupied = bool(point.value)
        battery_point = battery.get(key)
        vacant_point = vacant.get(key)
        occupied_point = occupied.get(key)
        spaces[key] = SpaceRecord(
            occupied=now_occupied,
            last_seen=point.time,
            opposite_seen=opposite_status_seen(
                now_occupied,
                point.time,
                vacant_point.time if vacant_point else None,
                occupied_point.time if occupied_point else None,
            ),
            since=None,
            battery_v=_stamped_float(battery_point),
        )
    return spaces


def _bins_last(
    fill: dict[DeviceKey, _Point],
    battery: dict[DeviceKey, _Point],
    temp: dict[DeviceKey, _Point],
    tilted: dict[DeviceKey, _Point],
) -> dict[DeviceKey, BinRecord]:
    keys = dict.fromkeys([*fill, *battery, *temp, *tilted])
    tilted_points = {k: Stamped(p.time, bool(p.value)) for k, p in tilted.items()}
    return {
        key: BinRecord(
            fill_pct=_stamped_float(fill.get(key)),
            battery_v=_stamped_float(battery.get(key)),
            temp_c=_stamped_float(temp.get(key)),
            tilted=tilted_points.get(key),
        )
        for key in keys
    }


def _stamped_float(point: _Point | None) -> Stamped[float] | None:
    # JSON drops the fraction of whole floats (50.0 arrives as 50).
    return Stamped(point.time, float(point.value)) if point is not None else None


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


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
