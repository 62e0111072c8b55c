"""No message stops the API's live feed: whatever it is, it is counted and the feed goes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt

from curbside.adapters.intake import Intake
from curbside.adapters.mqtt.client import BrokerAccess
from curbside.city.registry import load_city
from curbside.config.settings import load_settings
from curbside.domain.telemetry.admission import TimestampPolicy
from curbside.readmodels.live.feed import LiveFeed

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _feed() -> LiveFeed:
    settings = load_settings(ingest_metrics_port=0)
    policy = TimestampPolicy(timedelta(seconds=300), timedelta(days=7))
    intake = Intake(load_city(settings.city_file), policy, 4096)
    return LiveFeed(BrokerAccess("127.0.0.1", 1), intake, client_id="t", clock=lambda: NOW)


def _message(topic: bytes, payload: bytes, *, retain: bool = False) -> mqtt.MQTTMessage:
    message = mqtt.MQTTMessage(mid=1, topic=topic)
    message.payload = payload
    message.retain = retain
    return message


def test_a_topic_of_invalid_utf8_is_counted_not_raised_into_paho() -> None:
    feed = _feed()
    feed._on_message(feed._client, None, _message(b"parking/\xff/x/status", b"{}"))
    assert feed.rejected == {"internal_error": 1}
    feed._on_message(
        feed._client, None, _message(b"parking/Z01/Z01-001/status", b'{"occupied": true}')
    )
    assert feed.queued == 1


def test_a_retained_status_without_ts_is_not_applied_as_news() -> None:
    feed = _feed()
    topic = b"parking/Z01/Z01-001/status"
    feed._on_message(feed._client, None, _message(topic, b'{"occupied": true}', retain=True))
    stamped = b'{"occupied": true, "ts": "2026-11-27T07:00:00Z"}'
    feed._on_message(feed._client, None, _message(topic, stamped, retain=True))
    readings = [r for _, batch in feed.drain(10) for r in batch]
    assert [r.ts for r in readings] == [datetime(2026, 11, 27, 7, 0, tzinfo=UTC)]
