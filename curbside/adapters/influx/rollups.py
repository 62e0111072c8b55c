"""Hourly rollups of the bins' fill readings, kept past the raw readings' horizon.

Measurement ``bin_level_hourly`` in the ``curbside_rollup`` policy (curbside/adapters/influx/
retention.py): tags ``district``, ``bin``; fields ``mean_fill_pct``, ``min_fill_pct``,
``max_fill_pct``, ``last_fill_pct`` and ``readings`` (how many); time = the hour's start.

Written by Curbside's own code, not a continuous query: an InfluxQL aggregate read over the raw
policy and a line-protocol write into the rollup policy, which every InfluxDB release with the
v1 API can do (2.x and 3.x have no continuous queries and no ``SELECT ... INTO``). Rolling an
hour again rewrites the same points, so the job can repeat hours freely: each run takes the
hours from the last one rolled (at most the raw horizon back) to the last complete hour, and
``RELOOK`` hours before that again, for readings that arrived late.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.influxql import literal
from curbside.adapters.influx.lineprotocol import encode_line, epoch_ms, from_epoch_ms
from curbside.adapters.influx.retention import ROLLUP
from curbside.adapters.influx.schema import BIN_LEVEL

BIN_LEVEL_HOURLY = "bin_level_hourly"
HOUR = timedelta(hours=1)
# Readings up to this late still reach their hour's rollup.
RELOOK = timedelta(hours=3)
# At most this much raw history is read per statement: bounded memory on catch-up.
_STEP = timedelta(hours=6)
_AGGREGATES = (
    "mean(fill_pct) AS mean_fill_pct, min(fill_pct) AS min_fill_pct, "
    "max(fill_pct) AS max_fill_pct, last(fill_pct) AS last_fill_pct, count(fill_pct) AS readings"
)


@dataclass(frozen=True, slots=True)
class HourlyLevel:
    """One bin's fill readings in one hour, summed up."""

    hour: datetime
    mean_fill_pct: float
    min_fill_pct: float
    max_fill_pct: float
    last_fill_pct: float
    readings: int


def _hour_floor(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def last_rolled_hour(client: InfluxClient) -> datetime | None:
    """The newest hour in the rollups, or None before the first."""
    series = client.query(f'SELECT last(readings) FROM "{ROLLUP}"."{BIN_LEVEL_HOURLY}"')  # noqa: S608
    times = [row["time"] for s in series for row in s.rows()]
    return from_epoch_ms(int(max(times))) if times else None


class HourlyRollup:
    """Rolls up the hours due, a bounded stretch per call (see the module's docstring)."""

    def __init__(self, client: InfluxClient, raw_horizon: timedelta) -> None:
        self._client = client
        self._raw_horizon = raw_horizon
        # Where the last call stopped: an hour without any reading writes nothing, so the
        # rollups alone cannot say it was done. None: ask the rollups at the first call.
        self._done_until: datetime | None = None
        self._asked = False

    def run(self, now: datetime, max_hours: int = 24) -> int:
        """Roll up at most ``max_hours`` hours (and the late-data re-look) up to the last
        complete hour; returns how many points were written."""
        end = _hour_floor(now)  # the hour in progress is not rolled up
        oldest = _hour_floor(now - self._raw_horizon) + HOUR  # older raw hours may be partly gone
        if not self._asked:
            last = last_rolled_hour(self._client)
            self._done_until = None if last is None else last + HOUR
            self._asked = True
        if self._done_until is not None and self._done_until >= end:
            return 0  # once per completed hour, not per call
        done = oldest if self._done_until is None else max(oldest, self._done_until)
        start = max(oldest, min(done, end) - RELOOK)
        stop = min(end, max(done, start) + max_hours * HOUR)
        written = 0
        while start < stop:
            step_end = min(start + _STEP, stop)
            lines = [
                encode_line(BIN_LEVEL_HOURLY, tags, fields, at)
                for tags, fields, at in _hours(self._client, start, step_end)
            ]
            self._client.write(lines, retention_policy=ROLLUP)
            written += len(lines)
            start = step_end
            self._done_until = max(done, step_end)
        return written


def _hours(
    client: InfluxClient, start: datetime, end: datetime
) -> Iterator[tuple[dict[str, str], dict[str, float | int], datetime]]:
    statement = (
        # The raw policy is the default one: named by no raw reader, nor here.
        f"SELECT {_AGGREGATES} FROM {BIN_LEVEL} "  # noqa: S608 - no request text
        f"WHERE time >= {epoch_ms(start)}ms AND time < {epoch_ms(end)}ms "
        "GROUP BY time(1h), district, bin fill(none)"
    )
    for series in client.query(statement):
        tags = {"district": series.tags.get("district", ""), "bin": series.tags.get("bin", "")}
        if not tags["district"] or not tags["bin"]:
            continue  # points written without the tags belong to no bin
        for row in series.rows():
            fields = {
                "mean_fill_pct": float(row["mean_fill_pct"]),
                "min_fill_pct": float(row["min_fill_pct"]),
                "max_fill_pct": float(row["max_fill_pct"]),
                "last_fill_pct": float(row["last_fill_pct"]),
                "readings": int(row["readings"]),
            }
            yield tags, fields, from_epoch_ms(int(row["time"]))


def hourly_levels(
    client: InfluxClient, district: str, bin_id: str, start: datetime, end: datetime
) -> list[HourlyLevel]:
    """One bin's rolled-up hours in ``[start, end)``, oldest first."""
    statement = (
        f'SELECT * FROM "{ROLLUP}"."{BIN_LEVEL_HOURLY}" '  # noqa: S608 - literal() only
        f"WHERE district = {literal(district)} AND bin = {literal(bin_id)} "
        f"AND time >= {epoch_ms(start)}ms AND time < {epoch_ms(end)}ms"
    )
    return [_hourly(row) for s in client.query(statement) for row in s.rows()]


def _hourly(row: dict[str, Any]) -> HourlyLevel:
    return HourlyLevel(
        hour=from_epoch_ms(int(row["time"])),
        mean_fill_pct=float(row["mean_fill_pct"]),
        min_fill_pct=float(row["min_fill_pct"]),
        max_fill_pct=float(row["max_fill_pct"]),
        last_fill_pct=float(row["last_fill_pct"]),
        readings=int(row["readings"]),
    )
