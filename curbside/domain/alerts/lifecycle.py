"""An alert's life: opened once per condition, acknowledged by a person (undone within a few
seconds if that was a slip), resolved by itself.

Pure functions over alerts and the conditions the rules found; the evaluator stores and
publishes what they return.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Condition, Subject


def alert_time(moment: datetime) -> datetime:
    """``moment`` to the millisecond: an alert's id, its stored point and the document on MQTT
    all carry milliseconds, so an alert dated finer would not read back as itself."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class AlertResolved(Exception):
    """A resolved alert cannot be acknowledged any more."""


class UndoRefused(Exception):
    """An acknowledge can be undone only while it is recent, and only if there is one."""


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
    now = alert_time(now)
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
    now = alert_time(now)
    undone = alert.unacknowledged_at
    if undone is not None and now <= undone:
        # Stored to the millisecond, and an acknowledgement stands only if later than the undo.
        now = undone + timedelta(milliseconds=1)
    return replace(
        alert,
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_by=by,
        acknowledged_at=now,
        updated_at=now,
    )


def unacknowledge(alert: Alert, now: datetime, window: timedelta) -> Alert:
    """The alert open again, its acknowledgement undone: allowed only within ``window`` of
    the acknowledge (a slip is noticed at once; later, acknowledging is a fact people acted
    on). Raises :class:`AlertResolved` or :class:`UndoRefused`."""
    if alert.status is AlertStatus.RESOLVED:
        raise AlertResolved(f"alert {alert.id} is already resolved")
    if alert.status is not AlertStatus.ACKNOWLEDGED or alert.acknowledged_at is None:
        raise UndoRefused(f"alert {alert.id} is not acknowledged")
    now = alert_time(now)
    if now - alert.acknowledged_at > window:
        raise UndoRefused(
            f"alert {alert.id}: the acknowledge can be undone for "
            f"{window.total_seconds():g} s only, and that time has passed"
        )
    # Never dated before the acknowledge it undoes (which may have been moved a millisecond
    # past an earlier undo): a tie goes to the undo.
    at = max(now, alert.acknowledged_at)
    return replace(
        alert,
        status=AlertStatus.OPEN,
        acknowledged_by=None,
        acknowledged_at=None,
        unacknowledged_at=at,
        updated_at=at,
    )


def undo_until(alert: Alert, now: datetime, window: timedelta) -> datetime | None:
    """Until when the alert's acknowledge can be undone; None if it cannot (any more)."""
    if alert.status is not AlertStatus.ACKNOWLEDGED or alert.acknowledged_at is None:
        return None
    until = alert.acknowledged_at + window
    return until if now <= until else None


def judged(alert: Alert) -> Alert:
    """The alert's state from its stored fields, which only ever accumulate (an InfluxDB
    point merges what is written into it, and no field can be cleared): an acknowledgement
    stands only if it is later than the last undo. The one judge of that, for every reader
    of stored alerts."""
    undone = alert.unacknowledged_at
    acked = alert.acknowledged_at
    if undone is None or (acked is not None and acked > undone):
        return alert
    status = AlertStatus.OPEN if alert.status is AlertStatus.ACKNOWLEDGED else alert.status
    return replace(alert, status=status, acknowledged_by=None, acknowledged_at=None)
