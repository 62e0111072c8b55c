"""A case and its events as JSON documents: the one shape the API serves and the hand-off to
the city-management platform carries (docs/cases.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from curbside.vocabulary.alerts import Domain
from curbside.vocabulary.cases import Case, CaseEvent
from curbside.vocabulary.outbox import OutgoingEvent

CASE_TOPIC_PREFIX = "cases"


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def case_document(case: Case) -> dict[str, Any]:
    """The case's state with RFC 3339 UTC times; zone/space or district/bin named as such."""
    parking = case.subject.domain is Domain.PARKING
    return {
        "id": case.id,
        "alert_id": case.id,
        "kind": str(case.kind),
        "stage": str(case.stage),
        "domain": str(case.subject.domain),
        "zone": case.subject.group if parking else None,
        "space": case.subject.device if parking else None,
        "district": None if parking else case.subject.group,
        "bin": None if parking else case.subject.device,
        "opened_at": _iso(case.opened_at),
        "deadline": _iso(case.deadline),
        "assignee": case.assignee,
        "verified_by": case.verified_by,
        "closed_at": _iso(case.closed_at),
        "escalated_at": _iso(case.escalated_at),
        "on_time": case.on_time,
        "reworks": case.reworks,
        "last_seq": case.last_seq,
    }


def event_document(event: CaseEvent) -> dict[str, Any]:
    """One step: ``key`` (case id # seq) is its idempotency key."""
    return {
        "key": event.key,
        "case_id": event.case_id,
        "seq": event.seq,
        "event": str(event.kind),
        "at": _iso(event.at),
        "by": event.by,
        "assignee": event.assignee,
        "basis": event.basis,
    }


def case_topic(case: Case) -> str:
    """``cases/{kind}/{domain}/{group}/{device}``: where a case's events are published."""
    return f"{CASE_TOPIC_PREFIX}/{case.kind}/{case.subject.path()}"


def case_message(case: Case, event: CaseEvent) -> OutgoingEvent:
    """The hand-off of one step: the event and the case as it stood after it, keyed by the
    event's idempotency key, in order per case."""
    kind = f"case.{event.kind}"
    return OutgoingEvent(
        kind=kind,
        key=event.key,
        ordering=case.id,
        topic=case_topic(case),
        payload={
            "type": kind,
            "key": event.key,
            "event": event_document(event),
            "case": case_document(case),
        },
    )
