"""Cases in the record store, driven as the recorder drives them: opened by alert documents,
verified by recorded collections, ended stays and fresh readings, escalated when late, and
counted by the case report. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from curbside.adapters.records.case_store import StaleCase, load_case, save_steps
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import (
    BinCollection,
    CaseEventRecord,
    CaseRecord,
    ParkingSession,
)
from curbside.city.registry import City, load_city
from curbside.domain.alerts.document import alert_document
from curbside.domain.cases.workflow import take_step
from curbside.readmodels.reports.cases import case_report
from curbside.recorder.cases import CaseRecorder, NotAnAlert
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from curbside.vocabulary.cases import CaseEventKind

CITY: City = load_city(Path(__file__).parents[2] / "curbside" / "city" / "demo-city.yaml")
TZ = CITY.tz
# Wednesday 4 March 2026, 09:00 in Shanghai: a workday morning (full: 2 working hours).
T0 = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
DISTRICT = CITY.sanitation_districts[0]
BIN = Subject(Domain.SANITATION, DISTRICT.id, DISTRICT.bins[0].id)
OTHER_BIN = Subject(Domain.SANITATION, DISTRICT.id, DISTRICT.bins[1].id)
ZONE = CITY.parking_zones[0]
SPACE = Subject(Domain.PARKING, ZONE.id, ZONE.spaces[0].id)


def message(kind: AlertKind, subject: Subject, at: datetime = T0, status: str = "open") -> bytes:
    alert = Alert(kind, subject, at, AlertStatus(status), "detail", updated_at=at)
    return json.dumps(alert_document(alert)).encode()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    upgrade(engine)
    with Session(engine) as session:
        yield session


def open_alerts(db: Session, *payloads: bytes, now: datetime = T0) -> int:
    recorder = CaseRecorder(CITY)
    with db.begin():
        return recorder.open_for(db, [recorder.alert_of(p) for p in payloads], now)


def events(db: Session, case_id: str) -> list[tuple[str, str, str | None]]:
    rows = db.scalars(
        select(CaseEventRecord).where(CaseEventRecord.case_id == case_id).order_by("seq")
    )
    return [(r.kind, r.by, r.basis) for r in rows]


def test_alerts_open_cases_once_and_only_for_the_kinds_the_policy_names(db: Session) -> None:
    full = message(AlertKind.FULL, BIN)
    assert open_alerts(db, full, message(AlertKind.OVERFLOW_SOON, OTHER_BIN)) == 1
    # The same alert heard again (redelivered, acknowledged, ...) opens nothing new.
    assert open_alerts(db, full, message(AlertKind.FULL, BIN, status="acknowledged")) == 0
    # An alert resolved before the recorder heard it open is no one's work.
    assert open_alerts(db, message(AlertKind.FIRE, OTHER_BIN, status="resolved")) == 0
    assert db.scalar(select(func.count()).select_from(CaseRecord)) == 1
    case = db.scalars(select(CaseRecord)).one()
    assert (case.kind, case.stage, case.area, case.device) == (
        "full",
        "registered",
        BIN.group,
        BIN.device,
    )
    assert case.deadline == T0 + timedelta(hours=2)
    assert events(db, case.id) == [("opened", "curbside", None)]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"id": "full~sanitation~D99~nope~1772586000000", "status": "open"}',  # no such bin
        b'{"id": "full~sanitation", "status": "open"}',
        b'{"id": "full~sanitation~D01~B1~1", "status": "maybe"}',
        b'{"id": "full~sanitation~D01~B1~1"}',
    ],
    ids=["not-json", "unknown-bin", "short-id", "bad-status", "no-status"],
)
def test_anything_else_on_alerts_is_refused_with_a_reason(payload: bytes) -> None:
    with pytest.raises(NotAnAlert):
        CaseRecorder(CITY).alert_of(payload)


def test_a_recorded_collection_verifies_and_closes_a_bin_case(db: Session) -> None:
    open_alerts(db, message(AlertKind.FULL, BIN), message(AlertKind.FULL, OTHER_BIN))
    recorder = CaseRecorder(CITY)
    with db.begin():
        for subject, ts in [(BIN, T0 - MIN), (OTHER_BIN, T0 + 30 * MIN)]:
            db.add(
                BinCollection(
                    district=subject.group, bin=subject.device, ts=ts, source="fill",
                    truck="T01", before_pct=95.0, after_pct=3.0, recorded_at=T0,
                )
            )  # fmt: skip
    with db.begin():
        assert recorder.verify_by_records(db, T0 + 31 * MIN) == 1
    cases = {c.device: c for c in db.scalars(select(CaseRecord))}
    # Emptied before the alert opened: that is not what the case is about.
    assert cases[BIN.device].stage == "registered"
    closed = cases[OTHER_BIN.device]
    assert (closed.stage, closed.closed_at, closed.verified_by) == (
        "closed",
        T0 + 30 * MIN,
        "data:collection",
    )
    assert events(db, closed.id) == [
        ("opened", "curbside", None),
        ("verified", "curbside", "data:collection"),
        ("closed", "curbside", None),
    ]


def test_the_recorded_end_of_the_stay_ends_an_overstay_case(db: Session) -> None:
    open_alerts(db, message(AlertKind.OVERSTAY, SPACE))
    recorder = CaseRecorder(CITY)
    with db.begin():
        db.add(
            ParkingSession(
                zone=SPACE.group, space=SPACE.device, start=T0 - 3 * 60 * MIN,
                end=T0 + 20 * MIN, last_confirmed=T0, flags="", status="closed",
                end_day=date(2026, 3, 4), duration_s=11_400, revision=0, recorded_at=T0,
                revised_at=T0,
            )
        )  # fmt: skip
    with db.begin():
        assert recorder.verify_by_records(db, T0 + 21 * MIN) == 1
    case = db.scalars(select(CaseRecord)).one()
    assert (case.stage, case.verified_by, case.closed_at) == (
        "closed",
        "data:vacated",
        T0 + 20 * MIN,
    )


def test_a_fresh_reading_ends_a_silent_sensors_case(db: Session) -> None:
    open_alerts(db, message(AlertKind.SENSOR_SILENT, BIN), message(AlertKind.TILTED, OTHER_BIN))
    recorder = CaseRecorder(CITY)
    with db.begin():
        heard = {BIN: T0 - MIN, OTHER_BIN: T0 + MIN}
        assert recorder.verify_by_readings(db, heard, T0 + MIN) == 0  # a reading from before
    with db.begin():
        heard = {BIN: T0 + 5 * MIN, OTHER_BIN: T0 + 5 * MIN}
        assert recorder.verify_by_readings(db, heard, T0 + 5 * MIN) == 1
    stages = {c.kind: c.stage for c in db.scalars(select(CaseRecord))}
    # A tilted bin needs a person: a reading says nothing about whether it was set upright.
    assert stages == {"sensor_silent": "closed", "tilted": "registered"}


def test_late_cases_are_escalated_once(db: Session) -> None:
    open_alerts(db, message(AlertKind.FULL, BIN))
    recorder = CaseRecorder(CITY)
    deadline = T0 + timedelta(hours=2)
    with db.begin():
        assert recorder.escalate_late(db, deadline) == []
    with db.begin():
        assert [c.subject for c in recorder.escalate_late(db, deadline + MIN)] == [BIN]
    with db.begin():
        assert recorder.escalate_late(db, deadline + 60 * MIN) == []
    case = db.scalars(select(CaseRecord)).one()
    assert case.escalated_at == deadline + MIN
    assert events(db, case.id)[-1] == ("escalated", "curbside", "supervisor")


def test_a_step_from_a_state_that_moved_on_is_refused(db: Session) -> None:
    open_alerts(db, message(AlertKind.TILTED, BIN))
    case_id = db.scalars(select(CaseRecord.id)).one()
    db.rollback()
    first, second = load_case(db, case_id), load_case(db, case_id)
    assert first is not None and second is not None
    db.rollback()
    with db.begin():
        step = take_step(first, CaseEventKind.DISPATCHED, T0 + MIN, "dispatcher", "crew-1")
        save_steps(db, first, [step], TZ, T0 + MIN)
    with pytest.raises(StaleCase), db.begin():
        step = take_step(second, CaseEventKind.DISPATCHED, T0 + 2 * MIN, "other", "crew-2")
        save_steps(db, second, [step], TZ, T0 + 2 * MIN)
    kept = load_case(db, case_id)
    assert kept is not None and (kept.assignee, kept.last_seq) == ("crew-1", 2)
    assert [kind for kind, _, _ in events(db, case_id)] == ["opened", "dispatched"]


def test_the_case_report_counts_by_hand(db: Session) -> None:
    # Four full cases on Wednesday 4 March at 09:00 (deadline 11:00):
    #   BIN:   dispatched 09:10, handled 09:40, verified 10:00, closed 10:30 -> on time
    #   OTHER: closed by a collection at 12:30 -> late (escalated at 11:05 first)
    #   B3:    still open at 13:00 -> due (past its deadline), not on time
    #   B4:    opened at 12:30, in the lunch break (deadline 16:00) -> not due yet at 13:00
    b3 = Subject(Domain.SANITATION, DISTRICT.id, DISTRICT.bins[2].id)
    b4 = Subject(Domain.SANITATION, DISTRICT.id, DISTRICT.bins[3].id)
    open_alerts(
        db,
        message(AlertKind.FULL, BIN),
        message(AlertKind.FULL, OTHER_BIN),
        message(AlertKind.FULL, b3),
        message(AlertKind.FULL, b4, T0 + 210 * MIN),
    )
    recorder = CaseRecorder(CITY)
    case = load_case(db, Alert(AlertKind.FULL, BIN, T0, AlertStatus.OPEN, "", T0).id)
    assert case is not None
    db.rollback()  # load_case began a transaction
    for kind, minutes, by in [
        (CaseEventKind.DISPATCHED, 10, "dispatcher"),
        (CaseEventKind.HANDLED, 40, "crew-1"),
        (CaseEventKind.VERIFIED, 60, "inspector"),
        (CaseEventKind.CLOSED, 90, "dispatcher"),
    ]:
        with db.begin():
            step = take_step(case, kind, T0 + minutes * MIN, by, "crew-1")
            save_steps(db, case, [step], TZ, T0 + minutes * MIN)
            case = step[0]
    with db.begin():
        recorder.escalate_late(db, T0 + 125 * MIN)
        db.add(
            BinCollection(
                district=OTHER_BIN.group, bin=OTHER_BIN.device, ts=T0 + 210 * MIN,
                source="fill", truck="T01", before_pct=99.0, after_pct=2.0, recorded_at=T0,
            )
        )  # fmt: skip
    with db.begin():
        recorder.verify_by_records(db, T0 + 211 * MIN)
    day = date(2026, 3, 4)
    rows = case_report(db, TZ, day, day, T0 + 240 * MIN, group="area", period="day")
    assert len(rows) == 1
    row = rows[0]
    assert (row.period, row.group, row.kind) == ("2026-03-04", DISTRICT.id, "full")
    assert (row.opened, row.closed, row.due, row.closed_on_time) == (4, 2, 3, 1)
    assert row.on_time_rate == pytest.approx(1 / 3)
    assert (row.escalated, row.verified_by_data) == (2, 1)
    # Stage means over the two closed cases: registered 10 min (BIN) and 210 min (OTHER,
    # verified by data straight from registered); verified 30 min (BIN) and 0 (OTHER: the
    # data verifies and closes at once); dispatched and handled only BIN's.
    assert row.mean_stage_s == {
        "registered": (10 + 210) / 2 * 60,
        "dispatched": 30 * 60,
        "handled": 20 * 60,
        "verified": (30 + 0) / 2 * 60,
    }
    # A zone-less key sees nothing; the city grouping sums the same cases.
    assert case_report(db, TZ, day, day, T0, group="area", period="day", areas=[]) == []
    city = case_report(db, TZ, day, day, T0 + 240 * MIN, group="city", period="all")
    assert [(r.group, r.opened, r.due) for r in city] == [("city", 4, 3)]
