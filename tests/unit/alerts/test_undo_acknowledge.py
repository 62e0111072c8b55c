"""Undoing an acknowledge: within the window only, and judged right from stored fields that
only ever accumulate (an InfluxDB point merges what is written into it; no field is cleared)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.alerts.lifecycle import (
    AlertResolved,
    UndoRefused,
    acknowledge,
    judged,
    unacknowledge,
    undo_until,
)
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=10)
BIN = Subject(Domain.SANITATION, "D1", "D1-B001")


def _open() -> Alert:
    return Alert(AlertKind.FIRE, BIN, T0, AlertStatus.OPEN, "62 C", updated_at=T0)


def _merged(stored: Alert | None, written: Alert) -> Alert:
    """What InfluxDB holds after ``written`` is saved over ``stored``: a field written
    replaces the old value; a field not written (None) keeps it."""
    if stored is None:
        return written
    return replace(
        stored,
        **{
            f.name: getattr(written, f.name)
            for f in fields(Alert)
            if getattr(written, f.name) is not None
        },
    )


def test_an_acknowledge_undone_in_time_leaves_the_alert_open_with_no_one_on_it() -> None:
    acked = acknowledge(_open(), "ops", T0 + timedelta(seconds=1))
    undone = unacknowledge(acked, T0 + timedelta(seconds=5), WINDOW)
    assert undone.status is AlertStatus.OPEN
    assert (undone.acknowledged_by, undone.acknowledged_at) == (None, None)
    assert undone.updated_at == T0 + timedelta(seconds=5)


def test_undo_is_refused_after_the_window() -> None:
    acked = acknowledge(_open(), "ops", T0)
    unacknowledge(acked, T0 + WINDOW, WINDOW)  # the last moment still counts
    with pytest.raises(UndoRefused, match="has passed"):
        unacknowledge(acked, T0 + WINDOW + timedelta(milliseconds=1), WINDOW)
    assert undo_until(acked, T0 + WINDOW, WINDOW) == T0 + WINDOW
    assert undo_until(acked, T0 + WINDOW + timedelta(milliseconds=1), WINDOW) is None


def test_undo_is_refused_for_an_open_or_resolved_alert() -> None:
    with pytest.raises(UndoRefused, match="not acknowledged"):
        unacknowledge(_open(), T0, WINDOW)
    resolved = replace(acknowledge(_open(), "ops", T0), status=AlertStatus.RESOLVED)
    with pytest.raises(AlertResolved):
        unacknowledge(resolved, T0, WINDOW)


def test_the_stored_point_of_an_undone_acknowledge_reads_back_open() -> None:
    acked = acknowledge(_open(), "ops", T0)
    undone = unacknowledge(acked, T0 + timedelta(seconds=2), WINDOW)
    stored = _merged(_merged(_open(), acked), undone)
    assert stored.acknowledged_by == "ops"  # the store could not clear it ...
    assert judged(stored) == undone  # ... and it does not count


def test_a_stale_resolution_after_an_undo_does_not_bring_the_acknowledge_back() -> None:
    # The evaluator read the alert while acknowledged, then resolves it after the undo.
    acked = acknowledge(_open(), "ops", T0)
    undone = unacknowledge(acked, T0 + timedelta(seconds=2), WINDOW)
    resolved = replace(acked, status=AlertStatus.RESOLVED, resolved_at=T0 + timedelta(seconds=3))
    stored = judged(_merged(_merged(_merged(_open(), acked), undone), resolved))
    assert stored.status is AlertStatus.RESOLVED
    assert stored.acknowledged_by is None


@given(st.lists(st.sampled_from(["ack", "undo"]), max_size=8), st.integers(0, 3))
def test_the_stored_state_is_always_the_latest_change(steps: list[str], gap_ms: int) -> None:
    """Any run of acknowledges and undos, each saved over the last: the point, judged, is the
    alert as the last change left it (also when a re-acknowledge follows within the same
    millisecond)."""
    alert, stored, now = _open(), _open(), T0
    for step in steps:
        now += timedelta(milliseconds=gap_ms)
        try:
            changed = (
                acknowledge(alert, "ops", now)
                if step == "ack"
                else unacknowledge(alert, now, WINDOW)
            )
        except UndoRefused:
            continue
        alert, stored = changed, _merged(stored, changed)
        assert judged(stored).status is alert.status
        assert judged(stored).acknowledged_by == alert.acknowledged_by
