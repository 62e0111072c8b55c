"""A zone's sessions as the JSON the sessions route answers, each closed stay rendered once,
each window's stays read again only where the recorder changed them.

Rendering about 380 stays per request was most of the sessions route's cost (37–44 ms of CPU,
docs/performance.md). A closed stay shows the same until the recorder changes its row or
replaces its charge, and its :class:`StayRow` holds everything it shows (a charge is never
edited, only replaced under a new id), so its JSON is kept with the row as the key, and the
breakdown of its charge is read only the first time. Open stays, whose duration and fee run
with the clock, are rendered on every call. The JSON of each stay is still ``SessionOut``'s:
one definition of what a session looks like.

A window's stays are kept with the zone's revision (curbside/adapters/records/zone_revisions.py)
they were read at: while it stands, a refresh reads that one number instead of the window
(about 6 ms of CPU for a zone's 380 stays, most of a refresh when every window was read again
each second) and prices the open stays again; once it moved, only the stays of the spaces the
recorder marked since are read, and merged in by start and space.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.orm import Session as DbSession

from api.schemas import FeeOut, SessionOut
from curbside.adapters.records import zone_revisions
from curbside.adapters.records.parking_store import (
    OPEN,
    StayRow,
    charge_breakdowns,
    sessions_overlapping,
)
from curbside.city.registry import City
from curbside.readmodels.parking_sessions import recorded_session

# About two days of a 10,000-space city's stays (30-odd MB): the cache is dropped whole when
# full, so one unusual window cannot make it grow without end.
MAX_KEPT = 50_000
# Windows whose rows are kept: as many as the answers api/rendered.py keeps.
MAX_WINDOWS = 1_000
_SESSION = TypeAdapter(SessionOut)


# A stay of a window: a closed one's JSON, or an open one's row, priced at each answer.
Piece = bytes | StayRow
# A piece with what orders it (start, space): the order the store reads them in.
_Stay = tuple[datetime, str, Piece]


def _by_start_and_space(stay: _Stay) -> tuple[datetime, str]:
    return stay[0], stay[1]


@dataclass(frozen=True, slots=True)
class _Window:
    """A window's stays as read at the zone's ``revision``, in order, and their pieces."""

    revision: int
    stays: list[_Stay]
    pieces: list[Piece]

    @classmethod
    def of(cls, revision: int, stays: list[_Stay]) -> _Window:
        return cls(revision, stays, [stay[2] for stay in stays])


@dataclass(frozen=True, slots=True)
class SessionsAnswer:
    """A window's rendered JSON and the moment it is as of (open stays priced up to then)."""

    body: bytes
    as_of: datetime


class SessionBodies:
    """Renders rows of one city's record store; safe to share between worker threads (a lost
    race only renders a stay twice)."""

    def __init__(self, city: City) -> None:
        self._city = city
        # Keyed by each row as a plain tuple, equal to and hashing as its StayRow: CPython stops
        # tracking a plain tuple of atoms in the garbage collector, never a NamedTuple, and
        # 70,000 tracked rows made each full collection stall the API 70 to 100 ms.
        self._closed: dict[tuple[Any, ...], bytes] = {}
        self._windows: dict[Hashable, _Window] = {}

    def window(
        self, db: DbSession, zone: str, space: str | None, start: datetime, end: datetime
    ) -> list[Piece]:
        """The zone's (or space's) stays overlapping ``[start, end)`` as the record store holds
        them, by start: each closed one rendered, each open one as its row (to price up to
        the moment of each answer). Once read, only the stays of the spaces the recorder
        changed since are read again."""
        # The revision first: a change committed after it shows as a newer revision next
        # time, and is read again then (spaces changed after the kept revision are read now).
        revision = zone_revisions.revision_of(db, zone)
        key = (zone, space, start, end)
        kept = self._windows.get(key)
        if kept is not None and kept.revision == revision:
            return kept.pieces
        if kept is None:
            stays = self._stays(db, sessions_overlapping(db, zone, space, start, end))
        else:
            changed = zone_revisions.spaces_changed_since(db, zone, kept.revision)
            again = sessions_overlapping(db, zone, space, start, end, among=changed)
            stays = sorted(
                [s for s in kept.stays if s[1] not in changed] + self._stays(db, again),
                key=_by_start_and_space,
            )
        if len(self._windows) >= MAX_WINDOWS:
            self._windows = {}
        window = self._windows[key] = _Window.of(revision, stays)
        return window.pieces

    def render(self, pieces: Sequence[Piece], now: datetime) -> bytes:
        """The JSON list of a window's stays with their fees, as of ``now``."""
        parts = [
            piece if isinstance(piece, bytes) else self._render(piece, {}, now) for piece in pieces
        ]
        return b"[" + b",".join(parts) + b"]"

    def _stays(self, db: DbSession, rows: Sequence[StayRow]) -> list[_Stay]:
        kept = self._closed
        unknown = [row.charge_id for row in rows if row.charge_id is not None and row not in kept]
        breakdowns = charge_breakdowns(db, unknown) if unknown else {}
        stays: list[_Stay] = []
        for row in rows:
            if row.status == OPEN:
                stays.append((row.start, row.space, row))
                continue
            part = kept.get(row)
            if part is None:
                # A closed stay's fee runs to its end: the moment of the answer plays no part.
                part = self._render(row, breakdowns, row.end or row.last_confirmed)
                self._keep(row, part)
            stays.append((row.start, row.space, part))
        return stays

    def _render(
        self, row: StayRow, breakdowns: Mapping[int, dict[str, Any]], now: datetime
    ) -> bytes:
        session, fee = recorded_session(self._city, row, breakdowns, now)
        out = SessionOut(
            space=session.space,
            zone=session.zone,
            start=session.start,
            end=session.end,
            last_confirmed=session.last_confirmed,
            duration_s=session.duration_s(now),
            fee=FeeOut.from_fee(fee),
            flags=sorted(session.flags),
        )
        return _SESSION.dump_json(out)

    def _keep(self, row: StayRow, part: bytes) -> None:
        if len(self._closed) >= MAX_KEPT:
            self._closed = {}
        self._closed[tuple(row)] = part
