"""The collection plan through the real API, InfluxDB and Mosquitto: the plan made from the
stored fill levels, each truck's route retained on its topic under its account's ACL.

Expected distances are worked out by hand from the stated travel model (docs/dispatch.md:
great-circle distance on a 6,371 km sphere × 1.4).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from api.app import create_app
from api.deps import get_now
from curbside.adapters.access.roles import Role
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.schema import to_line
from curbside.adapters.influx.truck_positions import latest_positions
from curbside.adapters.mqtt.client import new_client
from curbside.adapters.provisioning.changes import add_devices
from curbside.adapters.provisioning.devices import Device
from curbside.adapters.provisioning.store import BrokerFiles, broker_dir
from curbside.city.registry import parse_city
from curbside.config.settings import Settings
from curbside.vocabulary.readings import BinLevel
from tests.support import (
    access_as,
    admin_client,
    bearer,
    issue_key,
    mqtt_client,
    reload_and_wait,
    wait_for,
)

pytestmark = pytest.mark.integration

# B1 and B2 due north of the station on its meridian, 0.002° and 0.004° away; B3 0.002° east.
CITY = parse_city(
    {
        "timezone": "Asia/Shanghai",
        "sanitation_districts": [
            {
                "id": "D1",
                "name": "North",
                "clearance_deadline": "19:00",
                "bins": [
                    {"id": f"B{n}", "capacity_l": 240, "depth_cm": 100, "lat": lat, "lon": lon}
                    for n, lat, lon in (
                        (1, 29.872, 121.54),
                        (2, 29.874, 121.54),
                        (3, 29.87, 121.542),
                    )
                ],
            }
        ],
        "transfer_stations": [{"id": "S1", "name": "North", "lat": 29.87, "lon": 121.54}],
        "trucks": [{"id": "T03", "station": "S1"}],
    }
)
# 17:00 in Shanghai, two hours before the deadline: the 日产日清 sweep is on (docs/dispatch.md).
NOW = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
# 0.001° of latitude: 6,371,000 m × π / 180 / 1000 = 111.19 m; × 1.4 = 155.67 m.
# S1 -> B1 (0.002°) 311 m, B1 -> B2 (0.002°) 311 m, B2 -> S1 (0.004°) 623 m: 1,245 m, and the
# same reversed. B3 (5 %) holds no rubbish and is not about to overflow: optional, and an
# optional bin is worth nothing to the plan (the next plans send for it when it must go), so
# it is left out.
ROUTE_M = 311 + 311 + 623


def write_fills(influx: InfluxClient) -> None:
    ts = datetime.now(UTC) - timedelta(minutes=5)
    influx.write(
        [
            to_line(BinLevel("D1", "B1", fill_pct=60, ts=ts)),
            to_line(BinLevel("D1", "B2", fill_pct=50, ts=ts)),
            to_line(BinLevel("D1", "B3", fill_pct=5, ts=ts)),
        ]
    )


class Heard:
    """Messages a client received, by topic."""

    def __init__(self) -> None:
        self.by_topic: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def __call__(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.by_topic[message.topic] = bytes(message.payload)


def listen(client: mqtt.Client, topic: str) -> Heard:
    heard = Heard()
    client.on_message = heard
    client.subscribe(topic, qos=1)
    return heard


def test_plan_replan_and_the_retained_route(settings: Settings, influx: InfluxClient) -> None:
    write_fills(influx)
    # Re-plans only when asked here (the automatic ones run on the wall clock).
    app = create_app(settings.replace(api_dispatch_time_limit_s=1.0, api_dispatch_check_s=0), CITY)
    app.dependency_overrides[get_now] = lambda: NOW
    viewer = issue_key(settings.api.keys_file, Role.VIEWER, name="viewer")
    with admin_client(app, settings) as client:
        plan = client.post("/api/v1/dispatch/replan")
        assert plan.status_code == 200, plan.text
        body = plan.json()
        (route,) = body["routes"]
        assert route["truck"] == "T03"
        assert [s["id"] for s in route["stops"]] in (["B1", "B2", "S1"], ["B2", "B1", "S1"])
        assert route["distance_m"] == ROUTE_M
        # T03 leaves from its home station S1 (the registry's) and ends the day there.
        home = {"kind": "station", "id": "S1", "lat": 29.87, "lon": 121.54}
        assert route["origin"] == route["destination"] == home
        # 60 % and 50 % of 240 l: 144 l and 120 l, 264 l after both, 0 after unloading.
        first = {"B1": 144, "B2": 120}[route["stops"][0]["id"]]
        assert [s["load_after_l"] for s in route["stops"]] == [first, 264, 0]
        assert [(o["bin"], o["reason"]) for o in body["left_out"]] == [("B3", "skipped_optional")]
        one = client.get("/api/v1/dispatch/plan/T03")
        assert one.json() == route
        assert client.get("/api/v1/dispatch/plan/T99").status_code == 404
        # A viewer may read the plan, not re-plan.
        assert client.get("/api/v1/dispatch/plan", headers=bearer(viewer)).status_code == 200
        assert client.post("/api/v1/dispatch/replan", headers=bearer(viewer)).status_code == 403

        # Retained: a subscriber arriving after the publish gets the route, as the API says.
        watcher = mqtt_client(settings)
        try:
            heard = listen(watcher, "dispatch/+/route")
            wait_for(lambda: "dispatch/T03/route" in heard.by_topic, 10, "the retained route")
            assert json.loads(heard.by_topic["dispatch/T03/route"]) == route
        finally:
            watcher.disconnect()
            watcher.loop_stop()

    # The truck's own account reads its own route only, and cannot overwrite it.
    files = BrokerFiles(broker_dir(settings))
    (issued,) = add_devices(files, [Device("T03", "truck", "S1")], rotate=True)
    reload_and_wait(files, settings, [issued])
    other = mqtt_client(settings)
    other.publish("dispatch/T01/route", b"not yours", qos=1, retain=True).wait_for_publish(5)
    truck = new_client(access_as(settings, issued.username, issued.password), client_id="T03-tab")
    truck.connect(settings.mqtt.host, settings.mqtt.port)
    truck.loop_start()
    try:
        heard = listen(truck, "dispatch/+/route")
        wait_for(lambda: "dispatch/T03/route" in heard.by_topic, 10, "the truck's route")
        truck.publish("dispatch/T03/route", b"forged", qos=1, retain=True).wait_for_publish(5)
        check = listen(other, "dispatch/T03/route")
        wait_for(lambda: "dispatch/T03/route" in check.by_topic, 10, "the route again")
        assert json.loads(check.by_topic["dispatch/T03/route"])["truck"] == "T03"
        assert set(heard.by_topic) == {"dispatch/T03/route"}
    finally:
        # Retained messages outlive the test: clear them for the next run on this broker.
        for topic in ("dispatch/T01/route", "dispatch/T03/route"):
            other.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
        for c in (truck, other):
            c.disconnect()
            c.loop_stop()


def test_a_trucks_progress_is_heard_and_its_position_stored(
    settings: Settings, influx: InfluxClient
) -> None:
    # The truck's own account reports on its own topic; the API stores the position in
    # truck_position and hands the stops done to the plan holder. A report that is not one
    # (a position off the globe, and newer) is dropped, and the good one still goes in.
    files = BrokerFiles(broker_dir(settings))
    (issued,) = add_devices(files, [Device("T03", "truck", "S1")], rotate=True)
    reload_and_wait(files, settings, [issued])
    app = create_app(settings.replace(api_dispatch_check_s=0), CITY)
    truck = new_client(access_as(settings, issued.username, issued.password), client_id="T03-cab")
    truck.connect(settings.mqtt.host, settings.mqtt.port)
    truck.loop_start()
    seen = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    with admin_client(app, settings) as client:
        assert client.get("/health").status_code == 200
        stamp = f"{seen:%Y-%m-%dT%H:%M:%S}Z"
        later = f"{seen + timedelta(seconds=30):%Y-%m-%dT%H:%M:%S}Z"
        bad = {"ts": later, "lat": 129.87, "lon": 121.54, "done": []}
        good = {"ts": stamp, "lat": 29.873, "lon": 121.54, "done": ["B1"]}
        for report in (bad, good):
            truck.publish(
                "dispatch/T03/progress", json.dumps(report).encode(), qos=1
            ).wait_for_publish(5)
        wait_for(lambda: "T03" in latest_positions(influx), 10, "the stored position")
        position = latest_positions(influx)["T03"]
        assert (position.ts, position.lat, position.lon, position.stops_done) == (
            seen,
            29.873,
            121.54,
            1,
        )
        heard = client.get("/api/v1/dispatch/progress").json()
        assert heard == [
            {
                "truck": "T03",
                "ts": f"{seen:%Y-%m-%dT%H:%M:%S}.000Z",
                "lat": 29.873,
                "lon": 121.54,
                "done": ["B1"],
            }
        ]
    truck.disconnect()
    truck.loop_stop()


def test_a_late_truck_has_the_day_planned_again_by_itself(
    settings: Settings, influx: InfluxClient
) -> None:
    # The plan is asked for as at 17:00 Shanghai (today's or yesterday's, whichever is past):
    # T03 is due at B1 a minute after. Its account then reports, now, that it has done
    # nothing: hours late, so the API's own check (every 0.2 s here) re-plans, on the wall
    # clock, and the plan served is the new one.
    write_fills(influx)
    asked = NOW if datetime.now(UTC) > NOW else NOW - timedelta(days=1)
    files = BrokerFiles(broker_dir(settings))
    (issued,) = add_devices(files, [Device("T03", "truck", "S1")], rotate=True)
    reload_and_wait(files, settings, [issued])
    app = create_app(
        settings.replace(api_dispatch_time_limit_s=1.0, api_dispatch_check_s=0.2), CITY
    )
    app.dependency_overrides[get_now] = lambda: asked
    truck = new_client(access_as(settings, issued.username, issued.password), client_id="T03-late")
    truck.connect(settings.mqtt.host, settings.mqtt.port)
    truck.loop_start()
    try:
        with admin_client(app, settings) as client:
            first = client.get("/api/v1/dispatch/plan").json()
            assert first["as_of"] == f"{asked:%Y-%m-%dT%H:%M:%S}.000Z"
            assert [r["truck"] for r in first["routes"]] == ["T03"]
            stamp = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}Z"
            report = {"ts": stamp, "lat": 29.87, "lon": 121.54, "done": []}
            truck.publish("dispatch/T03/progress", json.dumps(report).encode(), qos=1)
            wait_for(
                lambda: client.get("/api/v1/dispatch/plan").json()["as_of"] != first["as_of"],
                15,
                "the plan made again",
            )
    finally:
        truck.disconnect()
        truck.loop_stop()
        # Retained routes outlive the test: clear them for the next run on this broker.
        cleaner = mqtt_client(settings)
        cleaner.publish("dispatch/T03/route", b"", qos=1, retain=True).wait_for_publish(5)
        cleaner.disconnect()
        cleaner.loop_stop()


# 10:00 in Shanghai (today's, or yesterday's when that is still to come): nine hours before
# the 19:00 deadline, so the 日产日清 sweep is off and a bin is must-clear only when it is
# about to overflow (docs/dispatch.md, "Which bins a plan must clear").
MORNING = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
if datetime.now(UTC) < MORNING:
    MORNING -= timedelta(days=1)


def test_a_bin_filling_fast_is_sent_for_before_it_is_full(
    settings: Settings, influx: InfluxClient
) -> None:
    # B1 read 48, 60 and 72 % 50, 30 and 10 minutes before the plan: 12 points per 20 min is
    # 36 %/h, so it is full (100 - 72) / 36 h = 46 min 40 s after its last reading, 36 min
    # 40 s after the plan is made. B2 is fuller (85 %) but flat, and B3 nearly empty (5 %):
    # neither need go. Without a trend B1 is just a 78 % bin, as optional as B2.
    readings = {"B1": (48, 60, 72), "B2": (85, 85, 85), "B3": (5, 5, 5)}
    influx.write(
        [
            to_line(BinLevel("D1", bin_id, fill_pct=pct, ts=MORNING - timedelta(minutes=ago)))
            for bin_id, fills in readings.items()
            for ago, pct in zip((50, 30, 10), fills, strict=True)
        ]
    )
    full_at = MORNING - timedelta(minutes=10) + timedelta(hours=(100 - 72) / 36)
    app = create_app(settings.replace(api_dispatch_time_limit_s=1.0, api_dispatch_check_s=0), CITY)
    app.dependency_overrides[get_now] = lambda: MORNING
    with admin_client(app, settings) as client:
        plan = client.post("/api/v1/dispatch/replan")
        assert plan.status_code == 200, plan.text
        body = plan.json()
    (route,) = body["routes"]
    bins = [s for s in route["stops"] if s["kind"] == "bin"]
    assert [s["id"] for s in bins] == ["B1"]
    (arrival,) = [datetime.fromisoformat(s["arrival"]) for s in bins]
    assert MORNING <= arrival < full_at
    left = {o["bin"]: (o["must"], o["reason"]) for o in body["left_out"]}
    assert left == {"B2": (False, "skipped_optional"), "B3": (False, "skipped_optional")}
