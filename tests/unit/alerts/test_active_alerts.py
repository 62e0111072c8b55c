"""The active-alerts view (curbside/readmodels/active_alerts.py): loaded once, kept current by
the changes heard on MQTT, and answering like the store's query for active statuses."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from curbside.domain.alerts.document import alert_document, alert_from_document
from curbside.domain.alerts.lifecycle import acknowledge
from curbside.readmodels.active_alerts import ActiveAlerts
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from curbside.vocabulary.messages import Message

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OPEN, ACKED, RESOLVED = AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED


def _alert(kind: AlertKind, domain: Domain, group: str, device: str, minutes: int) -> Alert:
    at = T0 + timedelta(minutes=minutes)
    return Alert(kind, Subject(domain, group, device), at, OPEN, "why", updated_at=at)


OVERSTAY = _alert(AlertKind.OVERSTAY, Domain.PARKING, "Z01", "Z01-001", 0)
FULL = _alert(AlertKind.FULL, Domain.SANITATION, "D01", "D01-B1", 5)
FIRE = _alert(AlertKind.FIRE, Domain.SANITATION, "D02", "D02-B7", 10)


def _resolved(alert: Alert, minutes: int) -> Alert:
    at = alert.updated_at + timedelta(minutes=minutes)
    return replace(alert, status=RESOLVED, resolved_at=at, updated_at=at)


def _loaded(*alerts: Alert) -> ActiveAlerts:
    view = ActiveAlerts(lambda: list(alerts))
    assert asyncio.run(view.reload())
    return view


def test_documents_read_back_into_the_alert_they_describe() -> None:
    acked = acknowledge(FULL, "王师傅 via desk", T0 + timedelta(minutes=7))
    said = replace(FIRE, message=Message("bin.fire", {"temp_c": 75.5, "limit_c": 60}))
    for alert in (OVERSTAY, acked, _resolved(FIRE, 3), said):
        assert alert_from_document(alert_document(alert)) == alert
    assert alert_document(said)["message"] == {
        "code": "bin.fire",
        "params": {"temp_c": 75.5, "limit_c": 60},
    }


def test_a_document_from_before_message_codes_reads_as_an_alert_without_one() -> None:
    older = {k: v for k, v in alert_document(OVERSTAY).items() if k != "message"}
    assert alert_from_document(older) == OVERSTAY and OVERSTAY.message is None


@pytest.mark.parametrize(
    "change",
    [
        {"status": "gone"},
        {"zone": "Z99"},
        {"updated_at": 5},
        {"id": "x"},
        {"detail": None},
        {"message": {"code": "bin.burning", "params": {}}},
        {"message": {"code": "bin.fire", "params": {"temp_c": 75}}},
        {"message": "temperature 75 °C"},
    ],
)
def test_a_document_that_is_not_exactly_an_alert_is_refused(change: dict[str, object]) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        alert_from_document({**alert_document(OVERSTAY), **change})


def test_newest_first_with_every_filter_as_the_store_applies_them() -> None:
    view = _loaded(OVERSTAY, FULL, FIRE)
    both = (OPEN, ACKED)
    assert view.find(statuses=both) == [FIRE, FULL, OVERSTAY]
    assert view.find(statuses=both, limit=2) == [FIRE, FULL]
    assert view.find(statuses=both, domain=Domain.SANITATION, group="D01") == [FULL]
    assert view.find(statuses=both, kind=AlertKind.OVERSTAY) == [OVERSTAY]
    assert view.find(statuses=both, areas=[(Domain.SANITATION, "D02")]) == [FIRE]
    assert view.find(statuses=(ACKED,)) == []


def test_changes_heard_keep_it_current_and_late_old_changes_do_not_undo_them() -> None:
    view = _loaded(OVERSTAY, FULL)
    acked = acknowledge(FULL, "desk", T0 + timedelta(minutes=8))
    view.heard(alert_document(acked))
    view.heard(alert_document(FIRE))
    view.heard(alert_document(_resolved(OVERSTAY, 30)))
    view.heard(alert_document(OVERSTAY))  # the opening, heard again after its resolution
    assert view.find(statuses=(OPEN,)) == [FIRE]
    assert view.find(statuses=(ACKED,)) == [acked]


def test_a_change_heard_during_a_reload_wins_over_what_the_reload_read() -> None:
    reading = threading.Event()
    go_on = threading.Event()

    def slow_load() -> list[Alert]:
        reading.set()
        go_on.wait(10)
        return [OVERSTAY, FULL]  # read before FULL was resolved

    async def scenario() -> ActiveAlerts:
        view = ActiveAlerts(slow_load)
        reload = asyncio.create_task(view.reload())
        await asyncio.to_thread(reading.wait, 10)
        view.heard(alert_document(_resolved(FULL, 1)))
        go_on.set()
        assert await reload
        return view

    assert asyncio.run(scenario()).find(statuses=(OPEN, ACKED)) == [OVERSTAY]


def test_nothing_is_answered_before_the_first_load() -> None:
    view = ActiveAlerts(list)
    view.heard(alert_document(FIRE))
    assert not view.loaded
    with pytest.raises(RuntimeError):
        view.find(statuses=(OPEN,))


def test_a_reload_that_finds_the_same_alerts_keeps_the_version() -> None:
    view = _loaded(OVERSTAY, FULL)
    before = view.version
    assert asyncio.run(view.reload())
    assert view.version is before  # rendered lists stay valid
    view.heard(alert_document(FIRE))
    assert view.version is not before
