"""A case and its events as JSON documents: the one shape the API serves and the hand-off to
the city-management platform carries (docs/cases.md)."""

from __future__ import annotations

from typing import Any

from curbside.domain.alerts.document import iso, subject_fields
from curbside.vocabulary.cases import Case, CaseEvent, CaseEventKind
from curbside.vocabulary.messages import Message, Param
from curbside.vocabulary.outbox import OutgoingEvent

CASE_TOPIC_PREFIX = "cases"


def case_document(case: Case) -> dict[str, Any]:
    """The case's state with RFC 3339 UTC times; zone/space or district/bin named as such."""
    return {
        "id": case.id,
        "alert_id": case.id,
        "kind": str(case.kind),
        "stage": str(case.stage),
        **subject_fields(case.subject),
        "opened_at": iso(case.opened_at),
        "deadline": iso(case.deadline),
        "assignee": case.assignee,
        "verified_by": case.verified_by,
        "closed_at": iso(case.closed_at),
        "escalated_at": iso(case.escalated_at),
        "on_time": case.on_time,
        "reworks": case.reworks,
        "last_seq": case.last_seq,
    }


def event_document(event: CaseEvent) -> dict[str, Any]:
    """One step: ``key`` (case id # seq) is its idempotency key; ``message`` says it as a
    code with parameters."""
    return {
        "key": event.key,
        "case_id": event.case_id,
        "seq": event.seq,
        "event": str(event.kind),
        "at": iso(event.at),
        "by": event.by,
        "assignee": event.assignee,
        "basis": event.basis,
        "message": event_message(event).document(),
    }


def event_message(event: CaseEvent) -> Message:
    """The step as a code with parameters, ``case.{event}``: whom it was dispatched to, how
    it was verified, whom an escalation told."""
    params: dict[str, Param] = {}
    if event.kind is CaseEventKind.DISPATCHED and event.assignee is not None:
        params["assignee"] = event.assignee
    elif event.kind is CaseEventKind.VERIFIED and event.basis is not None:
        params["basis"] = event.basis
    elif event.kind is CaseEventKind.ESCALATED and event.basis is not None:
        params["role"] = event.basis
    return Message(f"case.{event.kind}", params)


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
