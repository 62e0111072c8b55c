"""A zone's sessions as the JSON the sessions route answers, each closed stay rendered once.

Rendering about 380 stays per request was most of the sessions route's cost (37–44 ms of CPU,
docs/performance.md). A closed stay shows the same until the recorder changes its row or
replaces its charge, and its :class:`StayRow` holds everything it shows (a charge is never
edited, only replaced under a new id), so its JSON is kept with the row as the key, and the
breakdown of its charge is read only the first time. Open stays, whose duration and fee run
with the clock, are rendered on every call. The JSON of each stay is still ``SessionOut``'s:
one definition of what a session looks like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.orm import Session as DbSession

from api.schemas import FeeOut, SessionOut
from curbside.adapters.records.parking_store import OPEN, StayRow, charge_breakdowns
from curbside.city.registry import City
from curbside.readmodels.parking_sessions import recorded_session

# About two days of a 10,000-space city's stays (30-odd MB): the cache is dropped whole when
# full, so one unusual window cannot make it grow without end.
MAX_KEPT = 50_000
_SESSION = TypeAdapter(SessionOut)


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
        self._closed: dict[StayRow, bytes] = {}

    def render(self, db: DbSession, rows: Sequence[StayRow], now: datetime) -> bytes:
        """The JSON list of ``rows`` with their fees, as of ``now``."""
        kept = self._closed
        unknown = [row.charge_id for row in rows if row.charge_id is not None and row not in kept]
        breakdowns = charge_breakdowns(db, unknown) if unknown else {}
        parts = []
        for row in rows:
            part = kept.get(row)
            if part is None:
                part = self._render(row, breakdowns, now)
                if row.status != OPEN:
                    self._keep(row, part)
            parts.append(part)
        return b"[" + b",".join(parts) + b"]"

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
        self._closed[row] = part
