"""Charges gone overdue: found by the recorder, kept as notices, announced on MQTT.

A stay is overdue when it still owes something more than ``overdue_after_days`` days after the
day it was billed (curbside.domain.collection.ageing.is_overdue). Each is noticed once: the
notice is a record written in the transaction that finds it, and published afterwards;
notices not yet published (a crash in between, paho's queue full) are sent at the next check.

When the hand-off has a webhook, each notice is also queued in the signed outbox
(docs/handoff.md, event type ``charge.overdue``) in the transaction that writes it: the notice
and the webhook are recorded together or not at all. MQTT is not an outbox channel here: the
recorder publishes the notice itself, as above.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from curbside.adapters.records.models import OverdueNotice, ParkingSession
from curbside.adapters.records.outbox_store import enqueue
from curbside.domain.collection.ageing import is_overdue
from curbside.readmodels.collection import StayBalance, stay_balances
from curbside.vocabulary.outbox import Channel, OutgoingEvent
from curbside.vocabulary.topics import overdue_topic

# How far back a check looks for stays that became overdue (a recorder down for longer
# than this does not announce older ones: the arrears report still lists them).
LOOK_BACK_DAYS = 14


@dataclass(frozen=True, slots=True)
class OverdueEvent:
    """What is announced: the stay, where, the plate if known, what is owed since when."""

    stay: int
    zone: str
    space: str
    plate: str | None
    colour: str | None
    owed_fen: int
    billed_on: date
    noticed_at: datetime

    def topic(self) -> str:
        """The zone's overdue topic."""
        return overdue_topic(self.zone)

    def payload(self) -> str:
        """The event as JSON (the plate in full: the topic is for the payment platform)."""
        return json.dumps(
            {
                "stay": self.stay,
                "zone": self.zone,
                "space": self.space,
                "plate": self.plate,
                "colour": self.colour,
                "owed_fen": self.owed_fen,
                "billed_on": self.billed_on.isoformat(),
                "noticed_at": self.noticed_at.isoformat(),
            },
            ensure_ascii=False,
        )


OVERDUE_EVENT = "charge.overdue"
_WEBHOOK_ONLY: tuple[Channel, ...] = ("webhook",)


def notice_overdue(
    db: Session, today: date, after_days: int, now: datetime, *, webhook: bool = False
) -> None:
    """Record a notice for each stay that has become overdue and has none yet; with
    ``webhook``, queue its platform webhook in the same transaction."""
    last_day = today - timedelta(days=after_days + 1)
    noticed = set(db.scalars(select(OverdueNotice.session_id)))
    for balance in stay_balances(
        db, billed_from=last_day - timedelta(days=LOOK_BACK_DAYS), billed_until=last_day
    ):
        owed = balance.account.owed_fen
        if balance.session_id in noticed or not is_overdue(
            balance.billed_on, today, owed, after_days
        ):
            continue
        db.add(OverdueNotice(session_id=balance.session_id, owed_fen=owed, noticed_at=now))
        if webhook:
            enqueue(db, [overdue_webhook(balance, owed, now)], _WEBHOOK_ONLY, now)


def overdue_webhook(balance: StayBalance, owed_fen: int, noticed_at: datetime) -> OutgoingEvent:
    """The platform's ``charge.overdue`` event for one stay (docs/handoff.md): one per stay,
    its key ``overdue:{stay}``, so a redelivery is recognised."""
    key = f"overdue:{balance.session_id}"
    return OutgoingEvent(
        kind=OVERDUE_EVENT,
        key=key,
        ordering=key,
        topic=overdue_topic(balance.zone),
        payload={
            "type": OVERDUE_EVENT,
            "key": key,
            "stay": balance.session_id,
            "zone": balance.zone,
            "plate": balance.plate,
            "colour": balance.colour,
            "owed_fen": owed_fen,
            "billed_on": balance.billed_on.isoformat(),
            "noticed_at": noticed_at.isoformat(),
        },
    )


def unpublished(db: Session) -> list[OverdueEvent]:
    """The notices not yet published, as events (oldest first)."""
    rows: list[tuple[OverdueNotice, ParkingSession]] = [
        (notice, stay)
        for notice, stay in db.execute(
            select(OverdueNotice, ParkingSession)
            .join(ParkingSession, ParkingSession.id == OverdueNotice.session_id)
            .where(OverdueNotice.published_at.is_(None))
            .order_by(OverdueNotice.noticed_at, OverdueNotice.session_id)
        )
    ]
    ids = [notice.session_id for notice, _ in rows]
    balances = {b.session_id: b for b in stay_balances(db, session_ids=ids)} if ids else {}
    return [
        OverdueEvent(
            stay=stay.id,
            zone=stay.zone,
            space=stay.space,
            plate=balances[stay.id].plate if stay.id in balances else None,
            colour=balances[stay.id].colour if stay.id in balances else None,
            owed_fen=notice.owed_fen,
            billed_on=balances[stay.id].billed_on
            if stay.id in balances
            else stay.end_day or notice.noticed_at.date(),
            noticed_at=notice.noticed_at,
        )
        for notice, stay in rows
    ]


def mark_published(db: Session, stays: list[int], at: datetime) -> None:
    """Note that these stays' notices were handed to the broker."""
    for notice in db.scalars(select(OverdueNotice).where(OverdueNotice.session_id.in_(stays))):
        notice.published_at = at
