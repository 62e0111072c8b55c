"""An alert as a JSON document: the one shape the API serves and MQTT carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from curbside.vocabulary.alerts import Alert, AlertStatus, Domain, Subject, parse_alert_id
from curbside.vocabulary.messages import message_from_document

TOPIC_PREFIX = "alerts"


def iso(ts: datetime | None) -> str | None:
    """RFC 3339 UTC with ``Z``, or None."""
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def subject_fields(subject: Subject) -> dict[str, str | None]:
    """The domain, and zone/space or district/bin named as such (the others null)."""
    parking = subject.domain is Domain.PARKING
    return {
        "domain": str(subject.domain),
        "zone": subject.group if parking else None,
        "space": subject.device if parking else None,
        "district": None if parking else subject.group,
        "bin": None if parking else subject.device,
    }


def alert_document(alert: Alert) -> dict[str, Any]:
    """The alert's fields with RFC 3339 UTC times; zone/space or district/bin named as such;
    ``message`` is the detail as a code with parameters (null on alerts stored before codes)."""
    return {
        "id": alert.id,
        "kind": str(alert.kind),
        "status": str(alert.status),
        **subject_fields(alert.subject),
        "detail": alert.detail,
        "message": None if alert.message is None else alert.message.document(),
        "opened_at": iso(alert.opened_at),
        "updated_at": iso(alert.updated_at),
        "resolved_at": iso(alert.resolved_at),
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": iso(alert.acknowledged_at),
        "unacknowledged_at": iso(alert.unacknowledged_at),
    }


def alert_from_document(document: dict[str, Any]) -> Alert:
    """The alert a document describes (the inverse of :func:`alert_document`); raises
    ValueError (or KeyError, TypeError) for anything that is not one."""
    kind, subject, opened_at = parse_alert_id(str(document["id"]))
    alert = Alert(
        kind=kind,
        subject=subject,
        opened_at=opened_at,
        status=AlertStatus(document["status"]),
        detail=str(document["detail"]),
        updated_at=_time(document["updated_at"]),
        resolved_at=_optional_time(document.get("resolved_at")),
        acknowledged_by=_optional_text(document.get("acknowledged_by")),
        acknowledged_at=_optional_time(document.get("acknowledged_at")),
        message=message_from_document(document.get("message")),
        unacknowledged_at=_optional_time(document.get("unacknowledged_at")),
    )
    # A document from an evaluator older than message codes or undo has no "message" or
    # "unacknowledged_at": null they are.
    if alert_document(alert) != {"message": None, "unacknowledged_at": None, **document}:
        raise ValueError(f"alert {alert.id}: the document does not describe it exactly")
    return alert


def _time(text: object) -> datetime:
    if not isinstance(text, str):
        raise TypeError(f"a time must be RFC 3339 text, got {text!r:.60}")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"a time must carry its offset: {text!r:.60}")
    return parsed.astimezone(UTC)


def _optional_time(text: object) -> datetime | None:
    return None if text is None else _time(text)


def _optional_text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r:.60}")
    return value


def alert_topic(alert: Alert) -> str:
    """``alerts/{kind}/{domain}/{group}/{device}``: subscribe by kind, area or device."""
    return f"{TOPIC_PREFIX}/{alert.kind}/{alert.subject.path()}"
