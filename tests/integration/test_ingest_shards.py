"""Two ingest processes share the topic space (CURBSIDE_INGEST_SHARD); one is killed -9 in the
middle of a burst and restarted, and every message is stored exactly once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curbside.adapters.decoders.topics import topic_matches
from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import City, load_city
from curbside.config.settings import Settings
from ingest.sharding import NATIVE_ROOTS, Shard, shard_subscriptions
from tests.support import forget_session, mqtt_client, wait_for
from tools.harness.processes import CurbsideProcess, settings_env

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHARDS = 2
NOW = datetime.now(UTC).replace(microsecond=0)


class ShardProcess:
    """``python -m ingest`` as shard ``index`` of SHARDS, each life's log in a file."""

    def __init__(self, settings: Settings, index: int, log_dir: Path) -> None:
        self.index = index
        self._settings = settings
        self._log_dir = log_dir
        self._lives = 0
        self.process: CurbsideProcess | None = None

    def start(self) -> None:
        self._lives += 1
        env = settings_env(
            self._settings,
            CURBSIDE_INGEST_SHARD=f"{self.index}/{SHARDS}",
            CURBSIDE_INGEST_METRICS_PORT="0",
            # Small batches, so a burst is many writes and the kill lands between some of them.
            CURBSIDE_INGEST_BATCH_SIZE="500",
        )
        log = self._log_dir / f"shard{self.index}-{self._lives}.log"
        self.process = CurbsideProcess(f"shard {self.index}", ["ingest"], env, log).start()
        wait_for(self.connected, 30, f"shard {self.index} to connect")

    def connected(self) -> bool:
        assert self.process is not None
        self.process.check_running()
        return "connected to the broker" in self.process.log.read_text()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(30)


def _messages(city: City, rounds: int, offset_s: int) -> list[tuple[str, bytes]]:
    """``rounds`` messages of every space and bin, each with a timestamp of its own."""
    out: list[tuple[str, bytes]] = []
    for k in range(rounds):
        ts = (NOW - timedelta(seconds=offset_s + k)).isoformat()
        for zone in city.parking_zones:
            for space in zone.spaces:
                body = {"occupied": k % 2 == 0, "ts": ts}
                out.append((f"parking/{zone.id}/{space.id}/status", json.dumps(body).encode()))
        for district in city.sanitation_districts:
            for b in district.bins:
                body = {"fill_pct": k % 100, "ts": ts}
                out.append((f"sanitation/{district.id}/{b.id}/fill", json.dumps(body).encode()))
    return out


def _key(topic: str, payload: bytes) -> tuple[str, int]:
    """(device, epoch ms) of a message: the identity of its point."""
    ts = datetime.fromisoformat(json.loads(payload)["ts"])
    return topic.split("/")[2], int(ts.timestamp() * 1000)


def _stored(influx: InfluxClient) -> list[tuple[str, int]]:
    """(device, epoch ms) of every stored parking and fill point."""
    found: list[tuple[str, int]] = []
    for measurement, field, tag in (
        ("parking_status", "occupied", "space"),
        ("bin_level", "fill_pct", "bin"),
    ):
        for series in influx.query(f'SELECT "{field}" FROM "{measurement}" GROUP BY "{tag}"'):
            found.extend((series.tags[tag], int(row["time"])) for row in series.rows())
    return found


def _count(influx: InfluxClient) -> int:
    total = 0
    for measurement, field in (("parking_status", "occupied"), ("bin_level", "fill_pct")):
        series = influx.query(f'SELECT count("{field}") FROM "{measurement}"')
        total += int(series[0].rows()[0]["count"]) if series else 0
    return total


def _publish(settings: Settings, messages: list[tuple[str, bytes]]) -> None:
    publisher = mqtt_client(settings)
    try:
        infos = [publisher.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(60)
    finally:
        publisher.disconnect()
        publisher.loop_stop()


@pytest.fixture
def shards(
    settings: Settings, influx: InfluxClient, tmp_path: Path
) -> Iterator[list[ShardProcess]]:
    """Two shard processes of the demo city, connected; their sessions forgotten afterwards."""
    running = [ShardProcess(settings, i, tmp_path) for i in range(1, SHARDS + 1)]
    try:
        for shard in running:
            shard.start()
        yield running
    finally:
        for shard in running:
            shard.stop()
        for i in range(1, SHARDS + 1):
            forget_session(settings, Shard(i, SHARDS).client_id(settings.mqtt.client_id))


def test_a_killed_shard_loses_nothing_and_the_other_goes_on(
    settings: Settings, influx: InfluxClient, shards: list[ShardProcess]
) -> None:
    city = load_city(settings.city_file)
    twos = shard_subscriptions(city, Shard(2, SHARDS), NATIVE_ROOTS)

    def of_shard_two(topic: str) -> bool:
        return any(topic_matches(f, topic) for f in twos)

    first = _messages(city, 2, offset_s=0)
    _publish(settings, first)
    wait_for(lambda: _count(influx) == len(first), 60, "the first burst to be stored")

    # Shard 2 dies with part of the second burst received and not yet acknowledged.
    second = _messages(city, 8, offset_s=100)
    publishing = threading.Thread(target=_publish, args=(settings, second))
    publishing.start()
    wait_for(lambda: _count(influx) > len(first) + 300, 60, "the second burst to be under way")
    shards[1].kill()
    publishing.join(120)
    assert not publishing.is_alive(), "publishing the second burst did not finish"

    # While it is down, shard 1 stores all of its share; shard 2's waits in its own session.
    third = _messages(city, 2, offset_s=200)
    _publish(settings, third)
    ones = sum(1 for topic, _ in first + second + third if not of_shard_two(topic))
    twos_waiting = {_key(t, p) for t, p in third if of_shard_two(t)}
    wait_for(lambda: _count(influx) >= ones, 60, "shard 1 to store its share")
    assert twos_waiting.isdisjoint(_stored(influx)), "another process took shard 2's messages"

    shards[1].start()
    everything = first + second + third
    wait_for(lambda: _count(influx) >= len(everything), 90, "shard 2 to catch up after restart")
    stored = _stored(influx)
    assert len(stored) == len(everything)
    assert set(stored) == {_key(t, p) for t, p in everything}
