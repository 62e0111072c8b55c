"""GET /api/v1/sanitation/bins against a snapshot of known states."""

from __future__ import annotations

from fastapi.testclient import TestClient

from curbside.readmodels.live.state import LiveState

D1_B2_NEVER_SEEN = {
    "bin": "D1-B2",
    "district": "D1",
    "fill_pct": None,
    "last_seen": None,
    "battery_v": None,
    "temp_c": None,
    "tilted": None,
}
D1_B1 = {
    "bin": "D1-B1",
    "district": "D1",
    "fill_pct": 72.5,
    "last_seen": "2026-11-27T07:57:00.000Z",
    "battery_v": 3.3,
    "temp_c": 18.25,
    "tilted": False,
}
D2_B1 = {
    "bin": "D2-B1",
    "district": "D2",
    "fill_pct": None,
    "last_seen": "2026-11-27T07:53:00.000Z",
    "battery_v": 3.1,
    "temp_c": None,
    "tilted": True,
}


def test_every_bin_in_registry_order(client: TestClient) -> None:
    response = client.get("/api/v1/sanitation/bins")
    assert response.status_code == 200
    assert response.json() == [D1_B2_NEVER_SEEN, D1_B1, D2_B1]


def test_bins_of_one_district(client: TestClient) -> None:
    response = client.get("/api/v1/sanitation/bins", params={"district": "D2"})
    assert response.status_code == 200
    assert response.json() == [D2_B1]


def test_unknown_district_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/sanitation/bins", params={"district": "D9"})
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown district 'D9'"}


def test_malformed_district_is_422(client: TestClient) -> None:
    response = client.get("/api/v1/sanitation/bins", params={"district": "D1 OR 1=1"})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", "district"]]


def test_without_a_snapshot_bins_are_503(client: TestClient, live: LiveState) -> None:
    live.snapshot = None
    response = client.get("/api/v1/sanitation/bins")
    assert response.status_code == 503
    assert "not loaded yet" in response.json()["detail"]
