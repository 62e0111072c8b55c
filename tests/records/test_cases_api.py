"""The cases API on SQLite and PostgreSQL: each key lists and works the cases of its own
areas; steps out of order, on a case that moved on, or by a key without the right are refused."""

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
from api.deps import get_now, get_records
from curbside.adapters.access.roles import Role
from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.config.settings import Settings
from curbside.recorder.cases import CaseRecorder
from curbside.vocabulary.alerts import AlertKind
from tests.records.test_case_records import BIN, CITY, DISTRICT, MIN, SPACE, T0, ZONE, message
from tests.support import bearer, issue_key

pytestmark = pytest.mark.records


@pytest.fixture
def keys(engine: Engine, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    upgrade(engine)
    recorder = CaseRecorder(CITY)
    with Session(engine) as db, db.begin():
        alerts = [
            recorder.alert_of(message(AlertKind.FULL, BIN)),
            recorder.alert_of(message(AlertKind.OVERSTAY, SPACE)),
        ]
        recorder.open_for(db, alerts, T0)
    file = tmp_path / "keys.json"
    app = create_app(Settings().replace(api_keys_file=file), CITY)
    app.dependency_overrides[get_records] = lambda: session_factory(engine)
    app.dependency_overrides[get_now] = lambda: T0 + 120 * MIN
    tokens = {
        "dispatcher": issue_key(
            file, Role.DISPATCHER, name="desk-1", zones=[], districts=[DISTRICT.id]
        ),
        "operator": issue_key(
            file, Role.PARKING_OPERATOR, name="op-1", zones=[ZONE.id], districts=[]
        ),
        "viewer": issue_key(file, Role.VIEWER, name="wall"),
    }
    yield {name: TestClient(app, headers=bearer(token)) for name, token in tokens.items()}


def _ids(client: TestClient, **query: Any) -> list[str]:
    body = client.get("/api/v1/cases", params=query).json()
    assert body["count"] == len(body["cases"])
    return [c["kind"] for c in body["cases"]]


def test_each_key_lists_the_cases_of_its_own_areas(keys: dict[str, TestClient]) -> None:
    assert _ids(keys["operator"]) == ["overstay"]
    assert _ids(keys["dispatcher"]) == ["full"]
    assert sorted(_ids(keys["viewer"])) == ["full", "overstay"]
    assert _ids(keys["viewer"], kind="full") == ["full"]
    assert _ids(keys["viewer"], stage="closed") == []


def test_a_dispatcher_takes_a_bin_case_through_every_stage(keys: dict[str, TestClient]) -> None:
    desk = keys["dispatcher"]
    case_id = desk.get("/api/v1/cases").json()["cases"][0]["id"]
    url = f"/api/v1/cases/{case_id}/steps"

    def step(body: dict[str, Any]) -> Any:
        return desk.post(url, json=body)

    refused = step({"step": "dispatched"})
    assert refused.status_code == 409 and "assignee" in refused.text
    assert step({"step": "handled"}).status_code == 409  # nobody was dispatched
    at = (T0 + 10 * MIN).isoformat()
    ok = step({"step": "dispatched", "assignee": "T03", "by": "Li", "at": at, "expected_seq": 1})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["stage"], ok.json()["assignee"]) == ("dispatched", "T03")
    # Read before the dispatch: the case moved on.
    stale = step({"step": "handled", "expected_seq": 1})
    assert stale.status_code == 409 and "not 1" in stale.text
    for name in ("handled", "verified", "closed"):
        assert step({"step": name}).status_code == 200
    case = desk.get(f"/api/v1/cases/{case_id}").json()
    assert (case["stage"], case["on_time"], case["verified_by"]) == ("closed", True, "desk-1")
    assert [(e["event"], e["by"]) for e in case["events"]] == [
        ("opened", "curbside"),
        ("dispatched", "Li via desk-1"),
        ("handled", "desk-1"),
        ("verified", "desk-1"),
        ("closed", "desk-1"),
    ]
    assert case["events"][1]["key"] == f"{case_id}#2"


def test_keys_cannot_work_cases_outside_their_areas_or_rights(
    keys: dict[str, TestClient],
) -> None:
    bin_case = keys["dispatcher"].get("/api/v1/cases").json()["cases"][0]["id"]
    body = {"step": "dispatched", "assignee": "T01"}
    assert keys["operator"].post(f"/api/v1/cases/{bin_case}/steps", json=body).status_code == 404
    assert keys["operator"].get(f"/api/v1/cases/{bin_case}").status_code == 404
    assert keys["viewer"].post(f"/api/v1/cases/{bin_case}/steps", json=body).status_code == 403
    future = {**body, "at": (T0 + 200 * MIN).isoformat()}
    assert (
        keys["dispatcher"].post(f"/api/v1/cases/{bin_case}/steps", json=future).status_code == 422
    )
    assert keys["dispatcher"].post("/api/v1/cases/nope/steps", json=body).status_code == 404


def test_the_case_report_over_http(keys: dict[str, TestClient]) -> None:
    query = {"start": "2026-03-04", "end": "2026-03-04"}
    rows = keys["viewer"].get("/api/v1/reports/cases", params=query).json()["rows"]
    # At 11:00 both are due: full's 2 h ran out at 11:00, overstay's 1 h at 10:00; none closed.
    assert [(r["group"], r["kind"], r["opened"], r["due"], r["closed_on_time"]) for r in rows] == [
        (DISTRICT.id, "full", 1, 1, 0),
        (ZONE.id, "overstay", 1, 1, 0),
    ]
    mine = keys["operator"].get("/api/v1/reports/cases", params=query).json()["rows"]
    assert [r["kind"] for r in mine] == ["overstay"]


def test_cases_filter_by_zone_or_district(keys: dict[str, TestClient]) -> None:
    viewer = keys["viewer"]
    assert _ids(viewer, district=DISTRICT.id) == ["full"]
    assert _ids(viewer, zone=ZONE.id) == ["overstay"]
    assert viewer.get("/api/v1/cases", params={"district": "nowhere"}).status_code == 404
    both = viewer.get("/api/v1/cases", params={"zone": ZONE.id, "district": DISTRICT.id})
    assert both.status_code == 422
    # A key may not ask for another's area (as for alerts).
    asked = keys["operator"].get("/api/v1/cases", params={"district": DISTRICT.id})
    assert asked.status_code == 403


def test_a_case_is_over_its_limit_once_open_past_its_deadline(
    keys: dict[str, TestClient],
) -> None:
    viewer = keys["viewer"]
    [case] = viewer.get("/api/v1/cases", params={"kind": "full"}).json()["cases"]
    deadline = datetime.fromisoformat(case["deadline"])
    app: Any = viewer.app
    for now, late in ((deadline, False), (deadline + timedelta(seconds=1), True)):
        app.dependency_overrides[get_now] = lambda now=now: now
        [listed] = viewer.get("/api/v1/cases", params={"kind": "full"}).json()["cases"]
        one = viewer.get(f"/api/v1/cases/{case['id']}").json()
        assert (listed["over_limit"], one["over_limit"]) == (late, late), now
