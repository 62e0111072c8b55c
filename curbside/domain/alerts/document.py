"""An alert as a JSON document: the one shape the API serves and MQTT carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from curbside.vocabulary.alerts import Alert, Domain, Subject

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
    """The alert's fields with RFC 3339 UTC times; zone/space or district/bin named as such."""
    return {
        "id": alert.id,
        "kind": str(alert.kind),
        "status": str(alert.status),
        **subject_fields(alert.subject),
        "detail": alert.detail,
        "opened_at": iso(alert.opened_at),
        "updated_at": iso(alert.updated_at),
        "resolved_at": iso(alert.resolved_at),
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": iso(alert.acknowledged_at),
    }


def alert_topic(alert: Alert) -> str:
    """``alerts/{kind}/{domain}/{group}/{device}``: subscribe by kind, area or device."""
    return f"{TOPIC_PREFIX}/{alert.kind}/{alert.subject.path()}"
