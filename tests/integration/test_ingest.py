"""Ingest against the real broker and database: good messages stored, bad ones refused,
counted, dead-lettered and acknowledged, all in one stream."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings
from ingest.service import Ingester
from tests.support import forget_session, mqtt_client, wait_for

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)

# (topic, payload, reason the message must be rejected for)
BAD: list[tuple[str, bytes, str]] = [
    ("parking/Z01/Z01-001/status", b'{"occupied": tr', "bad_json"),
    ("parking/Z01/Z01-001/status", b'{"occupied": true, "n": "\xff"}', "bad_utf8"),
    ("parking/Z01/Z01-001/status", b'{"occupied": "yes"}', "bad_schema"),
    ("parking/Z01/Z01-001/status", b'{"occupied": true, "battery_v": NaN}', "bad_json"),
    ("parking/Z01/Z01-001/status", b'{"occupied": true, "battery_v": Infinity}', "bad_json"),
    ("sanitation/D1/D1-B001/fill", b'{"fill_pct": 140}', "out_of_range"),
    ("parking/Z01/Z01-001/status", b'{"occupied": true, "ts": 1480000000}', "ts_too_old"),
    (
        "parking/Z01/Z01-001/status",
        json.dumps({"occupied": True, "ts": (NOW + timedelta(days=3650)).isoformat()}).encode(),
        "ts_future",
    ),
    (
        "parking/Z01/Z01-001/status",
        b'{"occupied": true, "pad": "' + b"x" * 5000 + b'"}',
        "too_large",
    ),
    ("parking/Z99/Z99-001/status", b'{"occupied": true}', "unknown_device"),
    ("sanitation/D1/D1-B999/fill", b'{"fill_pct": 10}', "unknown_device"),
    ("parking/Z01/Z01-001/status/extra", b'{"occupied": true}', "bad_topic"),
]


def _good(n: int) -> tuple[str, bytes]:
    ts = (NOW - timedelta(seconds=n)).isoformat()
    if n % 2:
        space = f"Z0{n % 9 + 1}-{n % 100 + 1:03d}"
        return f"parking/{space[:3]}/{space}/status", json.dumps(
            {"occupied": True, "ts": ts}
        ).encode()
    bin_id = f"D{n % 5 + 1}-B{n % 100 + 1:03d}"
    return f"sanitation/{bin_id[:2]}/{bin_id}/fill", json.dumps(
        {"fill_pct": n % 100, "ts": ts}
    ).encode()


class DeadLetters:
    """Collects what ingest republishes under deadletter/."""

    def __init__(self, settings: Settings) -> None:
        self.records: list[dict[str, Any]] = []
        self.topics: list[str] = []
        self._lock = threading.Lock()
        self.client = mqtt_client(settings)
        self.client.on_message = self._on_message
        self.client.subscribe("deadletter/#", qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.topics.append(msg.topic)
            self.records.append(json.loads(msg.payload))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _count_points(influx: InfluxClient) -> int:
    total = 0
    for measurement in ("parking_status", "bin_level"):
        series = influx.query(f'SELECT count(fill_pct), count(occupied) FROM "{measurement}"')
        if series:
            row = series[0].rows()[0]
            total += int(row.get("count") or 0) + int(row.get("count_1") or 0)
    return total


def test_bad_messages_are_rejected_counted_and_good_ones_beside_them_stored(
    settings: Settings, influx: InfluxClient
) -> None:
    ingester = Ingester(settings)
    deadletters = DeadLetters(settings)
    publisher = mqtt_client(settings)
    try:
        ingester.start()
        wait_for(
            lambda: ingester.metrics.value("curbside_ingest_broker_connected") == 1, 10, "connect"
        )
        good = [_good(n) for n in range(200)]
        expected_rejections: dict[str, int] = {}
        infos = []
        for n, (topic, payload) in enumerate(good):
            infos.append(publisher.publish(topic, payload, qos=1))
            bad_topic, bad_payload, reason = BAD[n % len(BAD)]
            infos.append(publisher.publish(bad_topic, bad_payload, qos=1))
            expected_rejections[reason] = expected_rejections.get(reason, 0) + 1
        for info in infos:
            info.wait_for_publish(10)
        wait_for(
            lambda: (
                ingester.metrics.value("curbside_ingest_received_total") >= len(infos)
                and ingester.metrics.value("curbside_ingest_pending_points") == 0
            ),
            30,
            "ingest to receive and write every message",
        )
        wait_for(lambda: _count_points(influx) == len(good), 10, "all good points to be stored")
        assert ingester.metrics.rejected_by_reason() == expected_rejections
        # The writer thread counts a batch just after InfluxDB accepted it: the points can be
        # queryable a moment before the counter moves.
        wait_for(
            lambda: ingester.metrics.value("curbside_ingest_stored_points_total") == len(good),
            10,
            "the stored counter to reach every good point",
        )
        wait_for(lambda: len(deadletters.records) == len(good), 10, "every dead letter")
        reasons = sorted(r["reason"] for r in deadletters.records)
        assert reasons == sorted(r for r, c in expected_rejections.items() for _ in range(c))
        assert all(
            t.startswith(f"deadletter/{r['reason']}/")
            for t, r in zip(deadletters.topics, deadletters.records, strict=True)
        )
    finally:
        publisher.disconnect()
        publisher.loop_stop()
        deadletters.close()
        ingester.stop()

    # Everything was acknowledged: a new run of the same session gets nothing redelivered.
    again = Ingester(settings)
    try:
        again.start()
        wait_for(
            lambda: again.metrics.value("curbside_ingest_broker_connected") == 1, 10, "reconnect"
        )
        threading.Event().wait(1.0)
        assert again.metrics.value("curbside_ingest_received_total") == 0
    finally:
        again.stop()
        forget_session(settings, settings.mqtt.client_id)


def test_messages_published_while_ingest_is_away_are_stored_on_return(
    settings: Settings, influx: InfluxClient
) -> None:
    first = Ingester(settings)
    first.start()
    wait_for(lambda: first.metrics.value("curbside_ingest_broker_connected") == 1, 10, "connect")
    first.stop()  # the persistent session stays on the broker
    publisher = mqtt_client(settings)
    good = [_good(n) for n in range(50)]
    for topic, payload in good:
        publisher.publish(topic, payload, qos=1).wait_for_publish(10)
    publisher.disconnect()
    publisher.loop_stop()
    second = Ingester(settings)
    try:
        second.start()
        wait_for(lambda: _count_points(influx) == len(good), 20, "queued messages to be stored")
    finally:
        second.stop()
        forget_session(settings, settings.mqtt.client_id)
