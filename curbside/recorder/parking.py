"""Parking sessions and charges recorded as the status reports arrive.

For each space that got reports, the sessions are derived afresh
(curbside/domain/parking/sessions.py) from the kept reports since the last stay that no report
can change any more, and compared with
the recorded ones by identity (space and start): new ones are added, changed ones revised,
vanished ones made void; charges follow (one per closed stay, a reversal and a new charge
when late data changes what it should be), and so do the zone's occupied seconds per hour.
Everything happens in the caller's transaction, in few statements whatever the batch's size:
the new stays of a refresh are inserted in one flush, their charges after it, the standing
charges of its recorded stays are read in one statement and the zones' hours are added up once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from curbside.adapters.records import parking_store as store
from curbside.adapters.records import zone_revisions
from curbside.adapters.records.day_totals import refresh_zone_days
from curbside.adapters.records.models import Charge, ParkingSession
from curbside.city.registry import City
from curbside.domain.parking.charges import PricedStay, adjustment_reason, business_day, price_stay
from curbside.domain.parking.occupancy_hours import seconds_by_hour
from curbside.domain.parking.sessions import ONGOING, Session, SessionRules, derive_sessions


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One admitted status report of a space."""

    zone: str
    space: str
    ts: datetime
    occupied: bool
    seq: int | None


