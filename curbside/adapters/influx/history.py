"""Parking history from InfluxDB: status reports, the sessions they make, occupancy over time.

Unlike the live state, these are read per request. Every read is bounded: a window is at most
``MAX_WINDOW`` long, and long reads go one day per request. Sessions need more than the
window: the reports before it show how a stay in progress at its start began (read backwards
in growing steps, at most ``START_SEARCH`` before the window), and the reports after it show
how a stay still open at its end ended (read forwards up to now). The time-weighted mean
occupancy is computed here in Python, not with nested InfluxQL: InfluxDB 1.x mishandles
``fill(previous)`` inside a subquery grouped again by time (influxdata/influxdb#9049, #16960;
verified on 1.6.7, see docs/api.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from curbside.adapters.influx.client import InfluxClient, Series
from curbside.adapters.influx.influxql import literal
from curbside.adapters.influx.lineprotocol import epoch_ms, from_epoch_ms
from curbside.adapters.influx.schema import PARKING
from curbside.domain.parking.occupancy_history import OccupancyBucket, OccupancyIntegrator
from curbside.domain.parking.sessions import (
    Observation,
    Session,
    SessionRules,
    derive_sessions,
    needs_earlier_data,
)

MAX_WINDOW = timedelta(days=31)
# How far before a window to look for the start of a stay in progress at its start. Longer
# "stays" are abandoned vehicles or stuck sensors: they are flagged start_unknown.
START_SEARCH = timedelta(days=7)
_CHUNK = timedelta(days=1)
_FIRST_STEP = timedelta(hours=6)
_STEP_GROWTH = 4
_STATEMENTS_PER_REQUEST = 500
_MS = timedelta(milliseconds=1)

Statement = Callable[[int, int], str]


def check_window(start: datetime, end: datetime) -> None:
    """Refuse a window that is empty, reversed, naive or longer than ``MAX_WINDOW``."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("window times must be timezone-aware")
    if end <= start:
        raise ValueError("end must be after start")
    if end - start > MAX_WINDOW:
        raise ValueError(f"the window may be at most {MAX_WINDOW.days} days long")


@dataclass(slots=True)
class _Span:
    # The reports of one space read so far, over [lo_ms, hi_ms] (both inclusive).
    observations: list[Observation]
    lo_ms: int
    hi_ms: int


