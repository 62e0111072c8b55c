"""Pruning the outbox, on SQLite and PostgreSQL: delivered messages past the retention go, in
batches; nothing undelivered (pending, retrying, redelivered) and no dead letter ever does."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import OutboxMessage
from curbside.handoff.pruner import PRUNE_EVERY, OutboxPruner
from curbside.vocabulary.outbox import CHANNELS

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RETENTION = timedelta(days=30)
STATES = ("pending", "retrying", "dead", "redelivered", "delivered")


@dataclass(frozen=True)
class Row:
    """A message as the test made it, and whether the retention allows deleting it."""

    key: str
    state: str
    delivered_at: datetime | None

    @property
    def prunable(self) -> bool:
        return self.prunable_at(NOW)

    def prunable_at(self, now: datetime) -> bool:
        return self.delivered_at is not None and now - self.delivered_at > RETENTION


def _ago(rng: random.Random) -> datetime:
    return NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 60))  # up to 60 days back


def _fill(engine: Engine, n: int, seed: int) -> list[Row]:
    """n messages on both channels in every state, created up to 60 days ago; some delivered
    exactly at the retention's edge (kept: only older ones go)."""
    rng = random.Random(seed)
    rows: list[Row] = []
    with Session(engine) as db, db.begin():
        for i in range(n):
            state = STATES[i % len(STATES)]
            created = _ago(rng)
            delivered = None
            if state == "delivered":
                delivered = NOW - RETENTION if i % 25 == 4 else max(created, _ago(rng))
            dead = max(created, _ago(rng)) if state == "dead" else None
            key = f"case-{i}#1"
            db.add(
                OutboxMessage(
                    channel=CHANNELS[i % 2],
                    kind="case.opened",
                    key=key,
                    ordering=f"case-{i}",
                    topic=f"cases/fire/sanitation/D1/B{i}",
                    payload={"n": i},
                    created_at=created,
                    attempts=0 if state == "pending" else rng.randrange(1, 12),
                    next_at=NOW + timedelta(minutes=5) if state == "retrying" else created,
                    delivered_at=delivered,
                    dead_at=dead,
                    last_error=None if state in ("pending", "delivered") else "HTTP 503",
                )
            )
            rows.append(Row(key, state, delivered))
    return rows


def _left(engine: Engine) -> set[str]:
    with Session(engine) as db:
        return set(db.scalars(select(OutboxMessage.key)))


def test_pruning_deletes_only_delivered_messages_past_the_retention(engine: Engine) -> None:
    upgrade(engine)
    rows = _fill(engine, 400, seed=16)
    assert sum(r.prunable for r in rows) > 4 * 3  # enough for several batches per channel
    assert any(r.state == "delivered" and not r.prunable for r in rows)
    pruner = OutboxPruner(session_factory(engine), RETENTION, batch=3, clock=lambda: NOW)

    pruned = pruner.prune()

    left = _left(engine)
    # ★ Nothing undelivered and no dead letter is ever deleted, however old.
    assert {r.key for r in rows if r.state != "delivered"} <= left
    assert {r.key for r in rows if r.prunable}.isdisjoint(left)
    assert {r.key for r in rows if r.state == "delivered" and not r.prunable} <= left
    assert pruned == sum(r.prunable for r in rows)
    assert pruner.prune() == 0  # nothing more to do


def test_a_dead_letter_goes_only_once_redelivered_delivered_and_aged(engine: Engine) -> None:
    upgrade(engine)
    [row] = [r for r in _fill(engine, 5, seed=1) if r.state == "dead"]
    sessions = session_factory(engine)
    later = NOW
    pruner = OutboxPruner(sessions, RETENTION, batch=100, clock=lambda: later)
    pruner.prune()
    assert row.key in _left(engine)  # dead since long ago, and kept
    with sessions.begin() as db:  # redelivered, and delivered now
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.key == row.key)).one()
        message.dead_at, message.delivered_at = None, NOW
    later = NOW + RETENTION
    pruner.prune()
    assert row.key in _left(engine)  # delivered, but not older than the retention yet
    later = NOW + RETENTION + timedelta(seconds=1)
    pruner.prune()
    assert row.key not in _left(engine)


def test_the_running_hand_off_prunes_every_few_minutes_and_retention_0_keeps_all(
    engine: Engine,
) -> None:
    upgrade(engine)
    rows = _fill(engine, 50, seed=3)
    sessions = session_factory(engine)
    assert OutboxPruner(sessions, None, batch=10, clock=lambda: NOW).prune() == 0
    assert _left(engine) == {r.key for r in rows}
    clock = [NOW]
    pruner = OutboxPruner(sessions, RETENTION, batch=10, clock=lambda: clock[0])
    assert pruner.tick() == sum(r.prunable for r in rows) > 0
    # Delivered meanwhile and aged past the retention: left until PRUNE_EVERY has passed.
    with sessions.begin() as db:
        message = db.scalars(
            select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None)).limit(1)
        ).one()
        message.delivered_at = NOW - RETENTION - timedelta(days=1)
    clock[0] = NOW + PRUNE_EVERY - timedelta(seconds=1)
    assert pruner.tick() == 0
    clock[0] = NOW + PRUNE_EVERY
    aged_meanwhile = sum(r.prunable_at(clock[0]) and not r.prunable for r in rows)
    assert pruner.tick() == 1 + aged_meanwhile