class ParkingRecorder:
    """Keeps the parking records in step with the reports (see the module's docstring)."""

    def __init__(self, city: City, rules: SessionRules) -> None:
        self._city = city
        self._rules = rules
        # A stay that ended on a vacancy this long before a new report cannot be changed by it.
        self._settled = rules.silent_after + rules.debounce
        self._spaces = {z.id: len(z.spaces) for z in city.parking_zones}
        # The (zone, local day) pairs whose day totals the current call changed.
        self._touched: set[tuple[str, date]] = set()
        # Spaces (zone, space) whose stays or charges this refresh changed: their zones'
        # revisions move with them.
        self._changed: set[tuple[str, str]] = set()
        # Each space's newest report seen since start: lets close_due skip the open stays that
        # time cannot close yet (an occupied report, not yet silent). Unknown means refresh.
        self._latest: dict[tuple[str, str], tuple[datetime, bool]] = {}
        # What the current refresh gathers to write at its end: new closed stays awaiting
        # their id for a charge, the standing charge of each recorded stay that has one, and
        # the occupied seconds to add to each (zone, hour).
        self._to_charge: list[tuple[ParkingSession, Session]] = []
        self._standing: dict[int, Charge] = {}
        self._occupied: dict[tuple[str, datetime], int] = {}

    def record_in(
        self, sessions: sessionmaker[DbSession], reports: list[StatusReport], now: datetime
    ) -> None:
        """Record the reports in one transaction of their own."""
        with sessions.begin() as db:
            self.record(db, reports, now)

    def record(self, db: DbSession, reports: Iterable[StatusReport], now: datetime) -> int:
        """Keep the reports and bring the sessions of their spaces up to date; returns how
        many spaces were refreshed."""
        earliest: dict[tuple[str, str], datetime] = {}
        rows = []
        for r in reports:
            rows.append((r.zone, r.space, r.ts, r.occupied, r.seq))
            key = (r.zone, r.space)
            earliest[key] = min(r.ts, earliest.get(key, r.ts))
            if key not in self._latest or r.ts >= self._latest[key][0]:
                self._latest[key] = (r.ts, r.occupied)
        store.add_reports(db, rows)
        self._refresh(db, earliest, now)
        return len(earliest)

    def close_due(self, db: DbSession, now: datetime) -> int:
        """Refresh every space with an open stay: time alone closes stays (a vacancy that
        lasted the debounce, a sensor gone silent). Returns how many spaces."""
        spaces = {
            (s.zone, s.space): s.start
            for s in store.open_sessions(db)
            if self._may_close((s.zone, s.space), now)
        }
        self._refresh(db, spaces, now)
        return len(spaces)

    def _may_close(self, space: tuple[str, str], now: datetime) -> bool:
        # An open stay whose newest report saw the car, within the silence limit, goes on.
        latest = self._latest.get(space)
        if latest is None:
            return True
        ts, occupied = latest
        return not occupied or now - ts > self._rules.silent_after

    def _refresh(
        self, db: DbSession, since: dict[tuple[str, str], datetime], now: datetime
    ) -> None:
        # Each space's sessions from the reports since its earliest changed time; all spaces'
        # histories are read first, in a few statements, then each space is brought up to date.
        bounds = {space: ts - self._settled for space, ts in since.items()}
        self._touched.clear()
        self._changed.clear()
        self._to_charge.clear()
        self._occupied.clear()
        found = store.histories(db, bounds)
        # An open stay has no standing charge (reopening a stay reverses its charge, below):
        # only the others' are looked up.
        self._standing = store.active_charges(
            db, [s.id for h in found.values() for s in h.sessions if s.status != store.OPEN]
        )
        for (zone, space), history in sorted(found.items()):
            derived = derive_sessions(zone, space, history.reports, now, self._rules)
            recorded = {s.start: s for s in history.sessions}
            for session in derived:
                self._apply(db, session, recorded.pop(session.start, None), now)
            for gone in recorded.values():
                if gone.status != store.VOID:
                    self._void(db, gone, now)
        if self._to_charge:
            db.flush()  # the new stays' ids, for their charges: one INSERT for all of them
            for row, session in self._to_charge:
                self._charge(db, row, session, None, now)
        store.add_occupied_seconds(db, self._occupied, self._spaces, self._city.tz)
        refresh_zone_days(db, self._touched)
        zone_revisions.bump(db, self._changed)

    def _apply(
        self, db: DbSession, session: Session, row: ParkingSession | None, now: datetime
    ) -> None:
        status = store.OPEN if session.end is None else store.CLOSED
        flags = ",".join(sorted(session.flags - {ONGOING}))
        end_day = None if session.end is None else business_day(session.end, self._city.tz)
        if row is None:
            row = ParkingSession(
                zone=session.zone,
                space=session.space,
                start=session.start,
                end=session.end,
                last_confirmed=session.last_confirmed,
                flags=flags,
                status=status,
                end_day=end_day,
                duration_s=_duration(session),
                revision=0,
                recorded_at=now,
                revised_at=now,
            )
            db.add(row)
            self._changed.add((row.zone, row.space))
            if session.end is not None:
                self._touch(row.zone, end_day)
                self._to_charge.append((row, session))  # once the flush gave it an id
                self._occupy(row.zone, row.start, session.end, +1)
            return
        unchanged = (row.end, row.last_confirmed, row.flags, row.status) == (
            session.end,
            session.last_confirmed,
            flags,
            status,
        )
        if unchanged:
            return
        self._changed.add((row.zone, row.space))
        self._touch(row.zone, row.end_day)
        if row.status == store.CLOSED and row.end is not None:
            self._occupy(row.zone, row.start, row.end, -1)
        if row.status != store.OPEN:
            # A closed stay revised, or a void one that later data brought back.
            row.revision += 1
        row.end, row.last_confirmed, row.flags, row.status = (
            session.end,
            session.last_confirmed,
            flags,
            status,
        )
        row.end_day = end_day
        self._touch(row.zone, end_day)
        row.duration_s = _duration(session)
        row.revised_at = now
        if status == store.CLOSED and session.end is not None:
            self._occupy(row.zone, row.start, session.end, +1)
        self._settle_charges(db, row, session if status == store.CLOSED else None, now)

    def _void(self, db: DbSession, row: ParkingSession, now: datetime) -> None:
        self._changed.add((row.zone, row.space))
        self._touch(row.zone, row.end_day)
        if row.status == store.CLOSED and row.end is not None:
            self._occupy(row.zone, row.start, row.end, -1)
        row.status = store.VOID
        row.revision += 1
        row.revised_at = now
        self._settle_charges(db, row, None, now)

    def _settle_charges(
        self, db: DbSession, row: ParkingSession, closed: Session | None, now: datetime
    ) -> None:
        # A charge is never edited: reversed, then charged anew, with the reason.
        charged = self._standing.pop(row.id, None)
        priced = self._price(closed) if closed is not None else None
        if charged is None:
            if closed is not None:
                self._charge(db, row, closed, None, now)
            return
        reason = adjustment_reason(
            store.basis_of(charged), None if priced is None else priced.basis
        )
        if reason is None:
            return
        store.reverse_charge(db, charged, reason, now)
        if priced is not None:
            store.add_charge(db, row, priced, reason, now)

    def _charge(
        self,
        db: DbSession,
        row: ParkingSession,
        session: Session,
        reason: str | None,
        now: datetime,
    ) -> None:
        priced = self._price(session)
        if priced is not None:
            store.add_charge(db, row, priced, reason, now)

    def _price(self, session: Session) -> PricedStay | None:
        try:
            in_force = self._city.tariff_in_force(session.zone, session.start)
        except KeyError:
            return None  # a zone without a tariff charges nothing
        return price_stay(session, in_force, self._city.workday_calendar, self._city.tz)

    def _touch(self, zone: str, day: date | None) -> None:
        if day is not None:
            self._touched.add((zone, day))

    def _occupy(self, zone: str, start: datetime, end: datetime, sign: int) -> None:
        # Gathered, and added to the zones' hours at the end of the refresh.
        for hour, seconds in seconds_by_hour(start, end).items():
            self._touch(zone, hour.astimezone(self._city.tz).date())
            self._occupied[zone, hour] = self._occupied.get((zone, hour), 0) + sign * seconds

    def prune(self, db: DbSession, now: datetime, keep_for: timedelta) -> int:
        """Forget reports too old for any late report to matter, but never those of a stay
        still open (its start must stay derivable)."""
        before = now - keep_for - self._settled
        before = min([before, *(s.start for s in store.open_sessions(db))])
        return store.prune_reports(db, before)


def _duration(session: Session) -> int | None:
    # Stored so that reports take the mean stay in SQL.
    return None if session.end is None else session.duration_s(session.end)
