"""An alert's life: opened once per condition, acknowledged by a person, resolved by itself.

Pure functions over alerts and the conditions the rules found; the evaluator stores and
publishes what they return.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Condition, Subject


class AlertResolved(Exception):
    """A resolved alert cannot be acknowledged any more."""


def reconcile(
    active: Iterable[Alert],
    conditions: Iterable[Condition],
    evaluated: frozenset[AlertKind],
    now: datetime,
) -> list[Alert]:
    """The alerts that change: new ones for new conditions, resolved ones for ended ones.

    Only kinds in ``evaluated`` are resolved when their condition is absent, so a rule that
    did not run this time (its data was unavailable) resolves nothing.
    """
    current: dict[tuple[AlertKind, Subject], Alert] = {
        (a.kind, a.subject): a for a in active if a.active
    }
    found: dict[tuple[AlertKind, Subject], Condition] = {(c.kind, c.subject): c for c in conditions}
    changes = [
        Alert(c.kind, c.subject, now, AlertStatus.OPEN, c.detail, updated_at=now, message=c.message)
        for key, c in sorted(found.items())
        if key not in current
    ]
    changes.extend(
        replace(a, status=AlertStatus.RESOLVED, resolved_at=now, updated_at=now)
        for key, a in sorted(current.items())
        if key not in found and a.kind in evaluated
    )
    return changes


def acknowledge(alert: Alert, by: str, now: datetime) -> Alert:
    """The alert acknowledged by ``by``; acknowledging twice keeps the first person and time."""
    if alert.status is AlertStatus.RESOLVED:
        raise AlertResolved(f"alert {alert.id} is already resolved")
    if alert.status is AlertStatus.ACKNOWLEDGED:
        return alert
    return replace(
        alert,
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_by=by,
        acknowledged_at=now,
        updated_at=now,
    )
