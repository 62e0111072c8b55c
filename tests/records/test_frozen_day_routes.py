"""The API's per-day clearance and collection routes answer from the frozen records.

Readings go into the real InfluxDB, verdicts into the record store (SQLite and PostgreSQL) by the
recorder's clearance part; the routes are asked through the app. Expected verdicts by hand from
docs/clearance.md (as in test_clearance_records.py): B1 emptied at 12:00, before the 20:00
deadline; B2 full all day, its emptying at 15:00 only reported a day late.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import get_now, get_records, get_sanitation_history
from curbside.adapters.access.roles import Role
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.config.settings import Settings
from curbside.domain.sanitation.clearance import ClearanceRules
from curbside.recorder.clearance import ClearanceRecorder
from tests.records.test_clearance_records import DAY, GRACE, city, level, local
from tests.support import bearer, issue_key

pytestmark = pytest.mark.records

QUERY = {"date": DAY.isoformat()}


@pytest.fixture
def clock() -> list[datetime]:
    # The request's "now", moved by the test.
    return [local(21)]


@pytest.fixture
def api(
    db: Session, engine: Engine, influx: InfluxClient, tmp_path: Path, clock: list[datetime]
) -> Iterator[TestClient]:
    keys = tmp_path / "keys.json"
    app = create_app(Settings().replace(api_keys_file=keys), city())
    app.dependency_overrides[get_records] = lambda: session_factory(engine)
    app.dependency_overrides[get_sanitation_history] = lambda: SanitationHistoryReader(influx)
    app.dependency_overrides[get_now] = lambda: clock[0]
    yield TestClient(app, headers=bearer(issue_key(keys, Role.ADMIN, name="admin")))


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def district(body: Any) -> Any:
    (found,) = body["districts"]
    return found


def test_a_late_reading_after_the_freeze_leaves_the_day_at_its_frozen_verdict(
    db: Session, influx: InfluxClient, api: TestClient, clock: list[datetime]
) -> None:
    influx.write(
        [
            level("B1", local(8), 50.0),
            level("B1", local(12), 5.0),
            level("B2", local(9), 60.0),
            level("B2", local(21), 62.0),
        ]
    )
    # Before the freeze the day is judged from the readings, and says so.
    before = api.get("/api/v1/sanitation/clearance", params=QUERY).json()
    assert (before["frozen"], district(before)["frozen"]) == (False, False)
    assert district(before)["not_cleared"] == ["B2"]
    recorder = ClearanceRecorder(city(), SanitationHistoryReader(influx), ClearanceRules(), GRACE)
    assert recorder.freeze_due(db, local(2, 0, day_offset=1)) == [DAY]
    db.commit()
    # The late reading: B2 was emptied at 15:00 after all. Judged from the readings the day
    # would now be fully cleared; the frozen answer keeps B2 not cleared, the correction beside.
    influx.write([level("B2", local(15), 3.0)])
    assert recorder.recheck(db, DAY, local(3, 0, day_offset=2)) == 1
    db.commit()
    clock[0] = local(4, 0, day_offset=2)
    body = api.get("/api/v1/sanitation/clearance", params=QUERY).json()
    found = district(body)
    assert (body["frozen"], body["complete"], found["frozen"]) == (True, True, True)
    assert (found["needed"], found["cleared"], found["not_cleared"]) == (2, 1, ["B2"])
    assert found["clearance_rate"] == 0.5
    (correction,) = found["corrections"]
    assert (correction["bin"], correction["revision"], correction["cleared"]) == ("B2", 1, True)
    assert "cleared false -> true" in correction["reason"]
    assert body["city"]["not_cleared"] == ["B2"]
    # The sanitation report of the day says the same as the day's route.
    report = api.get(
        "/api/v1/reports/sanitation", params={"start": DAY.isoformat(), "end": DAY.isoformat()}
    ).json()
    (row,) = report["rows"]
    assert (row["needed"], row["cleared_on_time"], row["not_cleared"]) == (2, 1, 1)


def test_a_frozen_day_answers_from_the_records_without_the_raw_readings(
    db: Session, influx: InfluxClient, api: TestClient, clock: list[datetime]
) -> None:
    influx.write([level("B1", local(8), 50.0), level("B1", local(12), 5.0)])
    recorder = ClearanceRecorder(city(), SanitationHistoryReader(influx), ClearanceRules(), GRACE)
    assert recorder.freeze_due(db, local(2, 0, day_offset=1)) == [DAY]
    db.commit()
    # The raw readings age out (the retention policy) or are lost: the day is still answered.
    influx.query("DELETE FROM bin_level")
    clock[0] = local(12, 0, day_offset=5)
    collections = api.get("/api/v1/sanitation/collections", params=QUERY).json()
    assert [(c["bin"], parse_time(c["ts"]), c["recorded"]) for c in collections] == [
        ("B1", local(12), True)
    ]
    assert (collections[0]["before_pct"], collections[0]["after_pct"]) == (50.0, 5.0)
    one_bin = api.get(
        "/api/v1/sanitation/collections", params={**QUERY, "district": "D1", "bin": "B2"}
    ).json()
    assert one_bin == []
    found = district(api.get("/api/v1/sanitation/clearance", params=QUERY).json())
    assert (found["frozen"], found["needed"], found["cleared"]) == (True, 1, 1)
    # The day after was never frozen (no recorder ran): it is judged from the readings.
    next_day = {"date": (DAY + timedelta(days=1)).isoformat()}
    later = api.get("/api/v1/sanitation/clearance", params=next_day).json()
    assert (later["frozen"], district(later)["frozen"], district(later)["needed"]) == (
        False,
        False,
        0,
    )
