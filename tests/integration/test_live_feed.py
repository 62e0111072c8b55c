"""The API following the MQTT stream while a real ingester stores it in the real InfluxDB.

Messages are published while the API runs; what it serves must come to equal what InfluxDB
holds, read back directly (curbside/adapters/influx/latest.py, a fresh reader) as the oracle,
without the
API reading the database in full again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.latest import LatestReader
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from ingest.service import Ingester
from tests.support import admin_client, forget_session, mqtt_client, wait_for

pytestmark = pytest.mark.integration

ZONE = "Z01"
DISTRICT = "D1"


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _ago(now: datetime, minutes: float) -> datetime:
    return now - timedelta(minutes=minutes)


def _json_time(ts: datetime | None) -> str | None:
    # Written out by hand rather than with the API's own formatter.
    if ts is None:
        return None
    return ts.strftime("%Y-%m-%dT%H:%M:%S") + f".{ts.microsecond // 1000:03d}Z"


@contextmanager
def _stack(settings: Settings) -> Iterator[tuple[TestClient, Any]]:
    """A running ingester and API (sharing the demo registry) and a publisher."""
    ingester = Ingester(settings)
    publisher = mqtt_client(settings)
    app_settings = settings.replace(api_refresh_s=0.2)
    app = create_app(app_settings, load_city(settings.city_file))
    ingester.start()
    try:
        with admin_client(app, app_settings) as client:
            wait_for(
                lambda: client.get("/health").json()["broker"]["following"],
                15,
                "the API to follow the sensor topics",
            )
            yield client, publisher
    finally:
        publisher.disconnect()
        publisher.loop_stop()
        ingester.stop()
        forget_session(settings, settings.mqtt.client_id)


def _publish(publisher: Any, topic: str, body: dict[str, Any]) -> None:
    publisher.publish(topic, json.dumps(body).encode(), qos=1).wait_for_publish(10)


def _space(publisher: Any, space: str, occupied: bool, ts: datetime, **extra: Any) -> None:
    body = {"occupied": occupied, "ts": ts.isoformat(), **extra}
    _publish(publisher, f"parking/{ZONE}/{space}/status", body)


def _served(client: TestClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    spaces = client.get("/api/v1/parking/spaces", params={"zone": ZONE}).json()
    bins = client.get("/api/v1/sanitation/bins", params={"district": DISTRICT}).json()
    occupancy = client.get("/api/v1/parking/occupancy", params={"zone": ZONE}).json()
    return (
        [
            {k: s[k] for k in ("space", "occupied", "since", "last_seen", "battery_v")}
            for s in spaces
        ],
        [{k: b[k] for k in ("bin", "fill_pct", "last_seen", "battery_v")} for b in bins],
        occupancy[0]["occupied"],
    )


def _stored(influx: InfluxClient, settings: Settings) -> tuple[Any, Any, int]:
    """What InfluxDB holds now, in the shape the API serves, for the registry's devices."""
    latest = LatestReader(influx, timedelta(seconds=settings.ts_max_age_s)).read()
    city = load_city(settings.city_file)
    [zone] = [z for z in city.parking_zones if z.id == ZONE]
    [district] = [d for d in city.sanitation_districts if d.id == DISTRICT]
    spaces = {s.space: s for s in latest.spaces if s.zone == ZONE}
    bins = {b.bin: b for b in latest.bins if b.district == DISTRICT}
    space_rows = []
    for registered in zone.spaces:
        s = spaces.get(registered.id)
        space_rows.append(
            {
                "space": registered.id,
                "occupied": s.occupied if s else None,
                "since": _json_time(s.since) if s else None,
                "last_seen": _json_time(s.last_seen) if s else None,
                "battery_v": s.battery_v if s else None,
            }
        )
    bin_rows = []
    for registered_bin in district.bins:
        b = bins.get(registered_bin.id)
        bin_rows.append(
            {
                "bin": registered_bin.id,
                "fill_pct": b.fill_pct if b else None,
                "last_seen": _json_time(b.last_seen) if b else None,
                "battery_v": b.battery_v if b else None,
            }
        )
    occupied = sum(1 for s in spaces.values() if s.occupied)
    return space_rows, bin_rows, occupied


