"""A simulated working morning end to end, on SQLite and PostgreSQL: alerts published as the
evaluator publishes them open cases in the real recorder through the real broker; some are
closed by the data (an overstay by the recorded end of the stay, a silent sensor by its next
reading, both sent as sensor traffic), the rest by people through the API, a few sent back for
rework; some late. The report's on-time rate equals the one computed from the scenario's own
truth: each case's close against its opening plus its limit.

The truth is independent of Curbside's working-time arithmetic: every case opens between 08:00
and 09:30 on a weekday with limits of at most 2 h, so each deadline is simply the opening plus
the limit inside the 08:00-12:00 working period.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import get_now, get_records
from curbside.adapters.access.roles import Role
from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.models import CaseRecord
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from curbside.domain.alerts.document import alert_document, alert_topic
from curbside.vocabulary.alerts import Alert, AlertKind, AlertStatus, Domain, Subject
from tests.e2e.town import small_city
from tests.records.recorder_process import recording
from tests.records.stream_truth import as_messages
from tests.support import bearer, issue_key, mqtt_client, wait_for

pytestmark = [pytest.mark.records, pytest.mark.e2e]

TZ = ZoneInfo("Asia/Shanghai")
LIMITS_H = {"overstay": 1, "sensor_silent": 2, "tilted": 2, "fire": 1}
MIN = timedelta(minutes=1)


def the_day() -> date:
    """A recent weekday (the intake refuses readings older than 7 days), at least 2 days ago."""
    day = datetime.now(TZ).date() - timedelta(days=2)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class TrueCase:
    alert: Alert
    closed_at: datetime
    by_person: bool
    rework: bool

    @property
    def on_time(self) -> bool:
        return self.closed_at <= self.alert.opened_at + timedelta(hours=LIMITS_H[self.alert.kind])


def scenario(day: date, seed: int) -> list[TrueCase]:
    """40 cases: 10 of each kind, opened 08:00-09:30, closed 10 min to 3 h later."""
    rng = random.Random(seed)
    start = datetime.combine(day, time(8, 0), tzinfo=TZ).astimezone(UTC)
    cases = []
    for n in range(40):
        kind = ("overstay", "sensor_silent", "tilted", "fire")[n % 4]
        if kind in ("overstay", "sensor_silent"):
            subject = Subject(Domain.PARKING, "Z01", f"Z01-{n // 4 * 2 + n % 4 + 1:03d}")
        else:
            subject = Subject(Domain.SANITATION, "D1", f"D1-B{n // 4 + 1:03d}")
        opened = start + rng.randrange(0, 90) * MIN
        closed = opened + rng.randrange(10, 180) * MIN
        alert = Alert(AlertKind(kind), subject, opened, AlertStatus.OPEN, "", updated_at=opened)
        person = kind in ("tilted", "fire")
        cases.append(TrueCase(alert, closed, person, person and rng.random() < 0.3))
    return cases


def sensor_traffic(cases: list[TrueCase]) -> list[tuple[str, bytes]]:
    """What the sensors of the data-verified cases send: an overstaying car arrived 3 h before
    the alert (its sensor beating every 20 min) and leaves at the close; a silent sensor
    reports again at the close."""
    reports = []
    for case in cases:
        subject = case.alert.subject
        if case.alert.kind is AlertKind.OVERSTAY:
            arrived = case.alert.opened_at - 180 * MIN
            reports.append((subject.group, subject.device, arrived - 10 * MIN, False))
            # Heartbeats every 20 min while the car stands there (a silence would end the stay).
            beat = arrived
            while beat < case.closed_at:
                reports.append((subject.group, subject.device, beat, True))
                beat += 20 * MIN
            reports.append((subject.group, subject.device, case.closed_at, False))
        elif case.alert.kind is AlertKind.SENSOR_SILENT:
            reports.append((subject.group, subject.device, case.closed_at, True))
    # The stream moves on past every close (and the debounce), so every stay is settled.
    last = max(c.closed_at for c in cases) + 10 * MIN
    reports.append(("Z02", "Z02-001", last, True))
    return as_messages(sorted(reports, key=lambda r: r[2]))


def person_steps(case: TrueCase) -> list[dict[str, Any]]:
    """Dispatch, handle, (verify failed, handle again,) verify, close: the close at truth."""
    o, c = case.alert.opened_at, case.closed_at
    span = c - o
    steps: list[tuple[str, timedelta]] = [("dispatched", span * 0.1), ("handled", span * 0.4)]
    if case.rework:
        steps += [("rework", span * 0.5), ("handled", span * 0.7)]
    steps += [("verified", span * 0.9), ("closed", span)]
    return [
        {"step": name, "at": (o + offset).isoformat(), "assignee": "crew-1", "by": "巡查员"}
        for name, offset in steps
    ]


def test_a_simulated_morning_reports_the_true_on_time_rate(
    settings: Settings, records_url: str, tmp_path: Path, unique: str
) -> None:
    day = the_day()
    city = small_city() | {
        "workday_calendar": {},  # Monday to Friday, no holidays: the truth's assumption
        "cases": {"kinds": {k: {"limit_h": h} for k, h in LIMITS_H.items()}},
    }
    city_file = tmp_path / "city.yaml"
    city_file.write_text(yaml.safe_dump(city, allow_unicode=True))
    cases = scenario(day, seed=16)
    with recording(settings, records_url, city_file, f"recorder-{unique}") as recorder:
        client = mqtt_client(settings)
        try:
            for case in cases:
                payload = json.dumps(alert_document(case.alert)).encode()
                client.publish(alert_topic(case.alert), payload, qos=1).wait_for_publish(10)
            for topic, payload in sensor_traffic(cases):
                client.publish(topic, payload, qos=1).wait_for_publish(10)
        finally:
            client.disconnect()
            client.loop_stop()
        by_data = [c for c in cases if not c.by_person]

        def closed_by_data() -> int:
            with Session(recorder.engine) as db:
                return len(
                    db.scalars(
                        select(CaseRecord.id).where(CaseRecord.verified_by.like("data:%"))
                    ).all()
                )

        wait_for(lambda: closed_by_data() == len(by_data), 60, "the data to close its cases")
        keys = tmp_path / "keys.json"
        app = create_app(settings.replace(api_keys_file=keys), load_city(city_file))
        app.dependency_overrides[get_records] = lambda: session_factory(recorder.engine)
        evening = datetime.combine(day, time(20, 0), tzinfo=TZ).astimezone(UTC)
        app.dependency_overrides[get_now] = lambda: evening
        api = TestClient(app, headers=bearer(issue_key(keys, Role.ADMIN, name="desk")))
        for case in (c for c in cases if c.by_person):
            for step in person_steps(case):
                taken = api.post(f"/api/v1/cases/{case.alert.id}/steps", json=step)
                assert taken.status_code == 200, taken.text
        query = {"start": day.isoformat(), "end": day.isoformat(), "group": "city"}
        rows = api.get("/api/v1/reports/cases", params=query | {"period": "all"}).json()["rows"]
        detail = {c["id"]: c for c in api.get("/api/v1/cases?stage=all&limit=1000").json()["cases"]}
    # Every case went the whole way, each closed at its true time.
    assert len(detail) == len(cases)
    for case in cases:
        got = detail[case.alert.id]
        assert got["stage"] == "closed"
        assert got["closed_at"] == case.closed_at.isoformat().replace("+00:00", "Z")
        basis = {AlertKind.OVERSTAY: "data:vacated", AlertKind.SENSOR_SILENT: "data:reading"}
        assert got["verified_by"] == basis.get(case.alert.kind, "巡查员 via desk")
        assert got["reworks"] == int(case.rework)
    due = sum(1 for _ in cases)
    on_time = sum(1 for c in cases if c.on_time)
    assert 0 < on_time < due  # some late, some not: the scenario tests both
    assert sum(1 for c in cases if c.rework) > 0
    assert sum(r["due"] for r in rows) == due
    assert sum(r["closed_on_time"] for r in rows) == on_time
    assert sum(r["verified_by_data"] for r in rows) == len(by_data)
    for kind in LIMITS_H:
        mine = [c for c in cases if c.alert.kind == kind]
        (row,) = [r for r in rows if r["kind"] == kind]
        assert row["on_time_rate"] == pytest.approx(sum(c.on_time for c in mine) / len(mine))
        assert row["opened"] == row["closed"] == len(mine)
