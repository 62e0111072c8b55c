"""Alerts stored in the real InfluxDB: saved, changed in place, found by filter and by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.domain.alerts.lifecycle import acknowledge, reconcile
from curbside.vocabulary.alerts import AlertKind, AlertStatus, Condition, Domain, Subject
from tests.support import SOME_MESSAGE

pytestmark = pytest.mark.integration

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
SPACE = Subject(Domain.PARKING, "Z01", "Z01-001")
BIN = Subject(Domain.SANITATION, "D1", "D1-B001")
ALL = frozenset(AlertKind)


def test_alerts_survive_in_the_database_and_change_in_place(influx: InfluxClient) -> None:
    store = AlertStore(influx)
    conditions = [
        Condition(AlertKind.OVERSTAY, SPACE, "parked 3 h 10 min, limit 2 h", SOME_MESSAGE),
        Condition(AlertKind.FULL, BIN, "fill 85 %", SOME_MESSAGE),
    ]
    opened = reconcile([], conditions, ALL, T0)
    store.save(opened)
    assert sorted(a.id for a in AlertStore(influx).active()) == sorted(a.id for a in opened)

    overstay = next(a for a in opened if a.kind is AlertKind.OVERSTAY)
    acked = acknowledge(overstay, "dispatcher wang", T0 + timedelta(minutes=3))
    store.save([acked])
    assert store.get(overstay.id) == acked

    resolved = reconcile(store.active(), [conditions[1]], ALL, T0 + timedelta(minutes=30))
    store.save(resolved)
    final = store.get(overstay.id)
    assert final is not None
    assert final.status is AlertStatus.RESOLVED
    assert final.acknowledged_by == "dispatcher wang"  # history keeps who acknowledged
    assert final.resolved_at == T0 + timedelta(minutes=30)
    assert [a.kind for a in store.active()] == [AlertKind.FULL]
    assert [a.id for a in store.find(domain=Domain.SANITATION)] == [
        a.id for a in opened if a.kind is AlertKind.FULL
    ]
    assert [a.id for a in store.find(statuses=[AlertStatus.RESOLVED])] == [overstay.id]
    assert store.find(kind=AlertKind.FIRE) == []
    assert store.get("overstay~parking~Z01~Z01-001~1") is None
    assert store.get("not an id") is None
