"""Fuzzing ingest at the MQTT level (issue 12): whatever a real device account gets through
the real broker (topics of every length up to MQTT's limit, wildcard-looking and control
characters, every QoS, the retain flag, empty and oversized payloads), ingest goes on, and
every good message sent afterwards is stored.

A seeded generator keeps the run bounded and repeatable (``FUZZ_SEED``). The account is a
truck's: it may publish on ``sanitation/+/+/emptied``, so two levels of the topic are free.
Topics the broker must refuse (``+``, ``#``, NUL and other control characters) are sent over a
bare socket, since paho refuses or would resend them forever; the broker closes those
connections, or passes the message on, and either way ingest must not mind.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.provisioning.changes import Issued, add_devices
from curbside.adapters.provisioning.devices import find_devices
from curbside.adapters.provisioning.store import BrokerFiles, broker_dir
from curbside.city.registry import load_city
from tests.faults.stack import IngesterProcess, PrivateServices
from tests.security.broker import logged_in, publish_all, raw_publish
from tests.support import access_as, reload_and_wait, settings_as, wait_for

pytestmark = pytest.mark.faults

PORT_SLOT = 3  # the ports of test_bad_input, which runs before (see tests/faults/conftest.py)
FUZZ_SEED = 20261206
FUZZED = 400
GOOD = 300
TRUCK = "T01"
MQTT_TOPIC_LIMIT = 65_535
FRAME = "sanitation///emptied"  # the levels a truck may fill in, around two free ones
SAFE = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.~!$%&'()*,;:=?@[]{}<>|^`"
    '"\\é停车场垃圾桶🚛\u0301\u200b\ufeff'
)
REFUSED = ["+", "#", "\x00", "\x01", "\x1f", "\x7f", "\x85"]


@pytest.fixture
def truck(services: PrivateServices) -> Iterator[Issued]:
    """Truck T01 provisioned on the private broker."""
    files = BrokerFiles(broker_dir(services.settings))
    city = load_city(services.settings.city_file)
    issued = add_devices(files, find_devices(city, [TRUCK]), rotate=True)
    reload_and_wait(files, services.settings, issued)
    yield issued[0]


def _level(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(SAFE) for _ in range(length))


def _topic(rng: random.Random) -> str:
    """A topic the truck may publish on, of a length drawn up to MQTT's limit (in bytes)."""
    room = MQTT_TOPIC_LIMIT - len(FRAME) - 8  # 4 bytes a character at most, in two levels
    length = rng.choice([0, 1, 2, 7, 64, 200, 1_000, 1_025, 4_096, 30_000, room // 4])
    length = min(length, rng.randint(0, length)) if rng.random() < 0.3 else length
    first = _level(rng, length // 2)
    second = _level(rng, length - length // 2)
    if rng.random() < 0.2:  # a real district or bin level, to get further into the decoder
        first = "D1"
    topic = f"sanitation/{first}/{second}/emptied"
    assert len(topic.encode()) <= MQTT_TOPIC_LIMIT
    return topic


def _payload(rng: random.Random) -> bytes:
    kind = rng.randrange(7)
    if kind == 0:
        return b""
    if kind == 1:
        return rng.randbytes(rng.randint(1, 300))
    if kind == 2:
        return b"x" * rng.choice([4_096, 4_097, 60_000])  # at and over ingest's 4 KiB
    if kind == 3:
        return b"[" * rng.randint(1_000, 50_000)
    value: object = rng.choice(
        [None, True, 0, -1, 1e308, "", "T01", "x" * 70, [], {}, "2026-11-27T08:00:00+08:00"]
    )
    ts = rng.choice([None, 0, 1_480_000_000, 4e12, "now", datetime.now(UTC).isoformat()])
    document = {"ts": ts, "truck": value} if kind < 6 else {rng.choice(SAFE): value}
    return json.dumps(document, ensure_ascii=rng.random() < 0.5).encode()


def _refused_topic(rng: random.Random) -> str:
    bad = rng.choice(REFUSED)
    return f"sanitation/{_level(rng, 5)}{bad}{_level(rng, 5)}/x/emptied"


def test_fuzzed_mqtt_traffic_from_a_device_stops_nothing_and_good_messages_are_stored(
    services: PrivateServices, ingester: IngesterProcess, truck: Issued
) -> None:
    rng = random.Random(FUZZ_SEED)
    settings = services.settings
    as_truck = settings_as(settings, truck)
    good_from = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    retained: set[str] = set()
    ingester.start()
    with logged_in(settings, truck) as client:
        for _ in range(FUZZED):
            topic, retain = _topic(rng), rng.random() < 0.2
            info = client.publish(topic, _payload(rng), qos=rng.choice([0, 1, 2]), retain=retain)
            info.wait_for_publish(30)
            if retain:
                retained.add(topic)
    access = access_as(as_truck, truck.username, truck.password)
    for _ in range(12):
        raw_publish(access, _refused_topic(rng), _payload(rng)[:1000])
    # Over the broker's 64 KiB message limit: the broker drops it and this client.
    with logged_in(settings, truck) as client:
        client.publish("sanitation/D1/D1-B001/emptied", b"x" * 70_000, qos=0).wait_for_publish(10)
    good = [
        (
            f"sanitation/{bin_topic}/emptied",
            json.dumps({"ts": (good_from + timedelta(milliseconds=n)).isoformat()}).encode(),
        )
        for n, bin_topic in enumerate(_bins(settings.city_file, GOOD))
    ]
    with logged_in(settings, truck) as client:
        publish_all(client, good)
    influx = services.influx()
    try:
        wait_for(lambda: _stored_since(influx, good_from) == GOOD, 120, "every good message stored")
        assert ingester.alive
        assert ingester.value("curbside_ingest_message_errors_total") == 0
        assert ingester.value("curbside_ingest_healthy") == 1
        assert ingester.health()[0] == 200
        received = ingester.value("curbside_ingest_received_total")
        too_long = ingester.value(
            "curbside_ingest_deadletters_dropped_total", cause="topic_too_long"
        )
        print(f"fuzz: {received:.0f} received, {too_long:.0f} topics too long to dead-letter")
        assert received >= FUZZED // 2 + GOOD
        assert too_long > 0  # the longest topics did reach ingest
        assert ingester.stop() == 0
    finally:
        with logged_in(settings, truck) as client:  # leave no retained message behind
            publish_all(client, [(topic, b"") for topic in sorted(retained)])
        influx.close()


def _bins(city_file: Path, count: int) -> list[str]:
    city = load_city(city_file)
    bins = [f"{d.id}/{b.id}" for d in city.sanitation_districts for b in d.bins][:count]
    assert len(bins) == count
    return bins


def _stored_since(influx: InfluxClient, since: datetime) -> int:
    until = since + timedelta(minutes=1)
    series = influx.query(
        'SELECT count("emptied") FROM "bin_emptied" '
        f"WHERE time >= '{since.isoformat()}' AND time < '{until.isoformat()}'"
    )
    return int(series[0].rows()[0]["count"]) if series else 0
