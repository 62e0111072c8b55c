"""One message must never stop ingest (issue 12), through the real broker from real device
accounts: a truck may publish on ``sanitation/+/+/emptied``, so any level of that topic may be
as long as MQTT allows."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.provisioning.changes import Issued, add_devices, revoke
from curbside.adapters.provisioning.devices import find_devices
from curbside.adapters.provisioning.store import BrokerFiles, broker_dir
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from ingest.service import Ingester
from tests.security.broker import logged_in, publish_all
from tests.support import forget_session, mqtt_client, reload_and_wait, wait_for

pytestmark = pytest.mark.integration

TRUCK = "T01"
# MQTT's limit is 65,535 bytes of topic; the attacker used about 65,500 bytes, so
# that ``deadletter/{reason}/`` in front no longer fits (here 65,520: every reason is longer
# than 15 bytes).
LONG_TOPIC = (
    "sanitation/" + "x" * (65_520 - len("sanitation//D1-B001/emptied")) + "/D1-B001/emptied"
)


@pytest.fixture
def truck(base_settings: Settings) -> Iterator[Issued]:
    """The demo city's truck T01 with a fresh password; revoked afterwards."""
    files = BrokerFiles(broker_dir(base_settings))
    city = load_city(base_settings.city_file)
    issued = add_devices(files, find_devices(city, [TRUCK]), rotate=True)
    reload_and_wait(files, base_settings, issued)
    yield issued[0]
    revoke(files, [TRUCK])
    reload_and_wait(files, base_settings, [])


def emptied(settings: Settings, count: int, ts: datetime) -> list[tuple[str, bytes]]:
    """``count`` emptied reports of distinct bins, each a point of its own."""
    city = load_city(settings.city_file)
    bins = [(d.id, b.id) for d in city.sanitation_districts for b in d.bins][:count]
    assert len(bins) == count
    return [
        (
            f"sanitation/{district}/{bin_id}/emptied",
            json.dumps({"ts": ts.isoformat(), "truck": TRUCK}).encode(),
        )
        for district, bin_id in bins
    ]


def count_emptied(influx: InfluxClient) -> int:
    series = influx.query('SELECT count("emptied") FROM "bin_emptied"')
    return int(series[0].rows()[0]["count"]) if series else 0


def started(settings: Settings) -> Ingester:
    ingester = Ingester(settings)
    ingester.start()
    wait_for(lambda: ingester.metrics.value("curbside_ingest_broker_connected") == 1, 20, "connect")
    return ingester


def test_a_topic_too_long_to_dead_letter_is_dropped_and_ingest_goes_on(
    settings: Settings, influx: InfluxClient, truck: Issued
) -> None:
    ingester = started(settings)
    good = emptied(settings, 200, datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    try:
        with logged_in(settings, truck) as client:
            publish_all(client, [(LONG_TOPIC, b'{"truck": "T01"}')])
            publish_all(client, good)
        wait_for(lambda: count_emptied(influx) == len(good), 30, "every good message stored")
        metrics = ingester.metrics
        assert metrics.value("curbside_ingest_received_total") == len(good) + 1
        assert sum(metrics.rejected_by_reason().values()) == 1
        assert (
            metrics.value("curbside_ingest_deadletters_dropped_total", cause="topic_too_long") == 1
        )
        assert metrics.value("curbside_ingest_message_errors_total") == 0
        assert metrics.value("curbside_ingest_healthy") == 1
        assert ingester.alive()
    finally:
        ingester.stop()
    # It was acknowledged: the same session, resumed, gets nothing redelivered.
    again = started(settings)
    try:
        threading.Event().wait(2.0)
        assert again.metrics.value("curbside_ingest_received_total") == 0
    finally:
        again.stop()
        forget_session(settings, settings.mqtt.client_id)


def _received(ingester: Ingester) -> bool:
    return ingester.metrics.value("curbside_ingest_received_total") >= 1


def count_status(influx: InfluxClient) -> int:
    series = influx.query('SELECT count("occupied") FROM "parking_status"')
    return int(series[0].rows()[0]["count"]) if series else 0


RETAINED_TOPIC = "parking/Z02/Z02-017/status"


def test_a_retained_message_without_ts_is_stored_once_whatever_the_restarts(
    settings: Settings, influx: InfluxClient
) -> None:
    publisher = mqtt_client(settings)
    try:
        ingester = started(settings)
        try:
            publisher.publish(RETAINED_TOPIC, b'{"occupied": true}', qos=1, retain=True)
            wait_for(lambda: count_status(influx) == 1, 20, "the live message to be stored")
        finally:
            ingester.stop()
        skipped = []
        for restart in range(3):
            # Each resubscription makes the broker send the retained message again.
            again = started(settings)
            try:
                wait_for(
                    partial(_received, again),
                    20,
                    f"restart {restart + 1} to receive the retained message",
                )
            finally:
                again.stop()  # flushes whatever it took from the message
            skipped.append(again.metrics.value("curbside_ingest_retained_skipped_total"))
        assert count_status(influx) == 1
        assert skipped == [1, 1, 1]
    finally:
        # An empty retained message deletes it, so no later test receives it.
        publisher.publish(RETAINED_TOPIC, b"", qos=1, retain=True).wait_for_publish(10)
        publisher.disconnect()
        publisher.loop_stop()
        forget_session(settings, settings.mqtt.client_id)
