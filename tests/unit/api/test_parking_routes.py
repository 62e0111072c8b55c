"""GET /api/v1/parking/occupancy and /spaces against a snapshot of known states."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from curbside.readmodels.live.state import LiveState


def test_occupancy_lists_every_zone_in_registry_order(client: TestClient) -> None:
    response = client.get("/api/v1/parking/occupancy")
    assert response.status_code == 200
    assert response.json() == [
        {
            "zone": "Z2",
            "name": "Second Road",
            "names": {"zh": "Second Road", "en": "Second Road"},
            "capacity": 1,
            "occupied": 0,
            "free": 0,
            "unknown": 1,
            "occupancy_rate": None,
            "as_of": "2026-11-27T08:00:00.000Z",
        },
        {
            "zone": "Z1",
            "name": "First Road",
            "names": {"zh": "First Road", "en": "First Road"},
            "capacity": 4,
            "occupied": 1,
            "free": 1,
            "unknown": 2,
            "occupancy_rate": 0.5,
            "as_of": "2026-11-27T08:00:00.000Z",
        },
    ]


def test_occupancy_of_one_zone(client: TestClient) -> None:
    response = client.get("/api/v1/parking/occupancy", params={"zone": "Z1"})
    assert response.status_code == 200
    assert [z["zone"] for z in response.json()] == ["Z1"]
    assert response.json()[0]["occupied"] == 1


def test_unknown_zone_is_404_naming_it(client: TestClient) -> None:
    response = client.get("/api/v1/parking/occupancy", params={"zone": "Z99"})
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown zone 'Z99'"}
    response = client.get("/api/v1/parking/spaces", params={"zone": "Z99"})
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown zone 'Z99'"}


@pytest.mark.parametrize("bad", ["Z 1", "Z1'", "", "x" * 65, "Z1;DROP", "区1"])
@pytest.mark.parametrize("path", ["/api/v1/parking/occupancy", "/api/v1/parking/spaces"])
def test_malformed_zone_is_422_naming_the_parameter(
    client: TestClient, path: str, bad: str
) -> None:
    response = client.get(path, params={"zone": bad})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", "zone"]]


def test_spaces_requires_the_zone(client: TestClient) -> None:
    response = client.get("/api/v1/parking/spaces")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "zone"]
    assert error["type"] == "missing"


def test_spaces_of_a_zone_in_registry_order(client: TestClient) -> None:
    response = client.get("/api/v1/parking/spaces", params={"zone": "Z1"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "space": "A-2",
            "zone": "Z1",
            "occupied": False,
            "since": "2026-11-27T05:00:00.000Z",
            "last_seen": "2026-11-27T07:55:00.000Z",
            "battery_v": 3.5,
            "stale": False,
        },
        {
            "space": "A-1",
            "zone": "Z1",
            "occupied": True,
            "since": "2026-11-27T07:20:00.000Z",
            "last_seen": "2026-11-27T07:59:00.000Z",
            "battery_v": 3.61,
            "stale": False,
        },
        {
            "space": "A-3",
            "zone": "Z1",
            "occupied": True,
            "since": "2026-11-27T03:00:00.000Z",
            "last_seen": "2026-11-27T06:00:00.000Z",
            "battery_v": None,
            "stale": True,
        },
        {
            "space": "A-4",
            "zone": "Z1",
            "occupied": None,
            "since": None,
            "last_seen": None,
            "battery_v": None,
            "stale": True,
        },
    ]


def test_without_a_snapshot_data_endpoints_are_503(client: TestClient, live: LiveState) -> None:
    live.snapshot = None
    live.refresh_error = "Unavailable: query failed: ConnectError: connection refused"
    for path in ("/api/v1/parking/occupancy", "/api/v1/parking/spaces?zone=Z1"):
        response = client.get(path)
        assert response.status_code == 503
        detail = response.json()["detail"]
        assert "not loaded yet" in detail
        assert "connection refused" in detail
    # The registry alone decides that a zone does not exist.
    assert client.get("/api/v1/parking/occupancy", params={"zone": "Z99"}).status_code == 404


def test_a_kept_snapshot_is_still_served_while_refreshes_fail(
    client: TestClient, live: LiveState
) -> None:
    live.refresh_error = "Unavailable: boom"
    response = client.get("/api/v1/parking/occupancy", params={"zone": "Z1"})
    assert response.status_code == 200
    assert response.json()[0]["as_of"] == "2026-11-27T08:00:00.000Z"
