"""Reading and writing parking records: reports, sessions, charges, occupancy hours.

Every function takes an open SQLAlchemy session and neither commits nor rolls back: the
caller (the recorder) makes one transaction of a batch, so a crash loses all of it or none.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.inserts import insert_ignoring_duplicates
from curbside.adapters.records.models import Charge, ParkingSession, SpaceReport, ZoneOccupancyHour
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


# The recorder asks these for every space of every batch: built once, with bound parameters,
# so SQLAlchemy compiles and caches each statement once instead of per call.
_THIS_SPACE = (
    ParkingSession.zone == bindparam("zone"),
    ParkingSession.space == bindparam("space"),
)
_LAST_SETTLED_END = select(func.max(ParkingSession.end)).where(
    *_THIS_SPACE,
    ParkingSession.status == CLOSED,
    ParkingSession.end <= bindparam("before"),
    ParkingSession.flags.not_like(f"%{SENSOR_SILENT}%"),
)
_REPORTS = (
    select(SpaceReport.ts, SpaceReport.occupied, SpaceReport.seq)
    .where(SpaceReport.zone == bindparam("zone"), SpaceReport.space == bindparam("space"))
    .order_by(SpaceReport.ts)
)
_REPORTS_SINCE = _REPORTS.where(SpaceReport.ts >= bindparam("since"))
_SESSIONS = select(ParkingSession).where(*_THIS_SPACE)
_SESSIONS_SINCE = _SESSIONS.where(ParkingSession.start >= bindparam("since"))


def last_settled_end(db: Session, zone: str, space: str, before: datetime) -> datetime | None:
    """The end of the space's last stay that ended on a vacancy at or before ``before``.

    No later report can change a stay ended by a vacancy long before it, so sessions can be
    derived afresh from that vacancy on (docs/records.md).
    """
    params = {"zone": zone, "space": space, "before": before}
    return db.connection().scalar(_LAST_SETTLED_END, params)


def reports_from(db: Session, zone: str, space: str, since: datetime | None) -> list[Observation]:
    """The space's kept reports at or after ``since`` (all of them for None), in time order."""
    # Plain rows through the connection: the ORM adds nothing to three columns.
    connection = db.connection()
    if since is None:
        rows = connection.execute(_REPORTS, {"zone": zone, "space": space})
    else:
        rows = connection.execute(_REPORTS_SINCE, {"zone": zone, "space": space, "since": since})
    return [Observation(ts, occupied, None if seq == NO_SEQ else seq) for ts, occupied, seq in rows]


def sessions_from(
    db: Session, zone: str, space: str, since: datetime | None
) -> list[ParkingSession]:
    """The space's sessions (void ones too) starting at or after ``since``."""
    if since is None:
        return list(db.scalars(_SESSIONS, {"zone": zone, "space": space}))
    return list(db.scalars(_SESSIONS_SINCE, {"zone": zone, "space": space, "since": since}))


def open_sessions(db: Session) -> list[ParkingSession]:
    """Every session still open: time alone may close them."""
    return list(db.scalars(select(ParkingSession).where(ParkingSession.status == OPEN)))


def active_charge(db: Session, session_id: int) -> Charge | None:
    """The session's charge that no reversal has cancelled, if any."""
    reversed_ids = select(Charge.reverses_id).where(
        Charge.session_id == session_id, Charge.reverses_id.is_not(None)
    )
    return db.scalar(
        select(Charge).where(
            Charge.session_id == session_id, Charge.kind == CHARGE, Charge.id.not_in(reversed_ids)
        )
    )


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
    db: Session, zone: str, seconds: dict[datetime, int], spaces: int, tz: ZoneInfo
) -> None:
    """Add (or with negative values take away) occupied seconds to the zone's hours."""
    if not seconds:
        return
    hours = sorted(seconds)
    existing = {
        row.hour: row
        for row in db.scalars(
            select(ZoneOccupancyHour).where(
                ZoneOccupancyHour.zone == zone,
                and_(ZoneOccupancyHour.hour >= hours[0], ZoneOccupancyHour.hour <= hours[-1]),
            )
        )
    }
    for hour in hours:
        row = existing.get(hour)
        if row is None:
            day = hour.astimezone(tz).date()
            db.add(
                ZoneOccupancyHour(
                    zone=zone, hour=hour, day=day, occupied_s=seconds[hour], spaces=spaces
                )
            )
        else:
            row.occupied_s += seconds[hour]
            row.spaces = spaces


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
    """A recorded stay as the sessions route shows it, with its standing charge's breakdown."""

    zone: str
    space: str
    start: datetime
    end: datetime | None
    last_confirmed: datetime
    flags: str
    status: str
    breakdown: dict[str, Any] | None


def sessions_overlapping(
    db: Session, zone: str, space: str | None, start: datetime, end: datetime
) -> list[StayRow]:
    """The zone's (or one space's) open and closed sessions overlapping ``[start, end)``, by
    start, each with the breakdown of its charge that no reversal cancelled (None while open).

    Plain rows, not ORM objects: building those was half the sessions route's time.
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
    rows = db.execute(wanted.order_by(ParkingSession.start, ParkingSession.space)).all()
    ids = select(wanted.subquery().c.id)
    charges = db.execute(
        select(
            Charge.id, Charge.session_id, Charge.kind, Charge.reverses_id, Charge.breakdown
        ).where(Charge.session_id.in_(ids))
    ).all()
    cancelled = {c.reverses_id for c in charges if c.reverses_id is not None}
    standing = {
        c.session_id: c.breakdown for c in charges if c.kind == CHARGE and c.id not in cancelled
    }
    return [StayRow(*row[1:], standing.get(row.id)) for row in rows]
