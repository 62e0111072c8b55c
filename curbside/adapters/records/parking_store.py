"""Reading and writing parking records: reports, sessions, charges, occupancy hours.

Every function takes an open SQLAlchemy session and neither commits nor rolls back: the
caller (the recorder) makes one transaction of a batch, so a crash loses all of it or none.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import CTE, and_, bindparam, column, delete, func, literal, select, values
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from curbside.adapters.records.columns import UtcDateTime
from curbside.adapters.records.inserts import insert_ignoring_duplicates
from curbside.adapters.records.models import (
    Charge,
    Id,
    ParkingSession,
    SpaceReport,
    ZoneOccupancyHour,
)
from curbside.domain.parking.charges import ChargeBasis, PricedStay, breakdown
from curbside.domain.parking.sessions import SENSOR_SILENT, Observation

NO_SEQ = -1
CHARGE = "charge"
REVERSAL = "reversal"
OPEN = "open"
CLOSED = "closed"
VOID = "void"


def add_reports(
    db: Session, reports: Iterable[tuple[str, str, datetime, bool, int | None]]
) -> None:
    """Keep status reports (zone, space, ts, occupied, seq); duplicates are ignored."""
    rows = [
        {"zone": z, "space": s, "ts": ts, "occupied": occ, "seq": NO_SEQ if seq is None else seq}
        for z, s, ts, occ, seq in reports
    ]
    insert_ignoring_duplicates(db, SpaceReport, rows)


def latest_report_time(db: Session) -> datetime | None:
    """The newest kept report's time (the recorder's clock after a restart)."""
    return db.scalar(select(func.max(SpaceReport.ts)))


class SpaceHistory(NamedTuple):
    """A space's kept reports (in time order) and recorded sessions (void ones too) from its
    last settled stay's end on."""

    reports: list[Observation]
    sessions: list[ParkingSession]


# Spaces (or ids) per statement: at most three bound parameters each, well under SQLite's
# limit of 32,766 and every other database's.
_PER_STATEMENT = 1000
# A space with no settled stay is derived from its first kept report on.
_EVER = datetime(1, 1, 1, tzinfo=UTC)


def histories(
    db: Session, bounds: dict[tuple[str, str], datetime]
) -> dict[tuple[str, str], SpaceHistory]:
    """Each space's history since the end of its last stay that ended on a vacancy at or
    before the space's bound.

    No later report can change a stay ended by a vacancy long before it, so sessions can be
    derived afresh from that vacancy on (docs/records.md). Read a thousand spaces a statement,
    not three statements a space: on PostgreSQL each statement is a round trip.
    """
    found = {space: SpaceHistory([], []) for space in bounds}
    wanted = sorted(bounds.items())
    postgresql = db.get_bind().dialect.name == "postgresql"
    for first in range(0, len(wanted), _PER_STATEMENT):
        cuts = _cuts(
            [(z, s, b) for (z, s), b in wanted[first : first + _PER_STATEMENT]], postgresql
        )
        reports = (
            select(
                SpaceReport.zone,
                SpaceReport.space,
                SpaceReport.ts,
                SpaceReport.occupied,
                SpaceReport.seq,
            )
            .join(cuts, and_(cuts.c.zone == SpaceReport.zone, cuts.c.space == SpaceReport.space))
            .where(SpaceReport.ts >= cuts.c.cut)
            .order_by(SpaceReport.zone, SpaceReport.space, SpaceReport.ts)
        )
        # Plain rows: the ORM adds nothing to the columns of a report.
        for zone, space, ts, occupied, seq in db.connection().execute(reports):
            observation = Observation(ts, occupied, None if seq == NO_SEQ else seq)
            found[zone, space].reports.append(observation)
        sessions = (
            select(ParkingSession)
            .join(
                cuts, and_(cuts.c.zone == ParkingSession.zone, cuts.c.space == ParkingSession.space)
            )
            .where(ParkingSession.start >= cuts.c.cut)
            .order_by(ParkingSession.id)
        )
        for row in db.scalars(sessions):
            found[row.zone, row.space].sessions.append(row)
    return found


def _cuts(bounds: list[tuple[str, str, datetime]], postgresql: bool) -> CTE:
    # (zone, space, cut): where each space's history starts, from its (zone, space, bound).
    wanted = _wanted_arrays(bounds) if postgresql else _wanted_values(bounds)
    settled_end = (
        select(func.max(ParkingSession.end))
        .where(
            ParkingSession.zone == wanted.c.zone,
            ParkingSession.space == wanted.c.space,
            ParkingSession.status == CLOSED,
            ParkingSession.end <= wanted.c.bound,
            ParkingSession.flags.not_like(f"%{SENSOR_SILENT}%"),
        )
        .scalar_subquery()
    )
    cut = func.coalesce(settled_end, literal(_EVER, UtcDateTime)).label("cut")
    return select(wanted.c.zone, wanted.c.space, cut).cte("cuts")


