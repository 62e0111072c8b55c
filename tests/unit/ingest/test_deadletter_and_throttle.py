"""Dead-letter records and the per-device log throttle."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ingest.deadletter import MAX_PAYLOAD_ECHO, deadletter_payload, deadletter_topic
from ingest.throttle import Throttle
from telemetry.rejection import Reason, Rejected

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_deadletter_topic_keeps_reason_and_original_topic() -> None:
    rejected = Rejected(Reason.BAD_JSON, "x")
    assert deadletter_topic(rejected, "parking/Z1/S1/status") == (
        "deadletter/bad_json/parking/Z1/S1/status"
    )


def test_deadletter_payload_echoes_text_and_truncates() -> None:
    payload = b"{" + b"a" * 5000
    record = json.loads(deadletter_payload(Rejected(Reason.TOO_LARGE, "big"), "t/1", payload, NOW))
    assert record["reason"] == "too_large"
    assert record["payload_bytes"] == 5001
    assert record["truncated"] is True
    assert len(record["payload"]) == MAX_PAYLOAD_ECHO


def test_deadletter_payload_base64s_binary() -> None:
    record = json.loads(deadletter_payload(Rejected(Reason.BAD_UTF8, "x"), "t/1", b"\xff\x00", NOW))
    assert record["payload_base64"] == "/wA="
    assert "payload" not in record


def test_throttle_allows_once_per_interval_per_key() -> None:
    now = [0.0]
    throttle = Throttle(60.0, clock=lambda: now[0])
    assert throttle.allow("a")
    assert not throttle.allow("a")
    assert throttle.allow("b")
    now[0] = 59.9
    assert not throttle.allow("a")
    now[0] = 60.0
    assert throttle.allow("a")
