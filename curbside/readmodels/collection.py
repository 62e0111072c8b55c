"""What each stay owes, read from the records: the one place that sums charges, payments and
refunds per stay, for the driver's lookup, the arrears, the overdue notices and the reports."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Subquery, case, func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import Charge, Payment, PlateBinding
from curbside.domain.collection.ledger import Account, Movement


@dataclass(frozen=True, slots=True)
class StayBalance:
    """One billed stay: its zone, the day it was billed, its account and its current plate."""

    session_id: int
    zone: str
    billed_on: date
    account: Account
    plate: str | None
    colour: str | None


def current_bindings() -> Subquery:
    """(session_id, plate, colour) of every stay's binding that nothing corrects."""
    corrected = select(PlateBinding.corrects_id).where(PlateBinding.corrects_id.is_not(None))
    return (
        select(PlateBinding.session_id, PlateBinding.plate, PlateBinding.colour)
        .where(PlateBinding.id.not_in(corrected))
        .subquery()
    )


def stay_balances(
    db: Session,
    *,
    session_ids: Collection[int] | None = None,
    zones: Collection[str] | None = None,
    billed_from: date | None = None,
    billed_until: date | None = None,
) -> list[StayBalance]:
    """The accounts of billed stays, filtered by id, zone and billing day (inclusive)."""
    billed = select(
        Charge.session_id,
        Charge.zone,
        func.min(Charge.business_day).label("billed_on"),
        func.sum(Charge.amount_fen).label("billed_fen"),
    ).group_by(Charge.session_id, Charge.zone)
    if session_ids is not None:
        billed = billed.where(Charge.session_id.in_(list(session_ids)))
    if zones is not None:
        billed = billed.where(Charge.zone.in_(list(zones)))
    if billed_from is not None:
        billed = billed.having(func.min(Charge.business_day) >= billed_from)
    if billed_until is not None:
        billed = billed.having(func.min(Charge.business_day) <= billed_until)
    stays = billed.subquery()
    is_payment = Payment.kind == Movement.PAYMENT.value
    money = (
        select(
            Payment.session_id,
            func.sum(case((is_payment, Payment.amount_fen), else_=0)).label("paid"),
            func.sum(case((is_payment, 0), else_=Payment.amount_fen)).label("refunded"),
        )
        .where(Payment.session_id.in_(select(stays.c.session_id)))
        .group_by(Payment.session_id)
        .subquery()
    )
    plates = current_bindings()
    rows = db.execute(
        select(
            stays.c.session_id,
            stays.c.zone,
            stays.c.billed_on,
            stays.c.billed_fen,
            func.coalesce(money.c.paid, 0),
            func.coalesce(money.c.refunded, 0),
            plates.c.plate,
            plates.c.colour,
        )
        .outerjoin(money, money.c.session_id == stays.c.session_id)
        .outerjoin(plates, plates.c.session_id == stays.c.session_id)
        .order_by(stays.c.session_id)
    )
    return [
        StayBalance(sid, zone, day, Account(int(fen), int(paid), int(refunded)), plate, colour)
        for sid, zone, day, fen, paid, refunded, plate, colour in rows
    ]


def sessions_of_plate(db: Session, number: str, colour: str) -> list[int]:
    """The stays whose current plate is exactly this number and colour."""
    plates = current_bindings()
    return list(
        db.scalars(
            select(plates.c.session_id).where(plates.c.plate == number, plates.c.colour == colour)
        )
    )
