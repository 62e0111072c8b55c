"""Waste-bin history from InfluxDB: fill readings and emptied reports, read per request.

A day's collections and clearance need more than the day: the level carried over midnight
(the last readings of the evening before, and any emptying after them) and, at the day's
end, the next reading (to tell a glitch from an emptying) and reports merging with a drop.
So every read covers ``MARGIN_BEFORE`` before the window and ``MARGIN_AFTER`` after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from curbside.adapters.influx.client import InfluxClient, Series
from curbside.adapters.influx.history import check_window
from curbside.adapters.influx.influxql import literal
from curbside.adapters.influx.lineprotocol import epoch_ms, from_epoch_ms
from curbside.adapters.influx.rollups import HourlyLevel, hourly_levels
from curbside.adapters.influx.schema import BIN_EMPTIED, BIN_LEVEL
from curbside.domain.sanitation.collections import Emptied, Level

# Bins report every few minutes; six hours reach the evening's last reading even after a
# few missed ones, and an emptying late in the evening.
MARGIN_BEFORE = timedelta(hours=6)
# Past the glitch and merge windows (1 h, 30 min) of docs/clearance.md, with room to spare.
MARGIN_AFTER = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class BinReadings:
    """What the bins of one district reported, by bin id, each list in time order."""

    levels: dict[str, list[Level]] = field(default_factory=dict)
    reports: dict[str, list[Emptied]] = field(default_factory=dict)


class SanitationHistoryReader:
    """Reads bin history from one database. Thread-safe: it keeps no state between calls."""

    def __init__(self, client: InfluxClient) -> None:
        self._client = client

    def readings(
        self, district: str, start: datetime, end: datetime, *, bin_id: str | None = None
    ) -> BinReadings:
        """A district's (or one bin's) readings and reports around ``[start, end)``.

        The read covers ``MARGIN_BEFORE`` before ``start`` and ``MARGIN_AFTER`` after ``end``.
        """
        check_window(start, end)
        lo_ms = epoch_ms(start - MARGIN_BEFORE)
        hi_ms = epoch_ms(end + MARGIN_AFTER) - 1
        where = _where(district, bin_id, lo_ms, hi_ms)
        # Only literal()-quoted ids and integers reach the statements, never request text.
        levels, reports = self._client.query_many(
            [
                f"SELECT fill_pct FROM {BIN_LEVEL} WHERE {where} GROUP BY bin",  # noqa: S608
                f"SELECT emptied, truck FROM {BIN_EMPTIED} WHERE {where} GROUP BY bin",  # noqa: S608
            ]
        )
        return BinReadings(
            levels={b: list(_levels(s)) for b, s in _by_bin(levels)},
            reports={b: list(_reports(s)) for b, s in _by_bin(reports)},
        )

    def hourly_levels(
        self, district: str, bin_id: str, start: datetime, end: datetime
    ) -> list[HourlyLevel]:
        """One bin's hourly rollups in ``[start, end)``: its history past the raw horizon."""
        check_window(start, end)
        return hourly_levels(self._client, district, bin_id, start, end)


def _where(district: str, bin_id: str | None, lo_ms: int, hi_ms: int) -> str:
    where = f"district = {literal(district)}"
    if bin_id is not None:
        where += f" AND bin = {literal(bin_id)}"
    return f"{where} AND time >= {lo_ms}ms AND time <= {hi_ms}ms"


def _by_bin(series: list[Series]) -> Iterator[tuple[str, Series]]:
    for one in series:
        bin_id = one.tags.get("bin", "")
        if bin_id:  # points written without the tag belong to no bin
            yield bin_id, one


def _levels(series: Series) -> Iterator[Level]:
    for row in series.rows():
        fill = row.get("fill_pct")
        if fill is not None:  # a message with a distance the decoder could not turn into %
            yield Level(from_epoch_ms(row["time"]), float(fill))


def _reports(series: Series) -> Iterator[Emptied]:
    for row in series.rows():
        truck = row.get("truck")
        yield Emptied(from_epoch_ms(row["time"]), None if truck in (None, "") else str(truck))