def _wanted_values(bounds: list[tuple[str, str, datetime]]) -> CTE:
    return (
        values(column("zone", Id), column("space", Id), column("bound", UtcDateTime), name="wanted")
        .data(bounds)
        .cte()
    )


def _wanted_arrays(bounds: list[tuple[str, str, datetime]]) -> CTE:
    # PostgreSQL takes the spaces as three array parameters: the statement's text is the same
    # for any number of spaces, so it is compiled and parsed once, not once a batch with three
    # parameters a space (that was a fifth of the recorder's time).
    zones, spaces, times = zip(*bounds, strict=True)
    unnested = (
        func.unnest(
            bindparam("zones", list(zones), type_=ARRAY(Id)),
            bindparam("spaces", list(spaces), type_=ARRAY(Id)),
            bindparam("bounds", list(times), type_=ARRAY(UtcDateTime())),
        )
        .table_valued(column("zone", Id), column("space", Id), column("bound", UtcDateTime))
        .render_derived(name="unnested")
    )
    return select(unnested.c.zone, unnested.c.space, unnested.c.bound).cte("wanted")


def open_sessions(db: Session) -> list[ParkingSession]:
    """Every session still open: time alone may close them."""
    return list(db.scalars(select(ParkingSession).where(ParkingSession.status == OPEN)))


def active_charge(db: Session, session_id: int) -> Charge | None:
    """The session's charge that no reversal has cancelled, if any."""
    return active_charges(db, [session_id]).get(session_id)


def active_charges(db: Session, session_ids: Iterable[int]) -> dict[int, Charge]:
    """Each session's charge that no reversal has cancelled, by session id (sessions without
    one left out); a thousand sessions a statement."""
    found: dict[int, Charge] = {}
    wanted = sorted(set(session_ids))
    for first in range(0, len(wanted), _PER_STATEMENT):
        ids = wanted[first : first + _PER_STATEMENT]
        reversed_ids = select(Charge.reverses_id).where(
            Charge.session_id.in_(ids), Charge.reverses_id.is_not(None)
        )
        for charge in db.scalars(
            select(Charge).where(
                Charge.session_id.in_(ids), Charge.kind == CHARGE, Charge.id.not_in(reversed_ids)
            )
        ):
            found[charge.session_id] = charge
    return found


def basis_of(charge: Charge) -> ChargeBasis:
    """What a recorded charge was computed from."""
    return ChargeBasis(
        charge.priced_from, charge.priced_until, charge.tariff_version, charge.amount_fen
    )


def add_charge(
    db: Session, stay: ParkingSession, priced: PricedStay, reason: str | None, now: datetime
) -> Charge:
    """Record the charge of a closed stay (``reason`` set when it replaces a reversed one)."""
    charge = Charge(
        session_id=stay.id,
        zone=stay.zone,
        kind=CHARGE,
        amount_fen=priced.basis.amount_fen,
        tariff_id=priced.tariff_id,
        tariff_version=priced.basis.tariff_version,
        priced_from=priced.basis.priced_from,
        priced_until=priced.basis.priced_until,
        breakdown=breakdown(priced.fee),
        reason=reason,
        reverses_id=None,
        business_day=priced.business_day,
        recorded_at=now,
    )
    db.add(charge)
    return charge


def reverse_charge(db: Session, charge: Charge, reason: str, now: datetime) -> Charge:
    """Cancel a charge by a reversal of the same amount, on the same business day."""
    reversal = Charge(
        session_id=charge.session_id,
        zone=charge.zone,
        kind=REVERSAL,
        amount_fen=-charge.amount_fen,
        tariff_id=charge.tariff_id,
        tariff_version=charge.tariff_version,
        priced_from=charge.priced_from,
        priced_until=charge.priced_until,
        breakdown={"reverses": charge.id},
        reason=reason,
        reverses_id=charge.id,
        business_day=charge.business_day,
        recorded_at=now,
    )
    db.add(reversal)
    return reversal


