"""A client given several broker addresses moves to the next when one is lost: real paho
clients against real loopback sockets (no broker: the test only watches where CONNECT goes)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace

from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.config.settings import Settings
from tools.harness.processes import wait_for


@contextmanager
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback port that records the client id of every MQTT CONNECT and hangs up."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    seen: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                with suppress(OSError):
                    seen.append(conn.recv(1024))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], seen
    finally:
        server.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_lost_address_sends_the_next_attempt_to_the_next_one() -> None:
    dead = closed_port()
    with listener() as (first, at_first), listener() as (second, at_second):
        access = BrokerAccess(
            "127.0.0.1", dead, endpoints=(("127.0.0.1", first), ("127.0.0.1", second))
        )
        client = new_client(access, client_id="failover-unit", clean_session=False)
        client.reconnect_delay_set(1, 1)
        client.connect_async("127.0.0.1", dead)  # overridden: the first attempt is endpoints[0]
        client.loop_start()
        try:
            wait_for(lambda: bool(at_first) and bool(at_second), 20, "attempts at both addresses")
        finally:
            client.loop_stop()
    # A persistent session keeps its client id on every node.
    assert all(
        b"failover-unit" in packet and b"failover-unit-" not in packet
        for packet in at_first + at_second
    )


def test_a_clean_session_reconnects_under_a_new_client_id() -> None:
    with listener() as (only, seen), listener() as (other, seen_other):
        access = BrokerAccess(
            "127.0.0.1", only, endpoints=(("127.0.0.1", only), ("127.0.0.1", other))
        )
        client = new_client(access, client_id="feed", clean_session=True)
        client.reconnect_delay_set(1, 1)
        client.connect_async("127.0.0.1", only)
        client.loop_start()
        try:
            wait_for(lambda: len(seen) >= 2, 20, "two attempts at the first address")
        finally:
            client.loop_stop()
    first, *later = seen + seen_other
    assert b"feed" in first and b"feed-" not in first
    assert later and all(b"feed-" in packet for packet in later)


def test_one_address_means_no_failover_hook() -> None:
    client = new_client(BrokerAccess("127.0.0.1", 1883), client_id="single")
    assert client.on_pre_connect is None


def test_without_an_address_list_a_copy_with_another_port_goes_there() -> None:
    # The TLS tests copy the settings' access with the TLS listener's port: it must be used.
    access = BrokerAccess.from_settings(Settings().replace(mqtt_port=1883))
    assert replace(access, port=1884).addresses == (("127.0.0.1", 1884),)
    listed = BrokerAccess.from_settings(
        Settings().replace(mqtt_addresses="127.0.0.1:5671,127.0.0.1:5681")
    )
    assert listed.addresses == (("127.0.0.1", 5671), ("127.0.0.1", 5681))
