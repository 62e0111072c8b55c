"""An alert as a JSON document: the one shape the API serves and MQTT carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from curbside.vocabulary.alerts import Alert, Domain

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


def alert_topic(alert: Alert) -> str:
    """``alerts/{kind}/{domain}/{group}/{device}``: subscribe by kind, area or device."""
    return f"{TOPIC_PREFIX}/{alert.kind}/{alert.subject.path()}"