def add_occupied_seconds(
    db: Session, seconds: dict[tuple[str, datetime], int], spaces: dict[str, int], tz: ZoneInfo
) -> None:
    """Add (or with negative values take away) occupied seconds to zones' hours, keyed by
    (zone, hour); ``spaces`` is each zone's number of spaces. The hours already there are
    read in one statement a thousand zones."""
    if not seconds:
        return
    hours = sorted({hour for _, hour in seconds})
    zones = sorted({zone for zone, _ in seconds})
    existing: dict[tuple[str, datetime], ZoneOccupancyHour] = {}
    for first in range(0, len(zones), _PER_STATEMENT):
        for kept in db.scalars(
            select(ZoneOccupancyHour).where(
                ZoneOccupancyHour.zone.in_(zones[first : first + _PER_STATEMENT]),
                and_(ZoneOccupancyHour.hour >= hours[0], ZoneOccupancyHour.hour <= hours[-1]),
            )
        ):
            existing[kept.zone, kept.hour] = kept
    for (zone, hour), added in sorted(seconds.items()):
        row = existing.get((zone, hour))
        if row is None:
            day = hour.astimezone(tz).date()
            db.add(
                ZoneOccupancyHour(
                    zone=zone, hour=hour, day=day, occupied_s=added, spaces=spaces.get(zone, 0)
                )
            )
        else:
            row.occupied_s += added
            row.spaces = spaces.get(zone, 0)


def prune_reports(db: Session, before: datetime) -> int:
    """Forget reports older than ``before``; returns how many."""
    result = db.execute(delete(SpaceReport).where(SpaceReport.ts < before))
    return int(getattr(result, "rowcount", 0) or 0)


def sessions_ended_on(db: Session, first: date, last: date) -> list[ParkingSession]:
    """Closed sessions whose end falls on the local days ``first..last``."""
    return list(
        db.scalars(
            select(ParkingSession).where(
                ParkingSession.status == CLOSED,
                ParkingSession.end_day >= first,
                ParkingSession.end_day <= last,
            )
        )
    )


class StayRow(NamedTuple):
    """A recorded stay as the sessions route shows it, with the id of its standing charge.

    Every field the route shows is here, and a charge is never edited (a new one replaces
    it), so two equal rows always show the same: the sessions route keys what it rendered
    on the row itself.
    """

    id: int
    zone: str
    space: str
    start: datetime
    end: datetime | None
    last_confirmed: datetime
    flags: str
    status: str
    charge_id: int | None


def sessions_overlapping(
    db: Session,
    zone: str,
    space: str | None,
    start: datetime,
    end: datetime,
    *,
    among: Collection[str] | None = None,
) -> list[StayRow]:
    """The zone's (or one space's) open and closed sessions overlapping ``[start, end)``, by
    start and space, each with the id of its charge that no reversal cancelled (None while
    open); with ``among``, only those of these spaces.

    Plain rows, not ORM objects: building those was half the sessions route's time; and no
    breakdowns (:func:`charge_breakdowns`), whose JSON was another third of it.
    """
    wanted = select(
        ParkingSession.id,
        ParkingSession.zone,
        ParkingSession.space,
        ParkingSession.start,
        ParkingSession.end,
        ParkingSession.last_confirmed,
        ParkingSession.flags,
        ParkingSession.status,
    ).where(
        ParkingSession.zone == zone,
        ParkingSession.status != VOID,
        ParkingSession.start < end,
        (ParkingSession.end.is_(None)) | (ParkingSession.end > start),
    )
    if space is not None:
        wanted = wanted.where(ParkingSession.space == space)
    if among is not None:
        wanted = wanted.where(ParkingSession.space.in_(sorted(among)))
    rows = db.execute(wanted.order_by(ParkingSession.start, ParkingSession.space)).all()
    ids = select(wanted.subquery().c.id)
    charges = db.execute(
        select(Charge.id, Charge.session_id, Charge.kind, Charge.reverses_id).where(
            Charge.session_id.in_(ids)
        )
    ).all()
    cancelled = {c.reverses_id for c in charges if c.reverses_id is not None}
    standing = {c.session_id: c.id for c in charges if c.kind == CHARGE and c.id not in cancelled}
    return [StayRow(*row, standing.get(row.id)) for row in rows]


def charge_breakdowns(db: Session, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The stored breakdown of each charge, by id."""
    wanted = sorted(set(ids))
    found: dict[int, dict[str, Any]] = {}
    for offset in range(0, len(wanted), _PER_STATEMENT):
        chunk = wanted[offset : offset + _PER_STATEMENT]
        rows = db.execute(select(Charge.id, Charge.breakdown).where(Charge.id.in_(chunk)))
        found.update({row.id: row.breakdown for row in rows})
    return found
