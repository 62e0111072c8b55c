"""Daily clearance verdicts frozen at day close plus grace; late data recorded as corrections.

Readings go into the real InfluxDB (this test's own database); verdicts into the record store
on SQLite and PostgreSQL. Expected verdicts follow docs/clearance.md by hand: a bin above 10 %
needs clearance; a fall of 30 points or more to 15 % or less is a collection.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.influx.schema import to_line
from curbside.adapters.records.migrate import upgrade
from curbside.adapters.records.models import BinCollection, ClearanceVerdict
from curbside.city.registry import City, parse_city
from curbside.domain.sanitation.clearance import ClearanceRules
from curbside.readmodels.reports.sanitation import sanitation_report
from curbside.recorder.clearance import ClearanceRecorder
from curbside.vocabulary.readings import BinLevel

pytestmark = pytest.mark.records

DAY = date(2026, 3, 3)
GRACE = timedelta(hours=2)
# Shanghai is UTC+8: local hh:mm on DAY.
LOCAL = datetime(2026, 3, 3, tzinfo=UTC) - timedelta(hours=8)


def local(hh: int, mm: int = 0, day_offset: int = 0) -> datetime:
    return LOCAL + timedelta(days=day_offset, hours=hh, minutes=mm)


def city() -> City:
    bins = [{"id": b, "capacity_l": 240, "depth_cm": 100, "lat": 0, "lon": 0} for b in ("B1", "B2")]
    return parse_city(
        {"sanitation_districts": [
            {"id": "D1", "name": "d", "clearance_deadline": "20:00", "bins": bins}
        ]}
    )  # fmt: skip


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def level(bin_id: str, at: datetime, pct: float) -> str:
    return to_line(BinLevel("D1", bin_id, fill_pct=pct, ts=at))


def verdicts(db: Session) -> list[ClearanceVerdict]:
    return list(
        db.scalars(
            select(ClearanceVerdict).order_by(ClearanceVerdict.bin, ClearanceVerdict.revision)
        )
    )


def test_a_day_is_frozen_once_and_late_data_is_a_correction(
    db: Session, influx: InfluxClient
) -> None:
    influx.write(
        [
            level("B1", local(8), 50.0),
            level("B1", local(12), 5.0),  # emptied at 12:00, before the 20:00 deadline
            level("B2", local(9), 60.0),  # full, never emptied (as far as anyone knows)
            level("B2", local(21), 62.0),
        ]
    )
    recorder = ClearanceRecorder(city(), SanitationHistoryReader(influx), ClearanceRules(), GRACE)
    # An empty store starts with the day that closed last (plus the grace).
    assert recorder.freeze_due(db, local(2, 0, day_offset=1)) == [DAY]
    db.commit()
    frozen = {(v.bin, v.revision): (v.needed, v.cleared, v.late) for v in verdicts(db)}
    assert frozen == {("B1", 0): (True, True, False), ("B2", 0): (True, False, False)}
    assert db.scalar(select(func.count()).select_from(BinCollection)) == 1
    # Asked again, nothing more is frozen until the next day's close plus the grace.
    assert recorder.freeze_due(db, local(3, 0, day_offset=1)) == []
    assert recorder.freeze_due(db, local(1, 59, day_offset=2)) == []
    # Late data: B2 was emptied at 15:00 after all (the reading arrives a day late).
    influx.write([level("B2", local(15), 3.0)])
    assert recorder.recheck(db, DAY, local(3, 0, day_offset=2)) == 1
    db.commit()
    rows = verdicts(db)
    assert [(v.bin, v.revision, v.cleared) for v in rows] == [
        ("B1", 0, True), ("B2", 0, False), ("B2", 1, True),
    ]  # fmt: skip
    assert rows[2].reason is not None and "cleared false -> true" in rows[2].reason
    # Checking again finds nothing new.
    assert recorder.recheck(db, DAY, local(4, 0, day_offset=2)) == 0
    assert db.scalar(select(func.count()).select_from(BinCollection)) == 2
    # The report of the day shows the frozen verdicts, and counts the correction beside them.
    report = sanitation_report(db, city(), DAY, DAY, group="district", period="day")
    (row,) = report.rows
    assert (row.needed, row.cleared_on_time, row.late, row.not_cleared) == (2, 1, 0, 1)
    assert (row.clearance_rate, row.corrections) == (0.5, 1)
    assert report.collections_by_truck == {"(unknown)": 2}
