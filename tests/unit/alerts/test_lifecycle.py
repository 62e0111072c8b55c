"""Alert identity and life cycle: open once, acknowledge, resolve when the condition ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside.domain.alerts.document import alert_document, alert_from_document
from curbside.domain.alerts.lifecycle import AlertResolved, acknowledge, reconcile, unacknowledge
from curbside.vocabulary.alerts import (
    Alert,
    AlertKind,
    AlertStatus,
    Condition,
    Domain,
    Subject,
    alert_id,
    parse_alert_id,
)
from tests.support import SOME_MESSAGE

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SPACE = Subject(Domain.PARKING, "Z01", "Z01-001")
BIN = Subject(Domain.SANITATION, "D1", "D1-B001")
ALL = frozenset(AlertKind)


def test_id_is_readable_and_round_trips() -> None:
    text = alert_id(AlertKind.OVERSTAY, SPACE, T0)
    assert text == "overstay~parking~Z01~Z01-001~1795766400000"
    assert parse_alert_id(text) == (AlertKind.OVERSTAY, SPACE, T0)


@pytest.mark.parametrize(
    "text", ["", "overstay", "overstay~parking~Z01~Z01-001~x", "nope~parking~Z~S~1", "a~b~c~d~e~f"]
)
def test_bad_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_alert_id(text)


ids = st.text(alphabet="abcXYZ019_.-", min_size=1, max_size=12)


@given(st.sampled_from(AlertKind), st.sampled_from(Domain), ids, ids, st.integers(0, 2**41))
def test_any_identity_round_trips(
    kind: AlertKind, domain: Domain, group: str, device: str, ms: int
) -> None:
    opened = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    subject = Subject(domain, group, device)
    assert parse_alert_id(alert_id(kind, subject, opened)) == (kind, subject, opened)


def test_a_new_condition_opens_one_alert() -> None:
    changes = reconcile([], [Condition(AlertKind.OVERSTAY, SPACE, "3 h", SOME_MESSAGE)], ALL, T0)
    assert changes == [
        Alert(
            AlertKind.OVERSTAY,
            SPACE,
            T0,
            AlertStatus.OPEN,
            "3 h",
            updated_at=T0,
            message=SOME_MESSAGE,
        )
    ]


def test_an_active_alert_is_not_opened_again() -> None:
    [opened] = reconcile([], [Condition(AlertKind.OVERSTAY, SPACE, "x", SOME_MESSAGE)], ALL, T0)
    later = T0 + timedelta(minutes=5)
    assert (
        reconcile([opened], [Condition(AlertKind.OVERSTAY, SPACE, "y", SOME_MESSAGE)], ALL, later)
        == []
    )
    acked = acknowledge(opened, "dispatcher-1", later)
    assert (
        reconcile([acked], [Condition(AlertKind.OVERSTAY, SPACE, "y", SOME_MESSAGE)], ALL, later)
        == []
    )


def test_the_same_subject_may_have_alerts_of_different_kinds() -> None:
    conditions = [
        Condition(AlertKind.FULL, BIN, "85 %", SOME_MESSAGE),
        Condition(AlertKind.FIRE, BIN, "70 °C", SOME_MESSAGE),
    ]
    assert {a.kind for a in reconcile([], conditions, ALL, T0)} == {AlertKind.FULL, AlertKind.FIRE}


def test_an_ended_condition_resolves_its_alert() -> None:
    [opened] = reconcile([], [Condition(AlertKind.OVERSTAY, SPACE, "x", SOME_MESSAGE)], ALL, T0)
    later = T0 + timedelta(hours=1)
    [resolved] = reconcile([opened], [], ALL, later)
    assert resolved.status is AlertStatus.RESOLVED
    assert (resolved.opened_at, resolved.resolved_at, resolved.id) == (T0, later, opened.id)


def test_kinds_not_evaluated_are_left_alone() -> None:
    [opened] = reconcile([], [Condition(AlertKind.FULL, BIN, "x", SOME_MESSAGE)], ALL, T0)
    assert reconcile([opened], [], frozenset({AlertKind.OVERSTAY}), T0) == []


def test_after_resolution_a_new_condition_opens_a_new_alert() -> None:
    [opened] = reconcile([], [Condition(AlertKind.OVERSTAY, SPACE, "x", SOME_MESSAGE)], ALL, T0)
    [resolved] = reconcile([opened], [], ALL, T0 + timedelta(hours=1))
    again = T0 + timedelta(hours=2)
    [new] = reconcile(
        [resolved], [Condition(AlertKind.OVERSTAY, SPACE, "x", SOME_MESSAGE)], ALL, again
    )
    assert new.status is AlertStatus.OPEN and new.id != opened.id


def test_acknowledge_records_who_and_when_once() -> None:
    [opened] = reconcile([], [Condition(AlertKind.OVERSTAY, SPACE, "x", SOME_MESSAGE)], ALL, T0)
    first = acknowledge(opened, "wang", T0 + timedelta(minutes=1))
    assert (first.status, first.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, "wang")
    assert first.acknowledged_at == T0 + timedelta(minutes=1)
    assert acknowledge(first, "li", T0 + timedelta(minutes=2)) == first


def test_a_resolved_alert_cannot_be_acknowledged() -> None:
    [opened] = reconcile([], [Condition(AlertKind.OVERSTAY, SPACE, "x", SOME_MESSAGE)], ALL, T0)
    [resolved] = reconcile([opened], [], ALL, T0 + timedelta(hours=1))
    with pytest.raises(AlertResolved):
        acknowledge(resolved, "wang", T0 + timedelta(hours=2))


@given(
    opened=st.datetimes(
        # hypothesis takes naive bounds and makes aware datetimes in ``timezones``
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001
        max_value=datetime(2040, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    acked_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2)),
    undone_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(seconds=10)),
)
def test_every_alert_a_life_makes_reads_back_from_its_document(
    opened: datetime, acked_after: timedelta, undone_after: timedelta
) -> None:
    """The evaluator's and the API's clocks have microseconds; the id, the stored point and
    the MQTT document have milliseconds. Every alert a life makes must read back from its own
    document as JSON (the API's live view drops one that does not: found in a demo, where
    every alert the evaluator published was dropped)."""
    [opened_alert] = reconcile(
        [], [Condition(AlertKind.FIRE, BIN, "hot", SOME_MESSAGE)], ALL, opened
    )
    acked = acknowledge(opened_alert, "desk", opened + acked_after)
    undone = unacknowledge(acked, opened + acked_after + undone_after, timedelta(seconds=10))
    [resolved] = reconcile([undone], [], ALL, opened + acked_after + undone_after)
    for alert in (opened_alert, acked, undone, resolved):
        document = json.loads(json.dumps(alert_document(alert)))
        assert alert_from_document(document) == alert
