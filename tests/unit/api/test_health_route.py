"""GET /health: ok only with the live feed following the broker and the database answering."""

from __future__ import annotations

from fastapi.testclient import TestClient

from curbside.readmodels.live.state import LiveState
from tests.unit.api.conftest import FakeBroker


def test_healthy(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "broker": {"connected": True, "following": True, "received": 0, "rejected": {}},
        "database": {
            "reachable": True,
            "last_refresh": "2026-11-27T08:00:00.000Z",
            "refresh_error": None,
        },
    }


def test_broker_down_is_degraded(client: TestClient, broker: FakeBroker) -> None:
    broker.connected = False
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["connected"] is False
    assert body["database"]["reachable"] is True


def test_a_feed_the_broker_refused_the_topics_is_degraded(
    client: TestClient, broker: FakeBroker
) -> None:
    broker.following = False
    broker.received, broker.rejected = 7, {"unknown_device": 2}
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["broker"] == {
        "connected": True,
        "following": False,
        "received": 7,
        "rejected": {"unknown_device": 2},
    }


def test_failing_refresh_is_degraded_but_keeps_the_last_refresh(
    client: TestClient, live: LiveState
) -> None:
    live.refresh_error = "Unavailable: query failed (503): timeout"
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "broker": {"connected": True, "following": True, "received": 0, "rejected": {}},
        "database": {
            "reachable": False,
            "last_refresh": "2026-11-27T08:00:00.000Z",
            "refresh_error": "Unavailable: query failed (503): timeout",
        },
    }


def test_no_snapshot_yet_is_degraded(client: TestClient, live: LiveState) -> None:
    live.snapshot = None
    live.refresh_error = "QueryFailed: database not found: curbside"
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == {
        "reachable": False,
        "last_refresh": None,
        "refresh_error": "QueryFailed: database not found: curbside",
    }


def test_root_serves_the_dashboard_which_links_to_the_docs(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in response.text
    assert client.get("/docs").status_code == 200


def test_openapi_lists_each_endpoint_under_its_tag(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    tags = {
        f"{method.upper()} {path}": spec["tags"]
        for path, ops in paths.items()
        for method, spec in ops.items()
    }
    assert tags == {
        "GET /health": ["health"],
        "GET /api/v1/parking/occupancy": ["parking"],
        "GET /api/v1/parking/spaces": ["parking"],
        "GET /api/v1/parking/occupancy/history": ["parking"],
        "GET /api/v1/parking/occupancy/busiest-hours": ["parking"],
        "GET /api/v1/parking/sessions": ["parking"],
        "GET /api/v1/parking/revenue": ["parking"],
        "GET /api/v1/parking/fees/quote": ["parking"],
        "GET /api/v1/parking/tariffs": ["parking"],
        "GET /api/v1/messages": ["messages"],
        "GET /api/v1/sanitation/bins": ["sanitation"],
        "GET /api/v1/sanitation/collections": ["sanitation"],
        "GET /api/v1/sanitation/levels": ["sanitation"],
        "GET /api/v1/sanitation/clearance": ["sanitation"],
        "GET /api/v1/sanitation/worklist": ["sanitation"],
        "GET /api/v1/dispatch/plan": ["dispatch"],
        "GET /api/v1/dispatch/plan/{truck}": ["dispatch"],
        "GET /api/v1/dispatch/progress": ["dispatch"],
        "POST /api/v1/dispatch/replan": ["dispatch"],
        "GET /api/v1/alerts": ["alerts"],
        "GET /api/v1/alerts/stream": ["alerts"],
        "GET /api/v1/alerts/counts": ["alerts"],
        "POST /api/v1/alerts/{alert_id}/ack": ["alerts"],
        "POST /api/v1/alerts/{alert_id}/unacknowledge": ["alerts"],
        "GET /api/v1/cases": ["cases"],
        "GET /api/v1/cases/{case_id}": ["cases"],
        "POST /api/v1/cases/{case_id}/steps": ["cases"],
        "GET /api/v1/reports/cases": ["reports"],
        "POST /api/v1/platform/cases/{case_id}/events": ["platform"],
        "GET /api/v1/reports/parking": ["reports"],
        "GET /api/v1/reports/sanitation": ["reports"],
        "GET /api/v1/city": ["city"],
        "POST /api/v1/parking/plates": ["plates"],
        "GET /api/v1/parking/plates/unbound": ["plates"],
        "GET /api/v1/arrears": ["arrears"],
        "GET /api/v1/driver/charges": ["driver"],
        "POST /api/v1/payments/notifications": ["payments"],
        "GET /api/v1/live/stream": ["live"],
        "GET /api/v1/auth/whoami": ["keys"],
        "GET /api/v1/keys": ["keys"],
        "POST /api/v1/keys": ["keys"],
        "DELETE /api/v1/keys/{key_id}": ["keys"],
    }
