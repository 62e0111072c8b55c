"""GET /api/v1/city: the registry's layout, and the dashboard's files served beside it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.unit.api.conftest import make_city


def test_city_lists_every_zone_district_and_place_in_registry_order(client: TestClient) -> None:
    response = client.get("/api/v1/city")
    assert response.status_code == 200
    body = response.json()
    city = make_city()
    assert (body["name"], body["timezone"]) == ("示范县 Curbside demo county", "Asia/Shanghai")
    assert body["names"] == {"zh": "示范县", "en": "Curbside demo county"}
    assert [(z["id"], z["name"], z["tariff"]) for z in body["zones"]] == [
        (z.id, str(z.name), z.tariff) for z in city.parking_zones
    ]
    # Names given as plain text (in no stated language) stand for both languages.
    assert body["zones"][0]["names"] == {"zh": "Second Road", "en": "Second Road"}
    assert body["tariffs"] == [
        {"id": "t", "names": {"zh": "t", "en": "t"}, "bands": {}}  # no tariffs: ids stand in
    ]
    assert [[(s["id"], s["lat"], s["lon"]) for s in z["spaces"]] for z in body["zones"]] == [
        [(s.id, s.lat, s.lon) for s in z.spaces] for z in city.parking_zones
    ]
    assert [(d["id"], d["clearance_deadline"]) for d in body["districts"]] == [
        ("D1", "19:00"),
        ("D2", "19:00"),
    ]
    assert [[b["id"] for b in d["bins"]] for d in body["districts"]] == [
        ["D1-B2", "D1-B1"],
        ["D2-B1"],
    ]
    assert [(t["id"], t["lat"], t["lon"]) for t in body["stations"]] == [
        (t.id, t.lat, t.lon) for t in city.transfer_stations
    ]


def test_every_asset_the_page_names_is_served(client: TestClient) -> None:
    page = client.get("/").text
    assets = re.findall(r'(?:src|href)="(/dashboard/[^"]+)"', page)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/dashboard/no-such-file.js").status_code == 404
