"""An alert as a JSON document: the one shape the API serves and MQTT carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from curbside.vocabulary.alerts import Alert, AlertStatus, Domain, parse_alert_id

TOPIC_PREFIX = "alerts"


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def alert_document(alert: Alert) -> dict[str, Any]:
    """The alert's fields with RFC 3339 UTC times; zone/space or district/bin named as such."""
    parking = alert.subject.domain is Domain.PARKING
    return {
        "id": alert.id,
        "kind": str(alert.kind),
        "status": str(alert.status),
        "domain": str(alert.subject.domain),
        "zone": alert.subject.group if parking else None,
        "space": alert.subject.device if parking else None,
        "district": None if parking else alert.subject.group,
        "bin": None if parking else alert.subject.device,
        "detail": alert.detail,
        "opened_at": _iso(alert.opened_at),
        "updated_at": _iso(alert.updated_at),
        "resolved_at": _iso(alert.resolved_at),
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": _iso(alert.acknowledged_at),
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
    )
    if alert_document(alert) != document:
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
