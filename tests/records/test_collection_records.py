"""Plate bindings and payments in the record store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.collection_store import (
    MoneyMovement,
    PlateEvent,
    bind_plate,
    current_binding,
    record_movement,
    record_refusal,
    stay_account,
)
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import Payment, PlateBinding, RefusedNotification
from curbside.domain.collection.binding import Binding, BindingRefused
from curbside.domain.collection.ledger import Movement
from curbside.domain.collection.notifications import NotificationRefused, Refusal, Seen, digest
from curbside.domain.collection.plates import parse_plate
from tests.records.collection_rows import T0, add_stay

NOW = T0 + timedelta(hours=3)
TZ = ZoneInfo("UTC")
PLATE = parse_plate("粤B12345", "blue")
OTHER = parse_plate("粤B12845", "blue")


@pytest.fixture
def db(engine: Engine) -> Session:
    upgrade(engine)
    return Session(engine, expire_on_commit=False)


def event(at: datetime, **changes: object) -> PlateEvent:
    base: dict[str, object] = {
        "zone": "Z1",
        "space": "S1",
        "observed_at": at,
        "plate": PLATE,
        "source": "pda",
        "actor": "pda-07",
    }
    return PlateEvent(**{**base, **changes})  # type: ignore[arg-type]


def test_a_plate_binds_to_the_stay_covering_its_time_and_a_correction_keeps_who_and_why(
    db: Session,
) -> None:
    with db.begin():
        first, _ = add_stay(db, ("Z1", "S1"), T0, 60, 500)
        second, _ = add_stay(db, ("Z1", "S1"), T0 + timedelta(hours=2), 30, 300)
    with db.begin():
        decision, row = bind_plate(db, event(T0 + timedelta(hours=2, minutes=10)), NOW)
    assert decision is Binding.NEW and row.session_id == second.id
    with db.begin():
        again, same = bind_plate(db, event(T0 + timedelta(hours=2, minutes=20)), NOW)
    assert again is Binding.SAME and same.id == row.id
    with db.begin(), pytest.raises(BindingRefused) as refused:
        bind_plate(db, event(T0 + timedelta(hours=2, minutes=20), plate=OTHER), NOW)
    assert refused.value.reason == "already_bound"
    correction = event(
        T0 + timedelta(hours=2, minutes=20),
        plate=OTHER,
        actor="operator-li",
        source="api",
        corrects=row.id,
        reason="PDA read 8 as 3",
    )
    with db.begin():
        decision, fixed = bind_plate(db, correction, NOW)
    assert decision is Binding.CORRECTION
    with db.begin():
        now_bound = current_binding(db, second.id)
        assert now_bound is not None and now_bound.id == fixed.id
        assert (now_bound.plate, now_bound.actor, now_bound.reason) == (
            "粤B12845",
            "operator-li",
            "PDA read 8 as 3",
        )
        # the wrong binding is still there: corrections add, never edit
        assert db.scalar(select(func.count()).select_from(PlateBinding)) == 2
        assert current_binding(db, first.id) is None


def test_a_plate_where_no_stay_was_is_refused(db: Session) -> None:
    with db.begin():
        add_stay(db, ("Z1", "S1"), T0, 60, 500)
    for at, space in [
        (T0 - timedelta(minutes=1), "S1"),
        (T0 + timedelta(minutes=61), "S1"),
        (T0, "S2"),
    ]:
        with db.begin(), pytest.raises(BindingRefused) as refused:
            bind_plate(db, event(at, space=space), NOW)
        assert refused.value.reason == "no_stay"


def pay(
    db: Session,
    charge_id: int,
    fen: int,
    txn: str,
    *,
    kind: Movement = Movement.PAYMENT,
    ts: int = 0,
) -> tuple[Seen, int]:
    move = MoneyMovement("wechat", txn, kind, charge_id, fen, NOW)
    body = f"{txn}/{kind}/{charge_id}/{fen}".encode()
    with db.begin():
        seen, account = record_movement(db, move, digest(ts, body), NOW, TZ)
    return seen, account.owed_fen


def test_partial_payments_and_refunds_adjust_what_is_owed(db: Session) -> None:
    with db.begin():
        stay, charge = add_stay(db, ("Z1", "S1"), T0, 60, 500)
    assert pay(db, charge.id, 200, "T1") == (Seen.NEW, 300)
    assert pay(db, charge.id, 300, "T2") == (Seen.NEW, 0)
    assert pay(db, charge.id, 120, "R1", kind=Movement.REFUND) == (Seen.NEW, 120)
    with db.begin():
        account = stay_account(db, stay.id)
    assert (account.billed_fen, account.paid_fen, account.refunded_fen) == (500, 500, 120)


def refusal_of(db: Session, charge_id: int, fen: int, txn: str, **kw: object) -> Refusal:
    with pytest.raises(NotificationRefused) as refused:
        pay(db, charge_id, fen, txn, **kw)  # type: ignore[arg-type]
    db.rollback()
    return refused.value.reason


def test_over_payment_unknown_charge_and_over_refund_are_refused_and_change_nothing(
    db: Session,
) -> None:
    with db.begin():
        stay, charge = add_stay(db, ("Z1", "S1"), T0, 60, 500)
    stay_id, charge_id = stay.id, charge.id  # a rollback expires the objects
    assert refusal_of(db, charge_id, 501, "T1") is Refusal.OVER_PAYMENT
    assert refusal_of(db, charge_id + 1000, 100, "T2") is Refusal.UNKNOWN_CHARGE
    assert refusal_of(db, charge_id, 1, "R1", kind=Movement.REFUND) is Refusal.OVER_REFUND
    with db.begin():
        assert stay_account(db, stay_id).owed_fen == 500
        assert db.scalar(select(func.count()).select_from(Payment)) == 0


def test_a_transaction_id_moves_money_once(db: Session) -> None:
    with db.begin():
        stay, charge = add_stay(db, ("Z1", "S1"), T0, 60, 500)
    stay_id, charge_id = stay.id, charge.id
    assert pay(db, charge_id, 200, "T1", ts=1) == (Seen.NEW, 300)
    # the channel re-sends the same payment, freshly signed: accepted, nothing moves
    assert pay(db, charge_id, 200, "T1", ts=2) == (Seen.DUPLICATE, 300)
    # the exact notification again: a replay
    assert refusal_of(db, charge_id, 200, "T1", ts=1) is Refusal.REPLAYED
    # the id used for another amount
    assert refusal_of(db, charge_id, 250, "T1", ts=3) is Refusal.CONFLICTING
    with db.begin():
        assert stay_account(db, stay_id).paid_fen == 200
        assert db.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_refused_notification_replayed_later_is_still_refused(db: Session) -> None:
    with db.begin():
        _, charge = add_stay(db, ("Z1", "S1"), T0, 60, 500)
    charge_id = charge.id
    pay(db, charge_id, 500, "T1")
    over = MoneyMovement("wechat", "T2", Movement.PAYMENT, charge_id, 100, NOW)
    d = digest(7, b"T2")
    with db.begin(), pytest.raises(NotificationRefused) as refused:
        record_movement(db, over, d, NOW, TZ)
    db.rollback()
    with db.begin():
        record_refusal(db, refused.value, NOW, channel="wechat", txn_id="T2", digest=d)
    pay(db, charge_id, 100, "R1", kind=Movement.REFUND)  # now 100 fen would be owed
    with db.begin(), pytest.raises(NotificationRefused) as again:
        record_movement(db, over, d, NOW, TZ)
    assert again.value.reason is Refusal.REPLAYED
    db.rollback()
    with db.begin():
        reasons = list(db.scalars(select(RefusedNotification.reason)))
    assert reasons == ["over_payment"]
