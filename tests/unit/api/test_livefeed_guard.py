"""No message stops the API's live feed: whatever it is, it is counted and the feed goes on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from curbside.adapters.intake import Intake
from curbside.adapters.mqtt.client import BrokerAccess
from curbside.adapters.mqtt.link import MqttLink
from curbside.city.registry import load_city
from curbside.config.settings import load_settings
from curbside.domain.telemetry.admission import TimestampPolicy
from curbside.readmodels.live.feed import LiveFeed

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _feed() -> LiveFeed:
    settings = load_settings(ingest_metrics_port=0)
    policy = TimestampPolicy(timedelta(seconds=300), timedelta(days=7))
    intake = Intake(load_city(settings.city_file), policy, 4096)
    return LiveFeed(asyncio.run(_link()), intake, clock=lambda: NOW)


async def _link() -> MqttLink:
    # Port 1: never started here; the feed only subscribes through it.
    return MqttLink(BrokerAccess("127.0.0.1", 1), client_id="t")


def test_a_topic_the_intake_cannot_read_is_counted_not_raised_into_the_link() -> None:
    feed = _feed()
    # A lone surrogate: what a topic of bytes that are not UTF-8 becomes when decoded leniently.
    feed.heard("parking/\udcff/x/status", b"{}", False)
    assert sum(feed.rejected.values()) == 1
    feed.heard("parking/Z01/Z01-001/status", b'{"occupied": true}', False)
    assert feed.queued == 1


def test_a_retained_status_without_ts_is_not_applied_as_news() -> None:
    feed = _feed()
    topic = "parking/Z01/Z01-001/status"
    feed.heard(topic, b'{"occupied": true}', True)
    stamped = b'{"occupied": true, "ts": "2026-11-27T07:00:00Z"}'
    feed.heard(topic, stamped, True)
    readings = [r for _, batch in feed.drain(10) for r in batch]
    assert [r.ts for r in readings] == [datetime(2026, 11, 27, 7, 0, tzinfo=UTC)]
