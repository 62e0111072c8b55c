"""The platform's inbound endpoint on SQLite and PostgreSQL: a step signed with the shared
secret is recorded; a forged one (wrong secret, changed body, old timestamp, no signature) is
refused with 401, a replay (the same webhook-id again) with 409, and each refusal is counted."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from api.app import create_app
from api.deps import get_now, get_records
from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.migrate import upgrade
from curbside.config.settings import Settings
from curbside.recorder.cases import CaseRecorder
from curbside.vocabulary.alerts import AlertKind
from tests.records.test_case_records import BIN, CITY, T0, message

pytestmark = pytest.mark.records

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks spec's example
OTHER = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="


@pytest.fixture
def platform(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    upgrade(engine)
    recorder = CaseRecorder(CITY)
    with Session(engine) as db, db.begin():
        alert = recorder.alert_of(message(AlertKind.TILTED, BIN))
        recorder.open_for(db, [alert], T0)
    app = create_app(
        Settings().replace(api_keys_file=tmp_path / "keys.json", handoff_inbound_secret=SECRET),
        CITY,
    )
    app.dependency_overrides[get_records] = lambda: session_factory(engine)
    app.dependency_overrides[get_now] = lambda: T0 + timedelta(hours=1)
    yield TestClient(app), alert.id


def signed(
    body: Mapping[str, object], request_id: str, secret: str = SECRET, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    text = json.dumps(body)
    when = at or datetime.now(UTC)
    return text.encode(), {
        "content-type": "application/json",
        "webhook-id": request_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(request_id, when, text),
    }


def refusals(client: TestClient, reason: str) -> float:
    metrics = client.app.state.metrics.registry  # type: ignore[attr-defined]
    found = metrics.get_sample_value(
        "curbside_api_platform_requests_refused_total", {"reason": reason}
    )
    return float(found or 0)


DISPATCH = {"step": "dispatched", "assignee": "crew-7", "by": "王五", "at": T0.isoformat()}


def test_a_signed_step_is_recorded_and_a_replay_refused(platform: tuple[TestClient, str]) -> None:
    client, case_id = platform
    url = f"/api/v1/platform/cases/{case_id}/events"
    body, headers = signed(DISPATCH, "platform-req-1")
    taken = client.post(url, content=body, headers=headers)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["stage"], taken.json()["event"]["by"]) == (
        "dispatched",
        "王五 via platform",
    )
    again = client.post(url, content=body, headers=headers)
    assert again.status_code == 409 and "already taken" in again.text
    assert refusals(client, "replayed") == 1
    handled, headers = signed({"step": "handled"}, "platform-req-2")
    assert client.post(url, content=handled, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "forge",
    ["wrong-secret", "changed-body", "old-timestamp", "unsigned", "garbage-signature"],
)
def test_forged_requests_are_refused_and_counted(
    platform: tuple[TestClient, str], forge: str
) -> None:
    client, case_id = platform
    url = f"/api/v1/platform/cases/{case_id}/events"
    body, headers = signed(DISPATCH, "platform-req-9")
    if forge == "wrong-secret":
        body, headers = signed(DISPATCH, "platform-req-9", secret=OTHER)
    elif forge == "changed-body":
        body = body.replace(b"crew-7", b"crew-8")
    elif forge == "old-timestamp":
        body, headers = signed(DISPATCH, "r", at=datetime.now(UTC) - timedelta(minutes=6))
    elif forge == "unsigned":
        del headers["webhook-signature"]
    else:
        headers["webhook-signature"] = "v1 nonsense,,"
    refused = client.post(url, content=body, headers=headers)
    assert refused.status_code == 401, refused.text
    assert refusals(client, "forged") == 1
    # Nothing was recorded: the case is still registered.
    assert refusals(client, "replayed") == 0
    ok_body, ok_headers = signed({"step": "handled"}, "platform-req-10")
    assert client.post(url, content=ok_body, headers=ok_headers).status_code == 409  # registered


def test_without_a_secret_the_endpoint_is_closed(engine: Engine, tmp_path: Path) -> None:
    upgrade(engine)
    app = create_app(Settings().replace(api_keys_file=tmp_path / "keys.json"), CITY)
    app.dependency_overrides[get_records] = lambda: session_factory(engine)
    client = TestClient(app)
    body, headers = signed(DISPATCH, "x")
    answer = client.post("/api/v1/platform/cases/any/events", content=body, headers=headers)
    assert answer.status_code == 404 and "is off" in answer.text
    assert refusals(client, "unconfigured") == 1
