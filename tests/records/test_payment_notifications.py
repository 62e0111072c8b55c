"""Security and bookkeeping of the payment-notification endpoint, on SQLite and PostgreSQL:
every refusal is answered with its reason, recorded and counted, and moves no money."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from curbside.adapters.records.collection_store import stay_account
from curbside.adapters.records.models import Payment, RefusedNotification
from tests.records.collection_api import Api, collection_api, new_db
from tests.records.collection_rows import T0, add_stay

pytestmark = pytest.mark.records


@pytest.fixture
def api(engine: Engine, tmp_path: Path) -> Api:
    return collection_api(engine, tmp_path)


def a_stay(api: Api, fen: int = 500) -> tuple[int, int]:
    with new_db(api.engine) as db, db.begin():
        stay, charge = add_stay(db, ("Z1", "S1"), T0, 60, fen)
        return stay.id, charge.id


def payment(charge_id: int, fen: int, txn: str = "T1", kind: str = "payment") -> dict[str, object]:
    return {
        "txn_id": txn,
        "type": kind,
        "charge_id": charge_id,
        "amount_fen": fen,
        "occurred_at": datetime.now(UTC).isoformat(),
    }


def books(api: Api, stay_id: int) -> tuple[int, int, list[str]]:
    """(paid, payments recorded, refusal reasons recorded)."""
    with new_db(api.engine) as db:
        paid = stay_account(db, stay_id).paid_fen
        rows = db.scalar(select(func.count()).select_from(Payment)) or 0
        refused = list(
            db.scalars(select(RefusedNotification.reason).order_by(RefusedNotification.id))
        )
    return paid, rows, refused


def counted(api: Api, outcome: str) -> float:
    text = api.client.get("/metrics").text
    line = f'curbside_api_payment_notifications_total{{outcome="{outcome}"}}'
    found = [ln for ln in text.splitlines() if ln.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


def test_a_signed_payment_is_recorded_once_and_a_re_signed_duplicate_changes_nothing(
    api: Api,
) -> None:
    stay_id, charge_id = a_stay(api)
    body = payment(charge_id, 200)
    assert api.notify(body) == (200, {"status": "accepted", "owed_fen": 300})
    assert api.notify(body, ts=int(time.time()) + 1) == (
        200,
        {"status": "duplicate", "owed_fen": 300},
    )
    assert books(api, stay_id) == (200, 1, [])
    assert counted(api, "accepted") == 1 and counted(api, "duplicate") == 1


def drop(name: str):  # type: ignore[no-untyped-def]
    return lambda h: {k: v for k, v in h.items() if k != name}


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ({"headers": drop("X-Curbside-Signature")}, "unsigned"),
        ({"headers": drop("X-Curbside-Timestamp")}, "unsigned"),
        ({"headers": drop("X-Curbside-Channel")}, "unsigned"),
        ({"headers": lambda h: {**h, "X-Curbside-Channel": "alipay"}}, "unknown_channel"),
        ({"secret": "not-the-channel-secret-0123456789abcdef"}, "bad_signature"),
        (
            {"headers": lambda h: {**h, "X-Curbside-Signature": h["X-Curbside-Signature"].upper()}},
            "bad_signature",
        ),
        ({"ts": int(time.time()) - 3600}, "stale"),
        ({"ts": int(time.time()) + 3600}, "stale"),
    ],
)
def test_unsigned_wrongly_signed_and_stale_notifications_are_refused(
    api: Api, spoil: dict[str, object], reason: str
) -> None:
    stay_id, charge_id = a_stay(api)
    status, answer = api.notify(payment(charge_id, 200), **spoil)  # type: ignore[arg-type]
    assert (status, answer["reason"]) == (401, reason)
    assert books(api, stay_id) == (0, 0, [reason])
    assert counted(api, reason) == 1


def test_a_body_changed_after_signing_is_refused(api: Api) -> None:
    stay_id, charge_id = a_stay(api)
    raw = json.dumps(payment(charge_id, 200)).encode()
    stamp = int(time.time())
    from curbside.domain.collection.notifications import signature

    headers = {
        "X-Curbside-Channel": "wechat",
        "X-Curbside-Timestamp": str(stamp),
        "X-Curbside-Signature": signature(b"wechat-test-secret-0123456789abcdef", stamp, raw),
    }
    tampered = raw.replace(b'"amount_fen": 200', b'"amount_fen": 500')
    answer = api.client.post("/api/v1/payments/notifications", content=tampered, headers=headers)
    assert (answer.status_code, answer.json()["reason"]) == (401, "bad_signature")
    assert books(api, stay_id) == (0, 0, ["bad_signature"])


def test_a_replayed_notification_is_refused_and_changes_nothing(api: Api) -> None:
    stay_id, charge_id = a_stay(api)
    body = json.dumps(payment(charge_id, 200)).encode()
    stamp = int(time.time())
    assert api.notify(body, ts=stamp)[0] == 200
    status, answer = api.notify(body, ts=stamp)
    assert (status, answer["reason"]) == (409, "replayed")
    assert books(api, stay_id) == (200, 1, ["replayed"])


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (lambda c: payment(c, 501), 422, "over_payment"),
        (lambda c: payment(c + 99, 100), 404, "unknown_charge"),
        (lambda c: payment(c, 100, kind="refund"), 422, "over_refund"),
        (lambda c: payment(c, 0), 422, "bad_amount"),
        (lambda c: payment(c, -100), 422, "bad_amount"),
        (lambda c: {**payment(c, 100), "amount_fen": 1.5}, 422, "malformed"),
        (lambda c: {**payment(c, 100), "txn_id": "x" * 65}, 422, "malformed"),
        (lambda c: b"not json", 422, "malformed"),
    ],
)
def test_a_movement_the_books_cannot_take_is_refused_with_its_reason(
    api: Api, body: object, status: int, reason: str
) -> None:
    stay_id, charge_id = a_stay(api)
    got_status, answer = api.notify(body(charge_id))  # type: ignore[operator]
    assert (got_status, answer["reason"]) == (status, reason)
    assert books(api, stay_id) == (0, 0, [reason])
    assert counted(api, reason) == 1


def test_a_body_over_the_limit_is_refused_unread(api: Api) -> None:
    stay_id, _ = a_stay(api)
    status, answer = api.notify(b"{" + b" " * 10_000 + b"}")
    assert (status, answer["reason"]) == (422, "malformed")
    assert books(api, stay_id) == (0, 0, ["malformed"])


def test_the_same_payment_delivered_many_times_at_once_is_recorded_once(api: Api) -> None:
    """A channel retrying while the first delivery is still in flight: every answer is 200
    (accepted once, duplicates after) and the money moves once."""
    stay_id, charge_id = a_stay(api)
    body = payment(charge_id, 200)
    start = int(time.time())
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: api.notify(body, ts=start - n), range(8)))
    assert sorted(status for status, _ in answers) == [200] * 8
    assert sorted(str(a["status"]) for _, a in answers) == ["accepted"] + ["duplicate"] * 7
    assert books(api, stay_id) == (200, 1, [])
