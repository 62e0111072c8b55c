"""A zone's parking sessions as the record store holds them, with their fees.

The sessions route used to derive stays from raw reports in InfluxDB on every request (4 s at
p50 under 50 clients, docs/performance.md). The recorder (curbside/recorder) keeps every stay
as a record, judged by the same session rules, and prices each closed stay once; so a closed
stay's fee is its standing charge, and only stays still open are priced here, up to ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as DbSession

from curbside.adapters.records.parking_store import (
    OPEN,
    StayRow,
    charge_breakdowns,
    sessions_overlapping,
)
from curbside.city.registry import City
from curbside.domain.parking.charges import fee_from_breakdown
from curbside.domain.parking.fees import Fee, compute_fee
from curbside.domain.parking.sessions import ONGOING, Session


def zone_sessions(
    db: DbSession,
    city: City,
    *,
    zone: str,
    space: str | None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[tuple[Session, Fee | None]]:
    """The recorded stays of ``zone`` (or of one ``space``) overlapping ``[start, end)``, by
    start, each with its fee (None where the zone has no tariff)."""
    rows = sessions_overlapping(db, zone, space, start, end)
    charged = charge_breakdowns(db, (row.charge_id for row in rows if row.charge_id is not None))
    return [recorded_session(city, row, charged, now) for row in rows]


def recorded_session(
    city: City, row: StayRow, breakdowns: Mapping[int, dict[str, Any]], now: datetime
) -> tuple[Session, Fee | None]:
    """A recorded stay with its fee: its standing charge (whose breakdown ``breakdowns``
    holds), or while it has none the zone's tariff up to its end (or ``now``)."""
    flags = frozenset(row.flags.split(",")) if row.flags else frozenset()
    session = Session(
        zone=row.zone,
        space=row.space,
        start=row.start,
        end=row.end,
        last_confirmed=row.last_confirmed,
        flags=flags | {ONGOING} if row.status == OPEN else flags,
    )
    if row.charge_id is not None:
        return session, fee_from_breakdown(breakdowns[row.charge_id])
    return session, session_fee(city, session, now)


def session_fee(city: City, session: Session, now: datetime) -> Fee | None:
    """The fee of a stay from its start to its end, or to now while ongoing.

    A ``sensor_silent`` session ends at its last confirmation, so only confirmed time is
    billed. None when the registry defines no tariff for the zone.
    """
    try:
        in_force = city.tariff_in_force(session.zone, session.start)
    except KeyError:
        return None
    return compute_fee(
        in_force.tariff, session.start, session.until(now), city.workday_calendar, city.tz
    )
