"""The audit recomputes a day from the raw readings in InfluxDB and finds where the records
differ: none when the recorder recorded the same readings, and exactly the edit made behind
its back when someone changed a record; a late reading shows until it is corrected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.influx.schema import to_line
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import Charge
from curbside.domain.sanitation.clearance import ClearanceRules
from curbside.recorder.audit import Difference, audit_clearance, audit_parking
from curbside.recorder.clearance import ClearanceRecorder
from curbside.recorder.parking import ParkingRecorder, StatusReport
from curbside.vocabulary.readings import SpaceStatus
from tests.records.test_clearance_records import DAY as CLEARANCE_DAY
from tests.records.test_clearance_records import GRACE, level, local
from tests.records.test_clearance_records import city as district_city
from tests.records.test_parking_recorder import RULES, city

pytestmark = pytest.mark.records

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DAY = date(2026, 3, 4)
STREAM = [
    ("S0", -5, False), ("S0", 0, True), ("S0", 60, True), ("S0", 90, False),
    ("S1", 20, False), ("S1", 30, True), ("S1", 70, True), ("S1", 200, False),
    ("S2", 100, True), ("S2", 160, True), ("S2", 170, False),
]  # fmt: skip


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def test_records_of_the_same_readings_agree_and_an_edit_is_found(
    db: Session, influx: InfluxClient
) -> None:
    reports = [
        StatusReport("Z1", space, T0 + timedelta(minutes=m), occupied, None)
        for space, m, occupied in STREAM
    ]
    influx.write([to_line(SpaceStatus(r.zone, r.space, r.occupied, ts=r.ts)) for r in reports])
    ParkingRecorder(city(), RULES).record(db, reports, T0 + timedelta(hours=5))
    db.commit()
    history = HistoryReader(influx, RULES, RULES.silent_after)
    later = T0 + timedelta(days=2)
    assert audit_parking(db, history, city(), DAY, later) == []
    # Someone edits a charge in place: the audit names it.
    first = select(Charge.id, Charge.amount_fen).order_by(Charge.id).limit(1)
    charge_id, amount = db.execute(first).one()
    db.execute(update(Charge).where(Charge.id == charge_id).values(amount_fen=amount + 100))
    db.commit()
    (difference,) = audit_parking(db, history, city(), DAY, later)
    assert (difference.kind, difference.recorded) == ("charge", f"{amount + 100} fen")
    assert difference.derived == f"{amount} fen"


def test_a_late_reading_differs_until_corrected(db: Session, influx: InfluxClient) -> None:
    influx.write([level("B1", local(8), 50.0), level("B1", local(12), 5.0)])
    influx.write([level("B2", local(9), 60.0), level("B2", local(21), 62.0)])
    history = SanitationHistoryReader(influx)
    recorder = ClearanceRecorder(district_city(), history, ClearanceRules(), GRACE)
    recorder.freeze_due(db, local(2, 0, day_offset=1))
    db.commit()

    def audit() -> list[Difference]:
        return audit_clearance(db, history, district_city(), CLEARANCE_DAY, ClearanceRules())

    assert audit() == []
    influx.write([level("B2", local(15), 3.0)])
    (difference,) = audit()
    assert (difference.kind, difference.where) == ("verdict", "D1/B2")
    recorder.recheck(db, CLEARANCE_DAY, local(3, 0, day_offset=2))
    db.commit()
    assert audit() == []