def _full_reads(client: TestClient) -> int:
    reads: int = client.app_state["services"].live.full_reads
    return reads


def _row(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    [row] = [r for r in rows if r[key] == value]
    return row


def test_the_api_follows_the_stream_and_equals_what_influxdb_holds(
    settings: Settings, influx: InfluxClient
) -> None:
    now = _now()
    with _stack(settings) as (client, publisher):
        # The reads at start (and after the first connect) are done: from here on, only the
        # stream may change what the API serves.
        live = client.app_state["services"].live
        wait_for(
            lambda: live.snapshot is not None and not live.full_read_pending,
            15,
            "the first full reads",
        )
        reads_before = _full_reads(client)

        _space(publisher, "Z01-001", True, _ago(now, 30), battery_v=3.6)
        _space(publisher, "Z01-001", True, _ago(now, 10))
        _space(publisher, "Z01-002", False, _ago(now, 5), battery_v=3.1)
        _publish(
            publisher,
            f"sanitation/{DISTRICT}/D1-B001/fill",
            {"fill_pct": 40, "ts": _ago(now, 3).isoformat(), "battery_v": 3.3},
        )
        wait_for(
            lambda: (
                _served(client) == _stored(influx, settings)
                and _row(_served(client)[1], "bin", "D1-B001")["fill_pct"] == 40
            ),
            30,
            "the API to serve what InfluxDB holds after the first reports",
        )
        spaces, _, occupied = _served(client)
        assert _row(spaces, "space", "Z01-001")["since"] == _json_time(_ago(now, 30))
        assert occupied == 1

        # Late reports: a vacant one inside Z01-001's occupied run (its run now begins 10
        # minutes ago, which only InfluxDB can tell), an older occupied one for Z01-002
        # (nothing current changes), and a fill level older than the bin's current one.
        _space(publisher, "Z01-001", False, _ago(now, 20), battery_v=2.0)
        _space(publisher, "Z01-002", True, _ago(now, 60))
        _publish(
            publisher,
            f"sanitation/{DISTRICT}/D1-B001/fill",
            {"fill_pct": 90, "ts": _ago(now, 8).isoformat()},
        )
        wait_for(
            lambda: (
                _row(_served(client)[0], "space", "Z01-001")["since"] == _json_time(_ago(now, 10))
            ),
            30,
            "the late vacant report to move Z01-001's since",
        )
        wait_for(
            lambda: _served(client) == _stored(influx, settings),
            30,
            "the API to serve what InfluxDB holds after the late reports",
        )
        spaces, bins, _ = _served(client)
        # The battery comes from the newest point that carries one: the late report's.
        assert _row(spaces, "space", "Z01-001")["battery_v"] == 2.0
        assert _row(spaces, "space", "Z01-002")["occupied"] is False
        assert _row(bins, "bin", "D1-B001")["fill_pct"] == 40

        # An unknown device: refused (and counted) as ingest refuses it; nothing changes.
        rejected_before = (
            client.get("/health").json()["broker"]["rejected"].get("unknown_device", 0)
        )
        served_before = _served(client)
        _space(publisher, "Z01-999", True, _ago(now, 1))
        wait_for(
            lambda: (
                client.get("/health").json()["broker"]["rejected"].get("unknown_device", 0)
                == rejected_before + 1
            ),
            30,
            "the unknown device to be counted as rejected",
        )
        # A report after it, to know the stream went past the rejected one.
        _space(publisher, "Z01-003", True, _ago(now, 1))
        wait_for(
            lambda: _row(_served(client)[0], "space", "Z01-003")["occupied"] is True,
            30,
            "the report after the rejected one",
        )
        spaces, bins, _ = _served(client)
        assert [s for s in spaces if s["space"] != "Z01-003"] == [
            s for s in served_before[0] if s["space"] != "Z01-003"
        ]
        assert bins == served_before[1]
        wait_for(
            lambda: _served(client) == _stored(influx, settings),
            30,
            "the API to serve what InfluxDB holds at the end",
        )
        assert _full_reads(client) == reads_before
