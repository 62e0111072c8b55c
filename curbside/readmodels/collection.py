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


def _balances(
    session_ids: Collection[int] | None,
    zones: Collection[str] | None,
    billed_from: date | None,
    billed_until: date | None,
) -> Subquery:
    """session_id, zone, billed_on, billed_fen, paid_fen, refunded_fen of billed stays."""
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
    return (
        select(
            stays.c.session_id,
            stays.c.zone,
            stays.c.billed_on,
            stays.c.billed_fen,
            func.coalesce(money.c.paid, 0).label("paid_fen"),
            func.coalesce(money.c.refunded, 0).label("refunded_fen"),
        )
        .outerjoin(money, money.c.session_id == stays.c.session_id)
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
    b = _balances(session_ids, zones, billed_from, billed_until)
    plates = current_bindings()
    rows = db.execute(
        select(
            b.c.session_id,
            b.c.zone,
            b.c.billed_on,
            b.c.billed_fen,
            b.c.paid_fen,
            b.c.refunded_fen,
            plates.c.plate,
            plates.c.colour,
        )
        .outerjoin(plates, plates.c.session_id == b.c.session_id)
        .order_by(b.c.session_id)
    )
    return [
        StayBalance(sid, zone, day, Account(int(fen), int(paid), int(refunded)), plate, colour)
        for sid, zone, day, fen, paid, refunded, plate, colour in rows
    ]


def outstanding_by_day(
    db: Session, zones: Collection[str], first: date, last: date
) -> dict[tuple[str, date], int]:
    """What the stays billed on each day still owe, by (zone, billing day), summed in the
    database: the sum of each stay's ``Account.owed_fen`` (billed − paid + refunded, or 0 when
    negative), which tests/records/test_collection_reports.py holds the two to."""
    b = _balances(None, zones, first, last)
    balance = b.c.billed_fen - b.c.paid_fen + b.c.refunded_fen
    owed = func.sum(case((balance > 0, balance), else_=0))
    rows = db.execute(select(b.c.zone, b.c.billed_on, owed).group_by(b.c.zone, b.c.billed_on))
    return {(zone, day): int(fen or 0) for zone, day, fen in rows}


def money_by_day(
    db: Session, zones: Collection[str], first: date, last: date
) -> dict[tuple[str, date], tuple[int, int]]:
    """(collected, refunded) fen by (zone, the local day the money moved)."""
    is_payment = Payment.kind == Movement.PAYMENT.value
    rows = db.execute(
        select(
            Payment.zone,
            Payment.business_day,
            func.sum(case((is_payment, Payment.amount_fen), else_=0)),
            func.sum(case((is_payment, 0), else_=Payment.amount_fen)),
        )
        .where(
            Payment.zone.in_(list(zones)),
            Payment.business_day >= first,
            Payment.business_day <= last,
        )
        .group_by(Payment.zone, Payment.business_day)
    )
    return {(zone, day): (int(paid), int(refunded)) for zone, day, paid, refunded in rows}


def sessions_of_plate(db: Session, number: str, colour: str) -> list[int]:
    """The stays whose current plate is exactly this number and colour."""
    plates = current_bindings()
    return list(
        db.scalars(
            select(plates.c.session_id).where(plates.c.plate == number, plates.c.colour == colour)
        )
    )
