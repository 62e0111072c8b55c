"""Ingest on a three-node RabbitMQ cluster survives the loss of any node: the session queue's
leader killed with -9 in the middle of a burst, that node restarted, a rolling restart of all
three, and two shards on different nodes. Every message is stored exactly once: InfluxDB holds
one point per published (device, timestamp), no more and no fewer; a redelivered message
rewrites its own point, which is harmless.

Ingest and the publisher are given every node's address (``CURBSIDE_MQTT_ADDRESSES``) and move
to the next on loss; ingest's session is a quorum queue, so it resumes on any node. The times
from a kill to ingest's resumed session are printed (pytest -s) for docs/rabbitmq.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from tests.cluster.cluster import NODES, Cluster
from tests.integration.test_ingest_shards import _count, _key, _messages, _stored
from tests.support import mqtt_client, wait_for
from tools.harness.processes import CurbsideProcess, settings_env

pytestmark = pytest.mark.cluster

Messages = Sequence[tuple[str, bytes]]


class Ingester:
    """``python -m ingest`` (or one shard of it) on the cluster, its lives logged apart."""

    def __init__(self, settings: Settings, log_dir: Path, name: str, **env: str) -> None:
        self.settings, self.log_dir, self.name, self.env = settings, log_dir, name, env
        self.process: CurbsideProcess | None = None

    def start(self) -> Ingester:
        env = settings_env(self.settings, CURBSIDE_INGEST_BATCH_SIZE="500", **self.env)
        log = self.log_dir / f"{self.name}.log"
        self.process = CurbsideProcess(self.name, ["ingest"], env, log).start()
        wait_for(lambda: self.connections() >= 1, 60, f"{self.name} to connect")
        return self

    def connections(self) -> int:
        """How many times it has connected so far."""
        assert self.process is not None
        self.process.check_running()
        return self.process.log.read_text().count("connected to the broker (session")

    def resumed(self) -> int:
        """How many of those found their session kept by the broker."""
        assert self.process is not None
        return self.process.log.read_text().count("connected to the broker (session resumed)")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(30)


def publish_all(settings: Settings, messages: Messages) -> None:
    """Publish at QoS 1 until every message is acknowledged, as a device would: a message
    whose acknowledgement is lost with its node is published again after the failover."""
    client = mqtt_client(settings)
    try:
        pending = list(messages)
        while pending:
            chunk, pending = pending[:500], pending[500:]
            infos = [client.publish(t, p, qos=1) for t, p in chunk]
            retry = []
            for message, info in zip(chunk, infos, strict=True):
                try:
                    info.wait_for_publish(30)
                except (RuntimeError, ValueError):
                    retry.append(message)
                    continue
                if not info.is_published():
                    retry.append(message)
            if retry:
                wait_for(client.is_connected, 60, "the publisher to fail over")
                pending = retry + pending
    finally:
        client.disconnect()
        client.loop_stop()


def in_background(settings: Settings, messages: Messages) -> threading.Thread:
    thread = threading.Thread(target=publish_all, args=(settings, messages), daemon=True)
    thread.start()
    return thread


def more_than(influx: InfluxClient, count: int) -> bool:
    return _count(influx) > count


def assert_exactly_once(influx: InfluxClient, messages: Messages, timeout_s: float) -> None:
    wait_for(lambda: _count(influx) >= len(messages), timeout_s, "every message to be stored")
    stored = _stored(influx)
    assert len(stored) == len(messages), f"{len(stored)} points for {len(messages)} messages"
    assert set(stored) == {_key(t, p) for t, p in messages}


@pytest.fixture
def influx(cluster: Cluster) -> Iterator[InfluxClient]:
    client = cluster.influx()
    client.query("DROP SERIES FROM /.*/")
    yield client
    client.close()


def on_node(cluster: Cluster, first: int, **changes: object) -> Settings:
    """The cluster's settings, trying node ``first`` first."""
    return cluster.settings.replace(mqtt_addresses=cluster.addresses(first), **changes)


def test_the_queue_leader_killed_mid_burst_then_restarted_loses_nothing(
    cluster: Cluster, influx: InfluxClient, tmp_path: Path
) -> None:
    city = load_city(cluster.settings.city_file)
    client_id = "ingest-leader-kill"
    ingest = Ingester(on_node(cluster, 1, mqtt_client_id=client_id), tmp_path, "ingest").start()
    try:
        leader = cluster.leader(client_id)
        publisher = on_node(cluster, leader % NODES + 1)  # a node that stays up
        burst = _messages(city, 8, offset_s=0)
        publishing = in_background(publisher, burst)
        wait_for(lambda: _count(influx) > 2000, 120, "the burst to be under way")
        before = ingest.connections()
        killed = cluster.kill(leader)
        wait_for(lambda: ingest.connections() > before, 120, "ingest to fail over")
        reconnected_s = time.monotonic() - killed
        publishing.join(300)
        assert not publishing.is_alive(), "publishing the burst did not finish"
        assert_exactly_once(influx, burst, 300)
        assert ingest.resumed() >= 1, "ingest's session was not resumed on another node"
        new_leader = cluster.leader(client_id, node=leader % NODES + 1)
        print(
            f"\nleader node {leader} killed: ingest resumed its session after "
            f"{reconnected_s:.1f} s; new leader node {new_leader}"
        )

        # The killed node comes back and rejoins; the next burst is stored as well.
        started = time.monotonic()
        cluster.start_missing()
        print(f"node {leader} restarted and rejoined in {time.monotonic() - started:.1f} s")
        more = _messages(city, 2, offset_s=100)
        publish_all(on_node(cluster, leader), more)
        assert_exactly_once(influx, [*burst, *more], 120)
    finally:
        ingest.stop()


