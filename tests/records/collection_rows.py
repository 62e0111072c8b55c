"""Closed stays with their charges written straight into a record store, for the fee
collection tests (the recorder's own tests prove how stays and charges come to be)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from curbside.adapters.records.models import Charge, ParkingSession

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def add_stay(
    db: Session, place: tuple[str, str], start: datetime, minutes: int, fen: int
) -> tuple[ParkingSession, Charge]:
    """A closed stay on ``place`` (zone, space) of ``minutes`` from ``start``, charged ``fen``."""
    zone, space = place
    end = start + timedelta(minutes=minutes)
    stay = ParkingSession(
        zone=zone,
        space=space,
        start=start,
        end=end,
        last_confirmed=end,
        flags="",
        status="closed",
        end_day=end.date(),
        duration_s=minutes * 60,
        revision=0,
        recorded_at=end,
        revised_at=end,
    )
    db.add(stay)
    db.flush()
    charge = Charge(
        session_id=stay.id,
        zone=zone,
        kind="charge",
        amount_fen=fen,
        tariff_id="t",
        tariff_version=None,
        priced_from=start,
        priced_until=end,
        breakdown={"items": [], "total_fen": fen},
        reason=None,
        reverses_id=None,
        business_day=end.date(),
        recorded_at=end,
    )
    db.add(charge)
    db.flush()
    return stay, charge
