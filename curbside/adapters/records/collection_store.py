"""Reading and writing fee-collection records: plate bindings, payments, refusals.

Like the other stores, every function takes an open session and neither commits nor rolls
back. The judging is the domain's (curbside.domain.collection); this module only finds the
facts it needs and writes what it decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from curbside.adapters.records.models import (
    Charge,
    ParkingSession,
    Payment,
    PlateBinding,
    RefusedNotification,
)
from curbside.adapters.records.parking_store import VOID
from curbside.domain.collection.binding import Binding, BindingRefused, Bound, judge_binding
from curbside.domain.collection.ledger import Account, Movement
from curbside.domain.collection.notifications import (
    NotificationRefused,
    Refusal,
    Seen,
    admit,
)
from curbside.domain.collection.plates import Plate


@dataclass(frozen=True, slots=True)
class PlateEvent:
    """A plate seen on a space at a time, by whom and through what."""

    zone: str
    space: str
    observed_at: datetime
    plate: Plate
    source: str
    actor: str
    corrects: int | None = None
    reason: str | None = None


def covering_stay(db: Session, zone: str, space: str, at: datetime) -> ParkingSession | None:
    """The stay on the space at ``at`` (open or closed), if any."""
    return db.scalar(
        select(ParkingSession)
        .where(
            ParkingSession.zone == zone,
            ParkingSession.space == space,
            ParkingSession.status != VOID,
            ParkingSession.start <= at,
            (ParkingSession.end.is_(None)) | (ParkingSession.end >= at),
        )
        .order_by(ParkingSession.start.desc())
        .limit(1)
    )


def current_binding(db: Session, session_id: int) -> PlateBinding | None:
    """The stay's binding that no other corrects."""
    return db.scalar(
        select(PlateBinding).where(
            PlateBinding.session_id == session_id,
            PlateBinding.id.not_in(
                select(PlateBinding.corrects_id).where(
                    PlateBinding.session_id == session_id, PlateBinding.corrects_id.is_not(None)
                )
            ),
        )
    )


def bind_plate(db: Session, event: PlateEvent, now: datetime) -> tuple[Binding, PlateBinding]:
    """Bind the plate to the stay covering its time: BindingRefused says why not."""
    stay = covering_stay(db, event.zone, event.space, event.observed_at)
    if stay is None:
        raise BindingRefused("no_stay", "no stay on that space covers that time")
    # Serialise bindings of one stay (PostgreSQL; SQLite has one writer anyway).
    db.execute(select(ParkingSession.id).where(ParkingSession.id == stay.id).with_for_update())
    current = current_binding(db, stay.id)
    bound = None if current is None else Bound(current.id, current.plate, current.colour)
    decision = judge_binding(bound, event.plate, event.corrects, event.reason)
    if decision is Binding.SAME:
        assert current is not None
        return decision, current
    row = PlateBinding(
        session_id=stay.id,
        zone=event.zone,
        space=event.space,
        observed_at=event.observed_at,
        plate=event.plate.number,
        colour=event.plate.colour.value,
        source=event.source,
        actor=event.actor,
        reason=event.reason.strip() if event.reason else None,
        corrects_id=current.id if decision is Binding.CORRECTION and current else None,
        recorded_at=now,
    )
    db.add(row)
    db.flush()
    return decision, row


def stay_account(db: Session, session_id: int) -> Account:
    """The stay's account from its charges, payments and refunds."""
    billed = db.scalar(
        select(func.coalesce(func.sum(Charge.amount_fen), 0)).where(Charge.session_id == session_id)
    )
    paid, refunded = db.execute(
        select(
            func.coalesce(
                func.sum(case((Payment.kind == Movement.PAYMENT.value, Payment.amount_fen))), 0
            ),
            func.coalesce(
                func.sum(case((Payment.kind == Movement.REFUND.value, Payment.amount_fen))), 0
            ),
        ).where(Payment.session_id == session_id)
    ).one()
    return Account(int(billed or 0), int(paid), int(refunded))


@dataclass(frozen=True, slots=True)
class MoneyMovement:
    """A verified notification's content."""

    channel: str
    txn_id: str
    movement: Movement
    charge_id: int
    amount_fen: int
    occurred_at: datetime


def record_movement(
    db: Session, move: MoneyMovement, digest: str, now: datetime, tz: ZoneInfo
) -> tuple[Seen, Account]:
    """Record a verified payment or refund once; NotificationRefused says why not.

    Returns whether it was new or a duplicate, and the stay's account after it.
    """
    charge = db.get(Charge, move.charge_id)
    if charge is None:
        raise NotificationRefused(Refusal.UNKNOWN_CHARGE, f"no charge {move.charge_id}")
    db.execute(
        select(ParkingSession.id).where(ParkingSession.id == charge.session_id).with_for_update()
    )
    existing = db.scalar(
        select(Payment).where(Payment.channel == move.channel, Payment.txn_id == move.txn_id)
    )
    recorded = (
        None
        if existing is None
        else (existing.digest, (existing.kind, existing.amount_fen, existing.charge_id))
    )
    account = stay_account(db, charge.session_id)
    seen, after = admit(
        account,
        recorded,
        digest,
        verified_before=verified_before(db, digest),
        movement=move.movement,
        amount_fen=move.amount_fen,
        charge_id=move.charge_id,
    )
    if seen is Seen.NEW:
        db.add(
            Payment(
                channel=move.channel,
                txn_id=move.txn_id,
                kind=move.movement.value,
                charge_id=charge.id,
                session_id=charge.session_id,
                zone=charge.zone,
                amount_fen=move.amount_fen,
                occurred_at=move.occurred_at,
                business_day=move.occurred_at.astimezone(tz).date(),
                digest=digest,
                recorded_at=now,
            )
        )
        db.flush()
    return seen, after


def verified_before(db: Session, digest: str) -> bool:
    """Whether a correctly signed notification with this digest came before."""
    if db.scalar(select(Payment.id).where(Payment.digest == digest).limit(1)) is not None:
        return True
    refused = select(RefusedNotification.id).where(RefusedNotification.digest == digest).limit(1)
    return db.scalar(refused) is not None


def record_refusal(
    db: Session,
    refusal: NotificationRefused,
    now: datetime,
    *,
    channel: str | None = None,
    txn_id: str | None = None,
    digest: str | None = None,
) -> None:
    """Keep a refused notification; ``digest`` only when its signature was correct."""
    db.add(
        RefusedNotification(
            received_at=now,
            channel=channel[:64] if channel else None,
            txn_id=txn_id[:64] if txn_id else None,
            reason=refusal.reason.value,
            detail=str(refusal)[:300],
            digest=digest,
        )
    )


ANONYMISED = "-"


def anonymise_plates(db: Session, session_ids: list[int]) -> int:
    """Replace the plates bound to these stays by ``ANONYMISED`` (the retention rule decides
    which: docs/security.md); returns how many bindings were changed. The one edit of a
    record this store makes: the law on personal information outranks "never edit"."""
    if not session_ids:
        return 0
    result = db.execute(
        update(PlateBinding)
        .where(PlateBinding.session_id.in_(session_ids), PlateBinding.plate != ANONYMISED)
        .values(plate=ANONYMISED)
    )
    return int(getattr(result, "rowcount", 0) or 0)
