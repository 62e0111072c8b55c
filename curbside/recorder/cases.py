"""The recorder's cases: opened by alerts, verified by the data it records, escalated when
late (docs/cases.md).

Why the recorder: it already follows the stream on a persistent QoS 1 session and
acknowledges a message only after what it produced is committed, and it owns the record
database. Alert changes (``alerts/#``, published by the evaluator at QoS 1) come through the
same session, so an alert that opens a case is never lost while the recorder is away, and
the facts that verify a case (stays ended, collections, readings) are its own records. It
judges time at the stream's clock, as it does for sessions, so a replayed day gives the same
cases.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from curbside.adapters.records import case_store as store
from curbside.city.registry import City
from curbside.domain.cases.verification import Fact, FactKind, verifies
from curbside.domain.cases.workflow import escalate, open_case, verify_by_data
from curbside.vocabulary.alerts import (
    Alert,
    AlertKind,
    AlertStatus,
    Domain,
    Subject,
    parse_alert_id,
)
from curbside.vocabulary.cases import Case
from curbside.vocabulary.outbox import Channel

log = logging.getLogger(__name__)


class NotAnAlert(ValueError):
    """A message on alerts/ that is not an alert document of a known device."""


class CaseRecorder:
    """Opens, verifies and escalates cases inside the recorder's transactions."""

    def __init__(self, city: City, channels: Collection[Channel] = ()) -> None:
        self._city = city
        # Where each case event is handed off (queued in the outbox with the event).
        self._channels = tuple(channels)
        self._policy = city.cases
        self._tz = city.tz

    def alert_of(self, payload: bytes) -> Alert:
        """The alert a message on alerts/ announces; :class:`NotAnAlert` for anything else."""
        try:
            document = json.loads(payload)
            kind, subject, opened_at = parse_alert_id(str(document["id"]))
            status = AlertStatus(document["status"])
        except RecursionError:
            # Not chained: a traceback that deep is of no use to anyone.
            raise NotAnAlert("not an alert document: nested too deep") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise NotAnAlert(f"not an alert document: {exc}") from exc
        known = (
            self._city.space(subject.group, subject.device)
            if subject.domain is Domain.PARKING
            else self._city.bin(subject.group, subject.device)
        )
        if known is None:
            raise NotAnAlert(f"no such device in the registry: {subject.path()}")
        return Alert(kind, subject, opened_at, status, "", updated_at=opened_at)

    def open_for(self, db: Session, alerts: Iterable[Alert], now: datetime) -> int:
        """Open a case for each active alert of a kind the policy names; how many opened."""
        opened = 0
        for alert in alerts:
            if not alert.active:
                continue  # an alert resolved before we heard it open is no one's work
            step = open_case(alert, self._policy, self._city.workday_calendar, self._tz)
            if step is not None and store.add_case(
                db, *step, self._tz, now, channels=self._channels
            ):
                opened += 1
        return opened

    def verify_by_readings(
        self, db: Session, newest: Mapping[Subject, datetime], now: datetime
    ) -> int:
        """Verify silent-sensor cases by a fresh reading (``newest`` reading per device)."""
        if not newest:
            return 0
        found = [
            (case, Fact(FactKind.READING, case.subject, newest[case.subject]))
            for case in store.open_cases(db, [AlertKind.SENSOR_SILENT])
            if case.subject in newest
        ]
        return self._settle(db, found, now)

    def verify_by_records(self, db: Session, now: datetime) -> int:
        """Verify bin cases by a recorded collection, overstays by the recorded end of the
        stay; how many closed."""
        found: list[tuple[Case, Fact]] = []
        for case in store.open_cases(
            db, [AlertKind.FULL, AlertKind.NOT_CLEARED, AlertKind.OVERSTAY]
        ):
            area, device = case.subject.group, case.subject.device
            if case.kind is AlertKind.OVERSTAY:
                ended = store.stay_end_after(db, area, device, case.opened_at)
                kind = FactKind.VACATED
            else:
                ended = store.first_collection_after(db, area, device, case.opened_at)
                kind = FactKind.COLLECTION
            if ended is not None:
                found.append((case, Fact(kind, case.subject, ended)))
        return self._settle(db, found, now)

    def escalate_late(self, db: Session, now: datetime) -> list[Case]:
        """Escalate every case past its deadline and not closed, once; the cases escalated."""
        escalated = []
        for case in store.open_cases(db):
            step = escalate(case, now)
            if step is not None:
                store.save_steps(db, case, [step], self._tz, now, channels=self._channels)
                escalated.append(step[0])
        return escalated

    def _settle(self, db: Session, found: Iterable[tuple[Case, Fact]], now: datetime) -> int:
        closed = 0
        for case, fact in found:
            if verifies(fact, case):
                steps = verify_by_data(case, fact.basis, fact.at)
                store.save_steps(db, case, steps, self._tz, now, channels=self._channels)
                closed += 1
        return closed
