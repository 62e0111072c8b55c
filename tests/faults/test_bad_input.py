"""Promise 4: thousands of bad messages mixed one-to-one with good ones are rejected, counted
and acknowledged, every good one is stored, and no process stops."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.stack import (
    IngesterProcess,
    PrivateServices,
    SteadyPublisher,
    count_points,
    parking_messages,
    publisher,
)
from tests.support import wait_for

pytestmark = pytest.mark.faults

PORT_SLOT = 3  # private ports: see tests/faults/conftest.py
GOOD = 3_000
RATE = 600  # messages per second, good and bad together
NOW = datetime.now(UTC).replace(microsecond=0)
SPACE = "parking/Z01/Z01-001/status"


def _ts(delta: timedelta) -> bytes:
    return json.dumps({"occupied": True, "ts": (NOW + delta).isoformat()}).encode()


# (topic, payload, the reason it must be rejected for): each kind the issue names, and more.
BAD: list[tuple[str, bytes, str]] = [
    (SPACE, b'{"occupied": tr', "bad_json"),
    (SPACE, b"", "bad_json"),
    (SPACE, b"[" * 2000 + b"]" * 2000, "bad_json"),  # nesting deeper than the parser allows
    (SPACE, b'\xef\xbb\xbf{"occupied": true}', "bad_json"),
    (SPACE, b'{"occupied": true, "n": "\xff\xfe"}', "bad_utf8"),
    (SPACE, b'{"occupied": true, "x": "\xed\xa0\x80"}', "bad_utf8"),  # a UTF-16 surrogate
    (SPACE, b'{"occupied": "yes"}', "bad_schema"),
    (SPACE, b'{"occupied": 1}', "bad_schema"),
    (SPACE, b"[true]", "bad_schema"),
    (SPACE, b'{"occupied": true, "seq": 7.0}', "bad_schema"),
    (SPACE, b'{"occupied": true, "ts": "yesterday"}', "bad_schema"),
    ("sanitation/D1/D1-B001/fill", b'{"distance_cm": "far"}', "bad_schema"),
    (SPACE, b'{"occupied": true, "battery_v": NaN}', "bad_json"),
    (SPACE, b'{"occupied": true, "battery_v": Infinity}', "bad_json"),
    (SPACE, b'{"occupied": true, "battery_v": -Infinity}', "bad_json"),
    (SPACE, b'{"occupied": true, "battery_v": 1e999}', "out_of_range"),
    (SPACE, b'{"occupied": true, "rssi_dbm": 12}', "out_of_range"),
    ("sanitation/D1/D1-B001/fill", b'{"fill_pct": 140}', "out_of_range"),
    ("sanitation/D1/D1-B001/fill", b'{"fill_pct": -1}', "out_of_range"),
    (SPACE, _ts(timedelta(days=-3652)), "ts_too_old"),
    (SPACE, _ts(timedelta(days=3652)), "ts_future"),
    (SPACE, b'{"occupied": true, "pad": "' + b"x" * 5000 + b'"}', "too_large"),
    ("parking/Z99/Z99-001/status", b'{"occupied": true}', "unknown_device"),
    ("sanitation/D1/D1-B999/fill", b'{"fill_pct": 10}', "unknown_device"),
    ("parking/Z01/Z01-001/status/extra", b'{"occupied": true}', "bad_topic"),
    ("parking/Z01/Z01-001/status/a/b/c", b'{"occupied": true}', "bad_topic"),
    ("parking/Z01", b'{"occupied": true}', "bad_topic"),
    ("sanitation/D1/D1-B001/fil", b'{"fill_pct": 10}', "bad_topic"),
]
# Over the broker's message_size_limit (64 KiB): the broker disconnects the sender and drops
# the message, so it never reaches ingest and is not among the rejections.
OVERSIZED = 5


def test_bad_messages_are_rejected_counted_acknowledged_and_harmless(
    services: PrivateServices, ingester: IngesterProcess
) -> None:
    influx = services.influx()
    good = parking_messages(services.settings, GOOD, NOW - timedelta(hours=1))
    mixed: list[tuple[str, bytes]] = []
    expected: dict[str, int] = {}
    for n, message in enumerate(good):
        mixed.append(message)
        topic, payload, reason = BAD[n % len(BAD)]
        mixed.append((topic, payload))
        expected[reason] = expected.get(reason, 0) + 1
    client = publisher(services.settings, "faults-bad-publisher")
    steady = SteadyPublisher(client, mixed, RATE)
    broker_pid = services.pid("mqtt")
    try:
        ingester.start()
        steady.start()
        for n in range(OVERSIZED):
            _send_oversized(services, f"faults-oversized-{n}")
        steady.join(120)
        wait_for(lambda: count_points(influx) >= GOOD, 60, "every good message to be stored")
        wait_for(lambda: sum(_rejections(ingester).values()) >= len(good), 60, "every rejection")
        assert ingester.alive
        assert _rejections(ingester) == expected
        assert ingester.value("curbside_ingest_received_total") == len(mixed)
    finally:
        client.disconnect()
        client.loop_stop()
    assert ingester.stop() == 0
    assert count_points(influx) == GOOD
    assert services.pid("mqtt") == broker_pid  # the broker never restarted
    # Everything was acknowledged: the same session, resumed, gets nothing redelivered.
    ingester.start()
    threading.Event().wait(2.0)
    assert ingester.value("curbside_ingest_received_total") == 0
    assert ingester.stop() == 0
    influx.close()


def _rejections(ingester: IngesterProcess) -> dict[str, int]:
    return {
        dict(labels)["reason"]: int(value)
        for (name, labels), value in ingester.metrics().items()
        if name == "curbside_ingest_rejected_total" and value
    }


def _send_oversized(services: PrivateServices, client_id: str) -> None:
    client = publisher(services.settings, client_id)
    try:
        # QoS 0: a QoS 1 copy would be resent on every reconnect and disconnected again.
        client.publish(SPACE, b"x" * 70_000, qos=0).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
