"""What an alert is: its kind, the device it is about, and where it is in its life.

An alert's identity is (kind, subject, opened_at): while one is active no second alert of
the same kind opens for the same subject, and its id can be read back into that identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from curbside.vocabulary.messages import Message


class AlertKind(StrEnum):
    """Every kind of alert Curbside raises."""

    OVERSTAY = "overstay"
    NOT_CLEARED = "not_cleared"
    FULL = "full"
    OVERFLOW_SOON = "overflow_soon"
    SENSOR_SILENT = "sensor_silent"
    FIRE = "fire"
    TILTED = "tilted"
    LOW_BATTERY = "low_battery"


class AlertStatus(StrEnum):
    """Open and acknowledged alerts are active; resolved ones are history."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Domain(StrEnum):
    """Which side of the city a subject belongs to."""

    PARKING = "parking"
    SANITATION = "sanitation"


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """The device an alert is about: a space in a zone, or a bin in a district."""

    domain: Domain
    group: str
    device: str

    def path(self) -> str:
        """``parking/Z01/Z01-001``: used in MQTT topics."""
        return f"{self.domain}/{self.group}/{self.device}"


@dataclass(frozen=True, slots=True)
class Condition:
    """What a rule finds true now: an alert of this kind should be active for the subject."""

    kind: AlertKind
    subject: Subject
    detail: str  # the English text API clients read before codes existed (docs/api.md)
    message: Message


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert, as stored and served."""

    kind: AlertKind
    subject: Subject
    opened_at: datetime
    status: AlertStatus
    detail: str
    updated_at: datetime
    resolved_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    # None for alerts stored before details travelled as codes: those show ``detail``.
    message: Message | None = None
    # When an acknowledge was last undone: the store cannot clear the acknowledgement's
    # fields, so an undo is kept as this later time (curbside.domain.alerts.lifecycle.judged).
    unacknowledged_at: datetime | None = None

    @property
    def id(self) -> str:
        """A URL-safe id that encodes the alert's identity."""
        return alert_id(self.kind, self.subject, self.opened_at)

    @property
    def active(self) -> bool:
        """Open or acknowledged: the condition has not ended yet."""
        return self.status is not AlertStatus.RESOLVED


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SEPARATOR = "~"  # registry ids cannot contain it, so an id splits back unambiguously


def alert_id(kind: AlertKind, subject: Subject, opened_at: datetime) -> str:
    """``overstay~parking~Z01~Z01-001~1795737600000``."""
    opened_ms = (opened_at - _EPOCH) // timedelta(milliseconds=1)
    parts = (kind, subject.domain, subject.group, subject.device, str(opened_ms))
    return _SEPARATOR.join(parts)


def parse_alert_id(text: str) -> tuple[AlertKind, Subject, datetime]:
    """The identity encoded in an id; raises ValueError for anything else."""
    parts = text.split(_SEPARATOR)
    if len(parts) != 5 or not parts[4].isdigit() or len(parts[4]) > 15:
        raise ValueError(f"not an alert id: {text[:100]!r}")
    kind, domain, group, device, opened_ms = parts
    subject = Subject(Domain(domain), group, device)
    return AlertKind(kind), subject, _EPOCH + timedelta(milliseconds=int(opened_ms))
