"""The alert list's filters and counts: a parking operator's overstays, an area's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from curbside.domain.alerts.lifecycle import acknowledge
from curbside.readmodels.alert_list import AlertFilter, count_active
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject

T0 = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)


def alert(kind: AlertKind, domain: Domain, group: str, device: str, minutes: int = 0) -> Alert:
    at = T0 + timedelta(minutes=minutes)
    return Alert(kind, Subject(domain, group, device), at, AlertStatus.OPEN, "", updated_at=at)


P, S = Domain.PARKING, Domain.SANITATION
ALERTS = [
    alert(AlertKind.OVERSTAY, P, "Z01", "Z01-001"),
    acknowledge(alert(AlertKind.OVERSTAY, P, "Z01", "Z01-002", 1), "op", T0),
    alert(AlertKind.SENSOR_SILENT, P, "Z01", "Z01-003", 2),
    alert(AlertKind.OVERSTAY, P, "Z02", "Z02-001", 3),
    alert(AlertKind.FULL, S, "D1", "B1", 4),
    alert(AlertKind.FIRE, S, "D1", "B2", 5),
]
RESOLVED = Alert(
    AlertKind.OVERSTAY, Subject(P, "Z01", "Z01-009"), T0, AlertStatus.RESOLVED, "", T0, T0
)


def test_an_operator_of_z01_lists_its_unhandled_overstays_only() -> None:
    mine = AlertFilter(statuses=(AlertStatus.OPEN,), kind=AlertKind.OVERSTAY, areas=[(P, "Z01")])
    assert [a.subject.device for a in [*ALERTS, RESOLVED] if mine.matches(a)] == ["Z01-001"]


def test_counts_cover_the_scope_whatever_the_kind_and_status_chosen() -> None:
    scope = AlertFilter(statuses=(AlertStatus.OPEN,), kind=AlertKind.FULL, areas=[(P, "Z01")])
    counts = count_active([*ALERTS, RESOLVED], scope)
    assert counts.active == 3
    assert counts.by_status == {"open": 2, "acknowledged": 1}
    assert counts.by_kind == {"overstay": 2, "sensor_silent": 1}
    assert counts.by_area == {"Z01": 3}
    everywhere = count_active(ALERTS, AlertFilter())
    assert (everywhere.active, everywhere.by_area) == (6, {"D1": 2, "Z01": 3, "Z02": 1})
    district = count_active(ALERTS, AlertFilter(domain=S, group="D1"))
    assert district.by_kind == {"fire": 1, "full": 1}
