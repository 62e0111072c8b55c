"""The fee quote and the tariff listing, on the demo county's tariffs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from curbside.city.registry import load_city
from curbside.config.settings import load_settings
from tests.support import bearer

DEMO = load_city(Path(__file__).parents[3] / "curbside" / "city" / "demo-city.yaml")


@pytest.fixture
def api(keys_file: Path, admin_token: str) -> TestClient:
    # No lifespan: these routes need only the registry. The quote needs no key; tariffs do.
    return TestClient(
        create_app(load_settings(api_keys_file=keys_file), DEMO), headers=bearer(admin_token)
    )


def _quote(api: TestClient, **params: str) -> Any:
    return api.get("/api/v1/parking/fees/quote", params=params)


def test_quote_of_a_weekday_morning_on_a_main_road(api: TestClient) -> None:
    # Wednesday 25 Nov 2026, 09:00-10:10 in Z01 (main-road): 15 free grace minutes are not
    # charged, so 55 min are: the first 30 min at ¥1.00, then 25 min rounded up to one
    # 30-min unit at ¥2.00: ¥3.00.
    response = _quote(
        api, zone="Z01", start="2026-11-25T09:00:00+08:00", end="2026-11-25T10:10:00+08:00"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["zone"], body["tariff"], body["duration_s"]) == ("Z01", "main-road", 4200)
    assert (body["fee"]["fen"], body["fee"]["display"]) == (300, "¥3.00")
    items = body["fee"]["items"]
    assert sum(i["subtotal_fen"] for i in items) - body["fee"]["cap_deduction_fen"] == 300
    assert sorted(i["unit_fen"] for i in items if i["units"]) == [100, 200]


def test_quote_within_grace_is_free(api: TestClient) -> None:
    body = _quote(
        api, zone="Z01", start="2026-11-25T09:00:00+08:00", end="2026-11-25T09:14:00+08:00"
    ).json()
    assert body["fee"]["fen"] == 0 and body["fee"]["grace_applied"] is True


NINE = "2026-11-25T09:00:00+08:00"
TEN = "2026-11-25T10:00:00+08:00"


@pytest.mark.parametrize(
    ("params", "status", "named"),
    [
        ({"zone": "Z99", "start": NINE, "end": TEN}, 404, "Z99"),
        ({"zone": "Z01", "start": "2026-11-25T09:00:00", "end": TEN}, 422, "start"),
        ({"zone": "Z01", "start": TEN, "end": NINE}, 422, "end"),
        ({"zone": "Z01", "start": NINE}, 422, "end"),
        ({"zone": "Z 1", "start": NINE, "end": TEN}, 422, "zone"),
    ],
)
def test_bad_quotes_are_refused_naming_the_problem(
    api: TestClient, params: dict[str, str], status: int, named: str
) -> None:
    response = _quote(api, **params)
    assert response.status_code == status
    assert named in response.text


def test_tariffs_list_each_tariff_with_its_zones(api: TestClient) -> None:
    body = api.get("/api/v1/parking/tariffs").json()
    zones = {t["id"]: t["zones"] for t in body["tariffs"]}
    assert zones == {
        "main-road": ["Z01", "Z02", "Z03", "Z04", "Z05"],
        "secondary": ["Z06", "Z07", "Z08", "Z09", "Z10"],
    }
    main = next(t for t in body["tariffs"] if t["id"] == "main-road")
    assert main["definition"]["cap"] == {"fen": 6000, "window": "24h-from-entry"}
    assert "2026-10-01" in body["workday_calendar"]["holidays"]
