"""Period reports from the records on SQLite and PostgreSQL, as JSON, CSV and Excel.

The stays are recorded by the recorder from reports whose sessions and fees are simple enough
to count by hand (¥1 per started hour after a 15-minute grace, see test_parking_recorder).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import get_records
from curbside.adapters.access.roles import Role
from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.config.settings import Settings
from curbside.readmodels.reports.parking import parking_report
from curbside.recorder.parking import ParkingRecorder, StatusReport
from tests.records.recorder_process import hourly_tariff
from tests.records.test_parking_recorder import RULES, city
from tests.support import bearer, issue_key

pytestmark = pytest.mark.records

# Wednesday 4 March 2026, 10:00 in Shanghai.
T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
DAY = date(2026, 3, 4)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def report(minutes: float, occupied: bool, space: str) -> StatusReport:
    return StatusReport("Z1", space, at(minutes), occupied, None)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _record_a_day(db: Session) -> None:
    recorder = ParkingRecorder(city(), RULES)
    recorder.record(
        db,
        [
            # S0: 10:00-11:30 (90 min: 2 h charged), then 12:00-12:10 (within the grace: free)
            report(-5, False, "S0"),
            report(0, True, "S0"),
            report(60, True, "S0"),
            report(90, False, "S0"),
            report(120, True, "S0"),
            report(130, False, "S0"),
            # S1: 10:30-11:00 (30 min: 1 h)
            report(20, False, "S1"),
            report(30, True, "S1"),
            report(60, False, "S1"),
            # S2 next day 10:00-10:40 (1 h), flagged: its first report already saw the car
            report(24 * 60, True, "S2"),
            report(24 * 60 + 40, False, "S2"),
        ],
        at(24 * 60 + 60),
    )
    db.commit()


def test_a_day_and_a_range_by_zone_and_for_the_city(db: Session) -> None:
    _record_a_day(db)
    (day,) = parking_report(db, city(), DAY, DAY, group="zone", period="day")
    assert (day.period, day.group, day.sessions, day.billed_fen) == ("2026-03-04", "Z1", 3, 300)
    assert day.mean_stay_s == (90 + 10 + 30) * 60 // 3
    assert day.turnover_per_space == 0.75  # 3 stays, 4 spaces
    assert day.occupancy_rate == round((90 + 10 + 30) * 60 / (4 * 86_400), 4)
    assert (day.adjustments, day.flagged_sessions) == (0, 0)
    (both,) = parking_report(db, city(), DAY, DAY + timedelta(days=1), group="city", period="all")
    assert (both.group, both.sessions, both.billed_fen, both.flagged_sessions) == (
        "city", 4, 400, 1,
    )  # fmt: skip
    weeks = parking_report(db, city(), DAY, DAY + timedelta(days=30), group="city", period="month")
    assert [(r.period, r.sessions) for r in weeks] == [("2026-03", 4)]


def test_a_new_tariff_version_leaves_the_report_unchanged(db: Session) -> None:
    _record_a_day(db)
    before = parking_report(db, city(), DAY, DAY + timedelta(days=1), group="zone", period="day")
    newer = city([hourly_tariff(900) | {"effective_from": "2026-03-01"}])
    recorder = ParkingRecorder(newer, RULES)
    recorder.close_due(db, at(3 * 24 * 60))
    recorder.record(db, [report(0, True, "S0"), report(90, False, "S0")], at(3 * 24 * 60))
    db.commit()
    after = parking_report(db, newer, DAY, DAY + timedelta(days=1), group="zone", period="day")
    assert after == before


def test_late_data_shows_as_an_adjustment(db: Session) -> None:
    _record_a_day(db)
    recorder = ParkingRecorder(city(), RULES)
    # S1 stayed until 11:50 after all (a late heartbeat and departure): 80 min, 2 h.
    recorder.record(
        db, [report(59.5, True, "S1"), report(60.5, True, "S1"), report(110, False, "S1")], at(2000)
    )
    db.commit()
    (day,) = parking_report(db, city(), DAY, DAY, group="zone", period="day")
    assert (day.billed_fen, day.adjustments, day.adjustments_fen) == (400, 1, -100)


@pytest.fixture
def api(db: Session, engine: Engine, tmp_path: Path) -> TestClient:
    keys = tmp_path / "keys.json"
    app = create_app(Settings().replace(api_keys_file=keys), city())
    app.dependency_overrides[get_records] = lambda: session_factory(engine)
    return TestClient(app, headers=bearer(issue_key(keys, Role.ADMIN, name="admin")))


def test_the_api_serves_json_csv_and_excel(db: Session, api: TestClient) -> None:
    _record_a_day(db)
    query = {"start": "2026-03-04", "end": "2026-03-05", "period": "day"}
    body = api.get("/api/v1/reports/parking", params=query).json()
    assert [(r["period"], r["group"], r["sessions"]) for r in body["rows"]] == [
        ("2026-03-04", "Z1", 3), ("2026-03-05", "Z1", 1),
    ]  # fmt: skip
    download = api.get("/api/v1/reports/parking", params=query | {"format": "csv"})
    assert download.headers["content-disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["统计周期", "区域", "停车次数", "计费金额（分）"]
    assert rows[1][:4] == ["2026-03-04", "Z1", "3", "300"]
    excel = api.get("/api/v1/reports/parking", params=query | {"format": "xlsx"})
    book = load_workbook(io.BytesIO(excel.content), read_only=True)
    assert book.sheetnames == ["按区域", "全市合计"]
    total = list(book["全市合计"].iter_rows(values_only=True))
    assert total[0][:3] == ("统计周期", "区域", "停车次数")
    assert [(r[0], r[1], r[2], r[3]) for r in total[1:]] == [
        ("2026-03-04", "全市", 3, 300), ("2026-03-05", "全市", 1, 100),
    ]  # fmt: skip


def test_a_key_sees_only_its_zones_and_a_range_is_bounded(
    db: Session, engine: Engine, tmp_path: Path
) -> None:
    _record_a_day(db)
    keys = tmp_path / "keys.json"
    app = create_app(Settings().replace(api_keys_file=keys), city())
    app.dependency_overrides[get_records] = lambda: session_factory(engine)
    # A key for another zone: the report holds none of Z1's stays, not even in the city row.
    other = issue_key(keys, Role.PARKING_OPERATOR, name="other", zones=["Z9"], districts=[])
    client = TestClient(app, headers=bearer(other))
    query = {"start": "2026-03-04", "end": "2026-03-05", "group": "city"}
    found = client.get("/api/v1/reports/parking", params=query)
    assert found.status_code == 200
    assert found.json()["rows"] == []
    admin = TestClient(app, headers=bearer(issue_key(keys, Role.ADMIN, name="admin")))
    too_long = admin.get(
        "/api/v1/reports/parking", params={"start": "2025-01-01", "end": "2026-03-05"}
    )
    assert too_long.status_code == 422
