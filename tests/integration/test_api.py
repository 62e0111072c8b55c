"""The API against the real InfluxDB and Mosquitto: what it serves is what was written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.schema import to_line
from curbside.city.registry import City, parse_city
from curbside.config.settings import Settings
from curbside.vocabulary.readings import BinLevel, Reading, SpaceStatus
from tests.support import admin_client, wait_for
from tools.harness.ports import free_port

pytestmark = pytest.mark.integration

CITY = parse_city(
    {
        "parking_zones": [
            {
                "id": "Z1",
                "name": "First Road",
                "tariff": "t",
                "spaces": [{"id": f"A-{n}", "lat": 0, "lon": 0} for n in (1, 2, 3, 4)],
            },
            {
                "id": "Z2",
                "name": "Second Road",
                "tariff": "t",
                "spaces": [{"id": "B-1", "lat": 0, "lon": 0}],
            },
        ],
        "sanitation_districts": [
            {
                "id": "D1",
                "name": "East",
                "clearance_deadline": "19:00",
                "bins": [
                    {"id": f"D1-B{n}", "capacity_l": 240, "depth_cm": 100, "lat": 0, "lon": 0}
                    for n in (1, 2)
                ],
            }
        ],
    }
)


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _ago(now: datetime, minutes: float) -> datetime:
    return now - timedelta(minutes=minutes)


def _json_time(ts: datetime) -> str:
    # Written out by hand rather than with the API's own formatter.
    return ts.strftime("%Y-%m-%dT%H:%M:%S") + f".{ts.microsecond // 1000:03d}Z"


def _write(influx: InfluxClient, *readings: Reading) -> None:
    influx.write([to_line(r) for r in readings])


@contextmanager
def _running(settings: Settings, city: City = CITY, **changes: Any) -> Iterator[TestClient]:
    app_settings = settings.replace(api_refresh_s=0.2, space_stale_after_s=3600, **changes)
    # Entering the client runs the lifespan: real InfluxDB client, MQTT link and refresher.
    with admin_client(create_app(app_settings, city), app_settings) as client:
        yield client


def test_endpoints_serve_what_was_written(settings: Settings, influx: InfluxClient) -> None:
    now = _now()
    _write(
        influx,
        SpaceStatus("Z1", "A-1", False, _ago(now, 50), battery_v=3.7),
        SpaceStatus("Z1", "A-1", True, _ago(now, 40), battery_v=3.6),
        SpaceStatus("Z1", "A-1", True, _ago(now, 2)),
        SpaceStatus("Z1", "A-2", False, _ago(now, 30), battery_v=3.2),
        SpaceStatus("Z1", "A-2", False, _ago(now, 10)),
        SpaceStatus("Z1", "A-3", True, _ago(now, 180), battery_v=2.9),  # stale after 1 h
        SpaceStatus("Z1", "A-9", True, _ago(now, 1)),  # not in the registry
        SpaceStatus("Z2", "B-1", True, _ago(now, 20)),
        BinLevel("D1", "D1-B1", 30.0, ts=_ago(now, 30), battery_v=3.3, temp_c=11.5, tilted=False),
        BinLevel("D1", "D1-B1", 62.5, ts=_ago(now, 3)),
    )
    with _running(settings) as client:
        # The first snapshot is loaded before the app reports ready: no waiting here.
        occupancy = client.get("/api/v1/parking/occupancy")
        assert occupancy.status_code == 200
        body = occupancy.json()
        as_of = body[0]["as_of"]
        assert [{k: v for k, v in z.items() if k != "as_of"} for z in body] == [
            {
                "zone": "Z1",
                "name": "First Road",
                "names": {"zh": "First Road", "en": "First Road"},  # a plain name stands for both
                "capacity": 4,
                "occupied": 1,
                "free": 1,
                "unknown": 2,
                "occupancy_rate": 0.5,
            },
            {
                "zone": "Z2",
                "name": "Second Road",
                "names": {"zh": "Second Road", "en": "Second Road"},  # a plain name stands for both
                "capacity": 1,
                "occupied": 1,
                "free": 0,
                "unknown": 0,
                "occupancy_rate": 1.0,
            },
        ]
        assert {z["as_of"] for z in body} == {as_of}
        as_of_time = datetime.fromisoformat(as_of)
        assert now - timedelta(seconds=1) <= as_of_time <= datetime.now(UTC)

        spaces = client.get("/api/v1/parking/spaces", params={"zone": "Z1"})
        assert spaces.status_code == 200
        assert spaces.json() == [
            {
                "space": "A-1",
                "zone": "Z1",
                "occupied": True,
                "since": _json_time(_ago(now, 40)),
                "last_seen": _json_time(_ago(now, 2)),
                "battery_v": 3.6,
                "stale": False,
            },
            {
                "space": "A-2",
                "zone": "Z1",
                "occupied": False,
                "since": _json_time(_ago(now, 30)),
                "last_seen": _json_time(_ago(now, 10)),
                "battery_v": 3.2,
                "stale": False,
            },
            {
                "space": "A-3",
                "zone": "Z1",
                "occupied": True,
                "since": _json_time(_ago(now, 180)),
                "last_seen": _json_time(_ago(now, 180)),
                "battery_v": 2.9,
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

        bins = client.get("/api/v1/sanitation/bins", params={"district": "D1"})
        assert bins.status_code == 200
        assert bins.json() == [
            {
                "bin": "D1-B1",
                "district": "D1",
                "fill_pct": 62.5,
                "last_seen": _json_time(_ago(now, 3)),
                "battery_v": 3.3,
                "temp_c": 11.5,
                "tilted": False,
            },
            {
                "bin": "D1-B2",
                "district": "D1",
                "fill_pct": None,
                "last_seen": None,
                "battery_v": None,
                "temp_c": None,
                "tilted": None,
            },
        ]


def test_healthy_with_broker_and_database(settings: Settings, influx: InfluxClient) -> None:
    with _running(settings) as client:
        # The broker connection is made in the background after start.
        wait_for(lambda: client.get("/health").status_code == 200, 5, "a healthy /health")
        body = client.get("/health").json()
        assert body["status"] == "ok"
        assert body["broker"]["connected"] is True
        assert body["broker"]["following"] is True
        assert body["database"]["reachable"] is True
        assert body["database"]["refresh_error"] is None
        refreshed = datetime.fromisoformat(body["database"]["last_refresh"])
        assert datetime.now(UTC) - refreshed < timedelta(seconds=5)


def test_starts_and_says_why_while_the_database_is_down(settings: Settings) -> None:
    with _running(
        settings, influx_url=f"http://127.0.0.1:{free_port()}", influx_timeout_s=1
    ) as client:
        response = client.get("/api/v1/parking/occupancy")
        assert response.status_code == 503
        assert "not loaded yet" in response.json()["detail"]
        assert client.get("/api/v1/sanitation/bins").status_code == 503
        # Registry questions are still answered.
        assert client.get("/api/v1/parking/spaces", params={"zone": "Z9"}).status_code == 404

        wait_for(lambda: client.get("/health").json()["broker"]["connected"], 5, "the broker link")
        health = client.get("/health")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "degraded"
        assert body["database"]["reachable"] is False
        assert body["database"]["last_refresh"] is None
        assert "Unavailable" in body["database"]["refresh_error"]


def test_serves_data_and_reports_a_broker_that_is_down(
    settings: Settings, influx: InfluxClient
) -> None:
    _write(influx, SpaceStatus("Z2", "B-1", True, _ago(_now(), 3)))
    with _running(settings, mqtt_port=free_port()) as client:
        assert (
            client.get("/api/v1/parking/occupancy", params={"zone": "Z2"}).json()[0]["occupied"]
            == 1
        )
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "degraded"
        assert health.json()["broker"]["connected"] is False
        assert health.json()["broker"]["following"] is False
        assert health.json()["database"]["reachable"] is True