def test_a_rolling_restart_of_every_node_loses_nothing(
    cluster: Cluster, influx: InfluxClient, tmp_path: Path
) -> None:
    city = load_city(cluster.settings.city_file)
    ingest = Ingester(
        on_node(cluster, 1, mqtt_client_id="ingest-rolling"), tmp_path, "ingest"
    ).start()
    try:
        published: list[tuple[str, bytes]] = []
        for node in range(1, NODES + 1):
            burst = _messages(city, 2, offset_s=1000 * node)
            published += burst
            # Publish from the node after the one going down, then take it down mid-burst.
            publishing = in_background(on_node(cluster, node % NODES + 1), burst)
            stored_before = len(published) - len(burst)
            wait_for(partial(more_than, influx, stored_before + 500), 120, "the burst under way")
            started = time.monotonic()
            cluster.stop_node(node)
            cluster.start_missing()
            print(
                f"\nnode {node} stopped and back in the cluster in "
                f"{time.monotonic() - started:.1f} s"
            )
            publishing.join(300)
            assert not publishing.is_alive(), "publishing did not finish"
        assert_exactly_once(influx, published, 300)
        assert ingest.connections() >= 2, "ingest never had to fail over"
    finally:
        ingest.stop()


def test_two_shards_on_different_nodes_lose_nothing_when_one_node_dies(
    cluster: Cluster, influx: InfluxClient, tmp_path: Path
) -> None:
    city = load_city(cluster.settings.city_file)
    shards = [
        Ingester(
            on_node(cluster, node, mqtt_client_id="ingest-shards"),
            tmp_path,
            f"shard{node}",
            CURBSIDE_INGEST_SHARD=f"{node}/2",
        ).start()
        for node in (1, 2)
    ]
    try:
        burst = _messages(city, 6, offset_s=2000)
        publishing = in_background(on_node(cluster, 3), burst)
        wait_for(lambda: _count(influx) > 2000, 120, "the burst to be under way")
        before = shards[1].connections()
        killed = cluster.kill(2)
        wait_for(lambda: shards[1].connections() > before, 120, "shard 2 to fail over")
        print(f"\nnode 2 killed: shard 2 reconnected after {time.monotonic() - killed:.1f} s")
        publishing.join(300)
        assert not publishing.is_alive(), "publishing the burst did not finish"
        assert_exactly_once(influx, burst, 300)
        assert shards[1].resumed() >= 1
    finally:
        for shard in shards:
            shard.stop()
        cluster.start_missing()


def test_a_clean_session_subscriber_follows_again_when_its_node_dies(cluster: Cluster) -> None:
    # What the API's live feed and the alert listener are: a clean session, subscribing anew on
    # every connection, on node 1 (with the cluster's other nodes to fail over to).
    settings = on_node(cluster, 1)
    heard: list[bytes] = []
    follower = new_client(
        BrokerAccess.from_settings(settings), client_id="live-feed-like", clean_session=True
    )
    follower.on_connect = lambda c, *_args: c.subscribe("parking/#", qos=1)
    follower.on_message = lambda _c, _u, msg: heard.append(bytes(msg.payload))
    follower.reconnect_delay_set(1, 2)
    follower.connect_async("127.0.0.1", cluster.node_mqtt_port(1))
    follower.loop_start()
    try:
        wait_for(follower.is_connected, 30, "the follower to connect")
        cluster.kill(1)
        publisher = mqtt_client(on_node(cluster, 2))
        try:
            # Until it has failed over and subscribed again, a message may reach no one.
            def delivered() -> bool:
                marker = f"after the loss {time.monotonic()}".encode()
                publisher.publish("parking/Z01/Z01-001/status", marker, qos=1).wait_for_publish(10)
                time.sleep(0.5)
                return marker in heard

            wait_for(delivered, 60, "the follower to hear the stream on another node")
        finally:
            publisher.disconnect()
            publisher.loop_stop()
    finally:
        follower.disconnect()
        follower.loop_stop()
        cluster.start_missing()