class HistoryReader:
    """Reads parking history from one database. Thread-safe: it keeps no state between calls."""

    def __init__(self, client: InfluxClient, rules: SessionRules, stale_after: timedelta) -> None:
        self._client = client
        self._rules = rules
        self._stale_after = stale_after

    def observations(
        self, zone: str, start: datetime, end: datetime, space: str | None = None
    ) -> dict[str, list[Observation]]:
        """The status reports of a zone's spaces (or one space) in ``[start, end)``, by space."""
        check_window(start, end)
        return self._read_zone(zone, space, epoch_ms(start), epoch_ms(end) - 1)

    def sessions(
        self, zone: str, spaces: Sequence[str], start: datetime, end: datetime, *, now: datetime
    ) -> list[Session]:
        """The sessions of these spaces overlapping ``[start, end)``, with their real ends.

        A session still open at ``now`` is ongoing; sorted by start, then by ``spaces`` order.
        """
        spans = self._spans(zone, spaces, start, end, now)
        self._read_later(zone, spans, end, now)
        return self._derived(zone, spaces, spans, now, lambda s: s.overlaps(start, end))

    def ended_sessions(
        self, zone: str, spaces: Sequence[str], start: datetime, end: datetime, *, now: datetime
    ) -> list[Session]:
        """The sessions of these spaces that ended in ``[start, end)`` (ongoing ones did not)."""
        spans = self._spans(zone, spaces, start, end, now)
        return self._derived(
            zone, spaces, spans, now, lambda s: s.end is not None and start <= s.end < end
        )

    def occupancy(
        self,
        zone: str,
        spaces: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        every: timedelta,
        now: datetime,
    ) -> list[OccupancyBucket]:
        """Mean occupied spaces per ``every`` from ``start``, up to ``end`` or ``now``.

        Buckets after ``now`` are left out (nothing is known about them yet); the last bucket
        may be shorter than ``every``.
        """
        check_window(start, end)
        until = min(end, now)
        if until <= start:
            return []
        integrator = OccupancyIntegrator(spaces, start, until, every, self._stale_after)
        # Reports older than the staleness limit at `start` say nothing about it.
        lo_ms, hi_ms = epoch_ms(start - self._stale_after), epoch_ms(until) - 1
        for chunk_lo, chunk_hi in _chunks(lo_ms, hi_ms):
            statement = _zone_statement(zone, None, chunk_lo, chunk_hi)
            for space, observations in _by_space(self._client.query(statement)).items():
                integrator.add_all(space, ((o.ts, o.occupied) for o in observations))
        return integrator.buckets()

    def _spans(
        self, zone: str, spaces: Sequence[str], start: datetime, end: datetime, now: datetime
    ) -> dict[str, _Span]:
        # The window with margins on both sides: one silence limit (and debounce) before, so a
        # stay's status at the start is known, and after, so a stay ending just before `end`
        # is known to have ended (a vacancy lasting the debounce, or a silence).
        check_window(start, end)
        margin = max(self._rules.silent_after, self._rules.debounce)
        lo_ms = epoch_ms(start - margin)
        hi_ms = epoch_ms(min(now, end + margin))
        if hi_ms < lo_ms:
            return {}
        only = spaces[0] if len(spaces) == 1 else None
        read = self._read_zone(zone, only, lo_ms, hi_ms)
        spans = {s: _Span(read[s], lo_ms, hi_ms) for s in spaces if s in read}
        self._read_earlier(zone, spans, start, now, lo_ms)
        return spans

    def _read_earlier(
        self, zone: str, spans: dict[str, _Span], start: datetime, now: datetime, lo_ms: int
    ) -> None:
        # Back in growing steps while a stay reaching into the window starts at the first
        # report read: its real start is earlier. `lo_ms` is where the first read began.
        limit_ms = lo_ms - START_SEARCH // _MS
        step = _FIRST_STEP
        while True:
            pending = [
                space
                for space, span in spans.items()
                if span.lo_ms > limit_ms
                and needs_earlier_data(
                    span.observations, start, self._span_now(span, now), self._rules
                )
            ]
            if not pending:
                return
            bounds = {
                s: (max(limit_ms, spans[s].lo_ms - step // _MS), spans[s].lo_ms - 1)
                for s in pending
            }
            for space, found in self._read_spaces(zone, bounds).items():
                spans[space].observations[:0] = found
            for space in pending:
                spans[space].lo_ms = bounds[space][0]
            step *= _STEP_GROWTH

    def _read_later(self, zone: str, spans: dict[str, _Span], end: datetime, now: datetime) -> None:
        # Forward in growing steps while a session that began before `end` is still open at
        # the last report read, until now.
        now_ms = epoch_ms(now)
        step = _FIRST_STEP
        while True:
            pending = [
                space
                for space, span in spans.items()
                if span.hi_ms < now_ms and self._open_before(span, end, now)
            ]
            if not pending:
                return
            bounds = {
                s: (spans[s].hi_ms + 1, min(now_ms, spans[s].hi_ms + step // _MS)) for s in pending
            }
            for space, found in self._read_spaces(zone, bounds).items():
                spans[space].observations.extend(found)
            for space in pending:
                spans[space].hi_ms = bounds[space][1]
            step *= _STEP_GROWTH

    def _open_before(self, span: _Span, end: datetime, now: datetime) -> bool:
        sessions = derive_sessions(
            "", "", span.observations, self._span_now(span, now), self._rules
        )
        return any(s.end is None and s.start < end for s in sessions)

    def _derived(
        self,
        zone: str,
        spaces: Sequence[str],
        spans: dict[str, _Span],
        now: datetime,
        keep: Callable[[Session], bool],
    ) -> list[Session]:
        order = {space: index for index, space in enumerate(spaces)}
        found = [
            session
            for space, span in spans.items()
            for session in derive_sessions(
                zone, space, span.observations, self._span_now(span, now), self._rules
            )
            if keep(session)
        ]
        return sorted(found, key=lambda s: (s.start, order[s.space]))

    @staticmethod
    def _span_now(span: _Span, now: datetime) -> datetime:
        # Sessions are judged as of the last moment read: `now` once the reads reach it.
        return now if span.hi_ms >= epoch_ms(now) else from_epoch_ms(span.hi_ms)

    def _read_zone(
        self, zone: str, space: str | None, lo_ms: int, hi_ms: int
    ) -> dict[str, list[Observation]]:
        out: dict[str, list[Observation]] = {}
        for chunk_lo, chunk_hi in _chunks(lo_ms, hi_ms):
            series = self._client.query(_zone_statement(zone, space, chunk_lo, chunk_hi))
            for name, observations in _by_space(series).items():
                out.setdefault(name, []).extend(observations)
        return out

    def _read_spaces(
        self, zone: str, bounds: dict[str, tuple[int, int]]
    ) -> dict[str, list[Observation]]:
        out: dict[str, list[Observation]] = {}
        items = list(bounds.items())
        for first in range(0, len(items), _STATEMENTS_PER_REQUEST):
            chunk = items[first : first + _STATEMENTS_PER_REQUEST]
            statements = [_zone_statement(zone, space, lo, hi) for space, (lo, hi) in chunk]
            for series in self._client.query_many(statements):
                for name, observations in _by_space(series).items():
                    out.setdefault(name, []).extend(observations)
        return out


def _chunks(lo_ms: int, hi_ms: int) -> Iterator[tuple[int, int]]:
    # [lo_ms, hi_ms] in pieces of at most a day, each inclusive at both ends.
    size = _CHUNK // _MS
    while lo_ms <= hi_ms:
        yield lo_ms, min(hi_ms, lo_ms + size - 1)
        lo_ms += size


def _zone_statement(zone: str, space: str | None, lo_ms: int, hi_ms: int) -> str:
    where = f"zone = {literal(zone)}"
    if space is not None:
        where += f" AND space = {literal(space)}"
    # Only literal()-quoted ids and integers reach the statement, never request text.
    return (
        f"SELECT occupied, seq FROM {PARKING} WHERE {where} "  # noqa: S608
        f"AND time >= {lo_ms}ms AND time <= {hi_ms}ms GROUP BY space"
    )


def _by_space(series: list[Series]) -> dict[str, list[Observation]]:
    out: dict[str, list[Observation]] = {}
    for one in series:
        space = one.tags.get("space", "")
        if not space:
            continue  # points written without the tag belong to no space
        out.setdefault(space, []).extend(_observations(one))
    return out


def _observations(series: Series) -> Iterator[Observation]:
    columns = {name: index for index, name in enumerate(series.columns)}
    occupied_at, seq_at = columns.get("occupied"), columns.get("seq")
    if occupied_at is None:
        return
    for row in series.values:
        occupied: Any = row[occupied_at]
        if occupied is None:
            continue
        seq: Any = row[seq_at] if seq_at is not None else None
        yield Observation(
            ts=from_epoch_ms(int(row[0])),
            occupied=bool(occupied),
            seq=None if seq is None else int(seq),
        )
