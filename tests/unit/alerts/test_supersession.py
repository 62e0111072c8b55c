"""A full bin carries one card: its open overflow prediction is withdrawn, none is raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from curbside.domain.alerts.lifecycle import reconcile
from curbside.domain.alerts.supersession import without_superseded
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Condition, Domain, Subject
from tests.support import SOME_MESSAGE

T0 = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
B1 = Subject(Domain.SANITATION, "D1", "B1")
B2 = Subject(Domain.SANITATION, "D1", "B2")
EVALUATED = frozenset({AlertKind.FULL, AlertKind.OVERFLOW_SOON})


def test_a_full_bin_loses_its_overflow_prediction_and_other_bins_keep_theirs() -> None:
    conditions = [
        Condition(AlertKind.FULL, B1, "fill 99 %", SOME_MESSAGE),
        Condition(AlertKind.OVERFLOW_SOON, B1, "predicted full at 14:00", SOME_MESSAGE),
        Condition(AlertKind.OVERFLOW_SOON, B2, "predicted full at 15:00", SOME_MESSAGE),
        Condition(AlertKind.FIRE, B1, "72 °C", SOME_MESSAGE),
    ]
    kept = without_superseded(conditions)
    assert [(c.kind, c.subject.device) for c in kept] == [
        (AlertKind.FULL, "B1"),
        (AlertKind.OVERFLOW_SOON, "B2"),
        (AlertKind.FIRE, "B1"),
    ]


def test_the_open_prediction_of_a_bin_that_became_full_is_resolved() -> None:
    predicted = Alert(AlertKind.OVERFLOW_SOON, B1, T0, AlertStatus.OPEN, "", updated_at=T0)
    later = T0 + timedelta(hours=1)
    conditions = [
        Condition(AlertKind.FULL, B1, "fill 99 %", SOME_MESSAGE),
        Condition(AlertKind.OVERFLOW_SOON, B1, "predicted full at 10:30", SOME_MESSAGE),
    ]
    changes = reconcile([predicted], without_superseded(conditions), EVALUATED, later)
    assert {(a.kind, a.status) for a in changes} == {
        (AlertKind.FULL, AlertStatus.OPEN),
        (AlertKind.OVERFLOW_SOON, AlertStatus.RESOLVED),
    }
