"""Dead-letter records and the per-device log throttle."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from curbside.adapters.log_throttle import Throttle
from curbside.vocabulary.rejection import Reason, Rejected
from ingest.deadletter import (
    MAX_PAYLOAD_ECHO,
    MAX_WRAPPED_TOPIC_BYTES,
    deadletter_payload,
    deadletter_topic,
)

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


def test_a_topic_too_long_to_wrap_gets_no_deadletter_topic() -> None:
    rejected = Rejected(Reason.UNKNOWN_DEVICE, "x")
    longest = "s/" + "x" * (MAX_WRAPPED_TOPIC_BYTES - 2)
    assert deadletter_topic(rejected, longest) == f"deadletter/unknown_device/{longest}"
    assert deadletter_topic(rejected, longest + "x") is None
    # Bytes count, not characters: MQTT's limit is in UTF-8 bytes.
    assert deadletter_topic(rejected, "s/" + "停" * (MAX_WRAPPED_TOPIC_BYTES // 3)) is None


def test_deadletter_payload_carries_at_most_the_wrapped_length_of_topic() -> None:
    topic = "t/" + "x" * 60_000
    record = json.loads(deadletter_payload(Rejected(Reason.BAD_TOPIC, "x"), topic, b"{}", NOW))
    assert record["topic"] == topic[:MAX_WRAPPED_TOPIC_BYTES]


def test_throttle_table_stays_bounded_under_a_flood_of_distinct_keys() -> None:
    now = [0.0]
    throttle = Throttle(60.0, clock=lambda: now[0], max_keys=500, max_lines=100_000)
    for n in range(20_000):
        throttle.allow(f"parking/Z{n}/S{n}")
    assert len(throttle) == 500


def test_throttle_forgets_keys_whose_interval_is_over() -> None:
    now = [0.0]
    throttle = Throttle(60.0, clock=lambda: now[0])
    for n in range(300):
        throttle.allow(f"k{n}")
    now[0] = 60.0
    assert throttle.allow("fresh")
    assert len(throttle) == 1


def test_throttle_budget_bounds_lines_over_all_keys_per_interval() -> None:
    now = [0.0]
    throttle = Throttle(60.0, clock=lambda: now[0], max_lines=10)
    allowed = sum(throttle.allow(f"k{n}") for n in range(50))
    assert allowed == 10
    assert throttle.suppressed == 40
    now[0] = 60.0
    assert throttle.allow("k49")
