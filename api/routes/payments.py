"""POST /api/v1/payments/notifications: a payment channel reports a payment or a refund.

No API key: the channel signs each notification (docs/payments.md). Every refusal is
recorded with its reason (curbside.adapters.records.models.RefusedNotification), counted
(``curbside_api_payment_notifications{outcome=...}``) and answered with the reason code.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.collection_schemas import NotificationIn, NotificationOut, RefusalOut
from api.deps import CityDep, NowDep, RecordsDep
from api.payment_desk import PaymentDeskDep
from curbside.adapters.records.collection_store import (
    MoneyMovement,
    record_movement,
    record_refusal,
)
from curbside.domain.collection.ledger import Movement
from curbside.domain.collection.notifications import (
    NotificationRefused,
    Refusal,
    Seen,
    Signed,
    digest,
    verify,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])

CHANNEL_HEADER = "X-Curbside-Channel"
TIMESTAMP_HEADER = "X-Curbside-Timestamp"
SIGNATURE_HEADER = "X-Curbside-Signature"
MAX_BODY = 4096

STATUS = {
    Refusal.UNSIGNED: status.HTTP_401_UNAUTHORIZED,
    Refusal.UNKNOWN_CHANNEL: status.HTTP_401_UNAUTHORIZED,
    Refusal.BAD_SIGNATURE: status.HTTP_401_UNAUTHORIZED,
    Refusal.STALE: status.HTTP_401_UNAUTHORIZED,
    Refusal.REPLAYED: status.HTTP_409_CONFLICT,
    Refusal.CONFLICTING: status.HTTP_409_CONFLICT,
    Refusal.UNKNOWN_CHARGE: status.HTTP_404_NOT_FOUND,
    Refusal.UNKNOWN_PAYMENT: status.HTTP_404_NOT_FOUND,
    Refusal.MALFORMED: status.HTTP_422_UNPROCESSABLE_CONTENT,
    Refusal.OVER_PAYMENT: status.HTTP_422_UNPROCESSABLE_CONTENT,
    Refusal.OVER_REFUND: status.HTTP_422_UNPROCESSABLE_CONTENT,
    Refusal.BAD_AMOUNT: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


@router.post(
    "/notifications",
    response_model=NotificationOut,
    responses={
        code: {"model": RefusalOut, "description": "refused: see `reason`"}
        for code in sorted(set(STATUS.values()))
    },
)
async def notification(
    request: Request, records: RecordsDep, desk: PaymentDeskDep, city: CityDep, now: NowDep
) -> NotificationOut | JSONResponse:
    """Record a signed payment or refund once, by the channel's transaction id. Sign
    ``"<timestamp>." + body`` with HMAC-SHA256 and the channel's key and send
    ``X-Curbside-Channel``, ``X-Curbside-Timestamp`` (Unix seconds) and
    ``X-Curbside-Signature: v1=<hex>``."""
    headers = request.headers
    signed = Signed(
        headers.get(CHANNEL_HEADER), headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    )
    body = await _body(request)
    verified: str | None = None  # the digest, once the signature is known good
    note: NotificationIn | None = None
    try:
        if body is None:
            raise NotificationRefused(Refusal.MALFORMED, f"the body is over {MAX_BODY} bytes")
        timestamp = verify(desk.keys, signed, body, now.timestamp(), desk.window_s)
        verified = digest(timestamp, body)
        note = _parse(body)
        move = MoneyMovement(
            signed.channel or "",
            note.txn_id,
            Movement(note.type),
            note.charge_id,
            note.amount_fen,
            note.occurred_at,
        )
        seen, owed = await asyncio.to_thread(_record, records, move, verified, now, city.tz)
    except NotificationRefused as refusal:
        txn = note.txn_id if note is not None else None
        try:
            await asyncio.to_thread(
                partial(_refuse, channel=signed.channel, txn=txn, verified=verified),
                records,
                refusal,
                now,
            )
        except SQLAlchemyError as exc:
            # The refusal stands whether or not it could be written down; say so loudly.
            log.error("refused payment notification not recorded: %s", exc)
        desk.notifications.labels(refusal.reason.value).inc()
        log.warning("payment notification refused: %s (%s)", refusal.reason.value, refusal)
        return JSONResponse(
            {"reason": refusal.reason.value, "detail": str(refusal)},
            status_code=STATUS[refusal.reason],
        )
    outcome = "accepted" if seen is Seen.NEW else "duplicate"
    desk.notifications.labels(outcome).inc()
    return NotificationOut(status=outcome, owed_fen=owed)


async def _body(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY (read no further than that)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> NotificationIn:
    try:
        return NotificationIn.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise NotificationRefused(Refusal.MALFORMED, f"{where}: {first['msg']}") from None


def _record(
    records: sessionmaker[Session], move: MoneyMovement, verified: str, now: datetime, tz: ZoneInfo
) -> tuple[Seen, int]:
    def once() -> tuple[Seen, int]:
        with records() as db, db.begin():
            seen, account = record_movement(db, move, verified, now, tz)
            return seen, account.owed_fen

    try:
        return once()
    except IntegrityError:
        # Two deliveries of one transaction at once: the loser's insert broke the unique key;
        # done again, it finds the winner's row and is judged a duplicate or a replay.
        return once()


def _refuse(
    records: sessionmaker[Session],
    refusal: NotificationRefused,
    now: datetime,
    *,
    channel: str | None,
    txn: str | None,
    verified: str | None,
) -> None:
    with records() as db, db.begin():
        record_refusal(db, refusal, now, channel=channel, txn_id=txn, digest=verified)
