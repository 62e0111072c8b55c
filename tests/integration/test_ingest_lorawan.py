"""Network-server uplinks through the real broker into the real database, with the demo
registry's sensors: each kind of LoRaWAN fact lands where docs/schema.md says."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from ingest.service import Ingester
from tests.integration.test_ingest import DeadLetters
from tests.support import forget_session, mqtt_client, wait_for

pytestmark = pytest.mark.integration

TS = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
# Demo registry sensors (curbside/city/demo.py): Z01 Bosch, Z03 Nwave, D2 Milesight EM400-UDL.
BOSCH, NWAVE, EM400 = "cb01010000000001", "cb01030000000001", "cb02020000000001"
STRANGER = "a840414171817dd4"


def _chirpstack(eui: str, event: str, body: dict[str, Any]) -> tuple[str, bytes]:
    payload = {"time": TS.isoformat(), "deviceInfo": {"devEui": eui}} | body
    return f"application/demo/device/{eui}/event/{event}", json.dumps(payload).encode()


def _tts(eui: str, frame: bytes) -> tuple[str, bytes]:
    message = {
        "end_device_ids": {"device_id": f"em400-{eui}", "dev_eui": eui.upper()},
        "received_at": TS.isoformat(),
        "uplink_message": {
            "f_port": 85,
            "f_cnt": 9,
            "frm_payload": base64.b64encode(frame).decode(),
            "rx_metadata": [{"rssi": -101, "snr": -2.5}],
        },
    }
    return f"v3/curbside@county/devices/em400-{eui}/up", json.dumps(message).encode()


def _ingest(
    settings: Settings, messages: list[tuple[str, bytes]], *, stored: int, dead_letters: int
) -> tuple[Ingester, list[str]]:
    """Run an ingester until it has stored and dead-lettered that many; (it, dead letters)."""
    ingester = Ingester(settings)
    deadletters = DeadLetters(settings)
    publisher = mqtt_client(settings)
    try:
        ingester.start()
        wait_for(
            lambda: ingester.metrics.value("curbside_ingest_broker_connected") == 1, 10, "connect"
        )
        for topic, payload in messages:
            publisher.publish(topic, payload, qos=1).wait_for_publish(10)
        wait_for(
            lambda: ingester.metrics.value("curbside_ingest_stored_points_total") == stored,
            30,
            f"{stored} readings to be stored",
        )
        wait_for(lambda: len(deadletters.topics) == dead_letters, 10, "the dead letters")
    finally:
        publisher.disconnect()
        publisher.loop_stop()
        deadletters.close()
        ingester.stop()
        forget_session(settings, settings.mqtt.client_id)
    return ingester, list(deadletters.topics)


def _row(influx: InfluxClient, statement: str) -> dict[str, Any]:
    series = influx.query(statement)
    assert series, statement
    return series[0].rows()[0]


def test_network_server_uplinks_are_stored_by_registry_place(
    settings: Settings, influx: InfluxClient
) -> None:
    messages = [
        _chirpstack(BOSCH, "status", {"margin": 7, "batteryLevel": 81.5}),
        # Nwave heartbeat 01 D3 D8: occupied (bit 0), battery 3.344 V, -10 °C; health is the
        # vendor codec's byte 0 & 0x7f, occupancy bit included (docs/hardware.md), so 1.
        _chirpstack(NWAVE, "up", {"fPort": 2, "fCnt": 3, "data": "AdPY"}),
        # EM400-UDL: distance 600 mm with its alarm raised.
        _tts(EM400, bytes.fromhex("8482580201")),
        _chirpstack(STRANGER, "up", {"fPort": 1, "data": "AQ=="}),
    ]  # fmt: skip
    _ingester, dead = _ingest(settings, messages, stored=3, dead_letters=1)

    assert dead == [f"deadletter/unknown_device/application/demo/device/{STRANGER}/event/up"]
    battery = _row(influx, "SELECT * FROM sensor_battery")
    assert (battery["domain"], battery["group"], battery["device"]) == ("parking", "Z01", "Z01-001")
    assert (battery["battery_pct"], battery["external_power"]) == (81.5, False)
    status = _row(influx, "SELECT * FROM parking_status")
    assert (status["zone"], status["space"], status["occupied"], status["seq"]) == (
        "Z03", "Z03-001", 1, 3,
    )  # fmt: skip
    assert (status["battery_v"], status["temp_c"], status["hw_health"]) == (3.344, -10.0, 1)
    level = _row(influx, "SELECT * FROM bin_level")
    assert (level["district"], level["bin"], level["distance_alarm"]) == ("D2", "D2-B001", True)
    assert (level["rssi_dbm"], level["snr_db"], level["distance_cm"]) == (-101.0, -2.5, 60.0)
    known = load_city(settings.city_file).bin("D2", "D2-B001")
    assert known is not None
    span = known.depth_cm - known.full_distance_cm
    assert level["fill_pct"] == pytest.approx((known.depth_cm - 60.0) / span * 100, abs=0.05)


def test_skipped_parts_are_counted_and_simulated_uplinks_refused(
    settings: Settings, influx: InfluxClient
) -> None:
    simulated_topic, simulated = _tts(EM400, bytes.fromhex("0482e803"))
    messages = [
        # A report-interval reply (ff 03, 600 s) before the distance: the distance is kept.
        _tts(EM400, bytes.fromhex("ff0358020482e803")),
        (simulated_topic, json.dumps(json.loads(simulated) | {"simulated": True}).encode()),
    ]
    ingester, dead = _ingest(settings, messages, stored=1, dead_letters=1)

    assert dead == [f"deadletter/simulated/{simulated_topic}"]
    assert ingester.metrics.rejected_by_reason() == {"simulated": 1}
    skipped = "curbside_ingest_skipped_parts_total"
    assert ingester.metrics.value(skipped, reason="config_reply") == 1
    level = _row(influx, "SELECT * FROM bin_level")
    assert (level["bin"], level["distance_cm"]) == ("D2-B001", 100.0)
