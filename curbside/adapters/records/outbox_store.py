"""The outbox in the record store: events written in the transaction that made them, then
delivered at least once per channel by python -m curbside.handoff (docs/handoff.md).

As elsewhere in this package, functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from curbside.adapters.records.inserts import insert_ignoring_duplicates
from curbside.adapters.records.models import InboundRequest, OutboxMessage
from curbside.vocabulary.outbox import Channel, OutgoingEvent


def enqueue(
    db: Session, events: Iterable[OutgoingEvent], channels: Collection[Channel], now: datetime
) -> None:
    """Queue each event on each channel; an event already queued (same key) is left alone."""
    rows = [
        {
            "channel": channel,
            "kind": e.kind,
            "key": e.key,
            "ordering": e.ordering,
            "topic": e.topic,
            "payload": e.payload,
            "created_at": now,
            "attempts": 0,
            "next_at": now,
            "delivered_at": None,
            "dead_at": None,
            "last_error": None,
        }
        for e in events
        for channel in channels
    ]
    insert_ignoring_duplicates(db, OutboxMessage, rows)


def _pending(channel: Channel) -> list[ColumnElement[bool]]:
    return [
        OutboxMessage.channel == channel,
        OutboxMessage.delivered_at.is_(None),
        OutboxMessage.dead_at.is_(None),
    ]


def due(db: Session, channel: Channel, now: datetime, limit: int) -> list[OutboxMessage]:
    """Messages to try now: for each ordering key only its oldest pending message (the next
    is tried once that one is delivered or dead), oldest first."""
    rows = db.scalars(select(OutboxMessage).where(*_pending(channel)).order_by(OutboxMessage.id))
    seen: set[str] = set()
    found: list[OutboxMessage] = []
    for row in rows:
        if row.ordering in seen:
            continue
        seen.add(row.ordering)
        if row.next_at <= now:
            found.append(row)
            if len(found) >= limit:
                break
    return found


def delivered(db: Session, message_id: int, now: datetime) -> None:
    """Settle a message as delivered."""
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(delivered_at=now, attempts=OutboxMessage.attempts + 1, last_error=None)
    )


def failed(
    db: Session, message_id: int, error: str, *, retry_at: datetime | None, now: datetime
) -> None:
    """Record a failed attempt: retried at ``retry_at``, or dead (None)."""
    values: dict[str, object] = {"attempts": OutboxMessage.attempts + 1, "last_error": error[:300]}
    values |= {"next_at": retry_at} if retry_at is not None else {"dead_at": now}
    db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


def dead_letters(db: Session, channel: Channel | None = None) -> list[OutboxMessage]:
    """The messages given up on, oldest first."""
    query = select(OutboxMessage).where(OutboxMessage.dead_at.is_not(None))
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    return list(db.scalars(query.order_by(OutboxMessage.id)))


def redeliver(
    db: Session, now: datetime, keys: Collection[str] | None = None, channel: Channel | None = None
) -> int:
    """Put dead messages (those with ``keys``, else all) back in the queue; how many."""
    query = update(OutboxMessage).where(OutboxMessage.dead_at.is_not(None))
    if keys is not None:
        query = query.where(OutboxMessage.key.in_(list(keys)))
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    moved = db.execute(query.values(dead_at=None, attempts=0, next_at=now))
    return int(moved.rowcount)  # type: ignore[attr-defined]


def prune_delivered(db: Session, channel: Channel, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` messages of ``channel`` delivered before ``before``, oldest
    delivery first; how many. A message not delivered (pending, retrying, dead) is never
    touched: a dead letter stays until it is redelivered, and delivered, and aged."""
    settled = (
        OutboxMessage.channel == channel,
        OutboxMessage.delivered_at.is_not(None),
        OutboxMessage.delivered_at < before,
        OutboxMessage.dead_at.is_(None),
    )
    # A batch by ids (DELETE has no LIMIT in PostgreSQL); (channel, delivered_at) leads the
    # pending index, so the batch is found without scanning the table.
    batch = select(OutboxMessage.id).where(*settled).order_by(OutboxMessage.delivered_at)
    ids = list(db.scalars(batch.limit(limit)))
    if not ids:
        return 0
    gone = db.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids), *settled))
    return int(gone.rowcount)  # type: ignore[attr-defined]


def first_time(db: Session, request_id: str, now: datetime) -> bool:
    """Remember a signed request by its id; False if it was taken before (a replay)."""
    if db.get(InboundRequest, request_id) is not None:
        return False
    db.add(InboundRequest(id=request_id, received_at=now))
    db.flush()
    return True
