"""Alerts in InfluxDB, so they survive a restart of every process.

One point per alert in the measurement ``alert``: tags ``kind``, ``domain``, ``group``,
``device`` (registry ids and a closed set of kinds: bounded cardinality), timestamp the
alert's ``opened_at``; the detail's code and parameters are the JSON text field ``message``.
Saving a changed alert writes the same point again; InfluxDB merges the fields, so the point
always holds the alert's latest state. A field cannot be cleared, so an undone acknowledge is
the later ``unacknowledged_at_ms`` beside the old acknowledgement, and every alert read is
judged (curbside.domain.alerts.lifecycle.judged).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from curbside.adapters.influx.client import InfluxClient, Series
from curbside.adapters.influx.influxql import literal
from curbside.adapters.influx.lineprotocol import FieldValue, encode_line, epoch_ms, from_epoch_ms
from curbside.adapters.influx.retention import KEEP
from curbside.domain.alerts.lifecycle import judged
from curbside.vocabulary.alerts import (
    Alert,
    AlertKind,
    AlertStatus,
    Domain,
    Subject,
    parse_alert_id,
)
from curbside.vocabulary.messages import Message, message_from_document

ALERT = "alert"
# Alerts stay in the policy that keeps them (not the raw readings' default one, which ages out).
_STORED = f'"{KEEP}"."{ALERT}"'


def alert_line(alert: Alert) -> str:
    """The line that stores an alert's current state."""
    fields: dict[str, FieldValue] = {
        "status": str(alert.status),
        "detail": alert.detail,
        "updated_at_ms": epoch_ms(alert.updated_at),
    }
    if alert.message is not None:
        fields["message"] = json.dumps(alert.message.document(), ensure_ascii=False)
    if alert.resolved_at is not None:
        fields["resolved_at_ms"] = epoch_ms(alert.resolved_at)
    if alert.acknowledged_by is not None and alert.acknowledged_at is not None:
        fields["acknowledged_by"] = alert.acknowledged_by
        fields["acknowledged_at_ms"] = epoch_ms(alert.acknowledged_at)
    if alert.unacknowledged_at is not None:
        fields["unacknowledged_at_ms"] = epoch_ms(alert.unacknowledged_at)
    tags = {
        "kind": str(alert.kind),
        "domain": str(alert.subject.domain),
        "group": alert.subject.group,
        "device": alert.subject.device,
    }
    return encode_line(ALERT, tags, fields, alert.opened_at)


class AlertStore:
    """Saves and reads alerts in one database."""

    def __init__(self, client: InfluxClient) -> None:
        self._client = client

    def save(self, alerts: Sequence[Alert]) -> None:
        """Store new or changed alerts."""
        self._client.write([alert_line(a) for a in alerts], retention_policy=KEEP)

    def active(self) -> list[Alert]:
        """Every open or acknowledged alert."""
        return self.find(statuses=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED))

    def find(
        self,
        *,
        statuses: Sequence[AlertStatus] = (),
        kind: AlertKind | None = None,
        domain: Domain | None = None,
        group: str | None = None,
        areas: Sequence[tuple[Domain, str]] | None = None,
        limit: int = 1000,
    ) -> list[Alert]:
        """Alerts matching every given filter, newest first; ``areas`` (domain and group
        pairs) keeps only alerts of those zones and districts."""
        if areas is not None and not areas:
            return []
        where = ["time > 0"]
        if statuses:
            where.append("(" + " OR ".join(f'"status" = {literal(s)}' for s in statuses) + ")")
        if kind is not None:
            where.append(f'"kind" = {literal(kind)}')
        if domain is not None:
            where.append(f'"domain" = {literal(domain)}')
        if group is not None:
            where.append(f'"group" = {literal(group)}')
        if areas is not None:
            either = (f'("domain" = {literal(d)} AND "group" = {literal(g)})' for d, g in areas)
            where.append("(" + " OR ".join(either) + ")")
        statement = (
            f"SELECT * FROM {_STORED} WHERE {' AND '.join(where)} "  # noqa: S608 - quoted above
            f"ORDER BY time DESC LIMIT {int(limit)}"
        )
        found = (_alert(row) for s in self._client.query(statement) for row in _rows(s))
        # The stored status may be an acknowledge undone since (judged), so filter it again.
        return [a for a in found if not statuses or a.status in statuses]

    def get(self, alert_id: str) -> Alert | None:
        """The alert with this id, or None (also for ids that are not alert ids)."""
        try:
            kind, subject, opened_at = parse_alert_id(alert_id)
        except ValueError:
            return None
        statement = (
            f"SELECT * FROM {_STORED} WHERE time = {epoch_ms(opened_at)}ms "  # noqa: S608
            f'AND "kind" = {literal(kind)} AND "domain" = {literal(subject.domain)} '
            f'AND "group" = {literal(subject.group)} AND "device" = {literal(subject.device)}'
        )
        found = [_alert(row) for s in self._client.query(statement) for row in _rows(s)]
        return found[0] if found else None


def _rows(series: Series) -> list[dict[str, Any]]:
    return [{**series.tags, **row} for row in series.rows()]


def _time(ms: Any) -> datetime | None:
    return None if ms is None else from_epoch_ms(int(ms))


def _alert(row: dict[str, Any]) -> Alert:
    opened_at = _time(row["time"])
    updated_at = _time(row.get("updated_at_ms"))
    assert opened_at is not None and updated_at is not None  # written with every alert
    return judged(
        Alert(
            kind=AlertKind(row["kind"]),
            subject=Subject(Domain(row["domain"]), row["group"], row["device"]),
            opened_at=opened_at,
            status=AlertStatus(row["status"]),
            detail=row.get("detail") or "",
            updated_at=updated_at,
            resolved_at=_time(row.get("resolved_at_ms")),
            acknowledged_by=row.get("acknowledged_by"),
            acknowledged_at=_time(row.get("acknowledged_at_ms")),
            unacknowledged_at=_time(row.get("unacknowledged_at_ms")),
            message=_message(row.get("message")),
        )
    )


def _message(stored: str | None) -> Message | None:
    # Alerts written before details were coded have no message: they show their detail.
    return None if stored is None else message_from_document(json.loads(stored))
