"""Helpers for the broker security tests: provisioned accounts, a listener that records what
a subscriber really receives, and a raw MQTT client for what paho refuses to send."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt

from curbside.adapters.mqtt.client import BrokerAccess
from curbside.adapters.provisioning.changes import Issued, add_devices, revoke
from curbside.adapters.provisioning.devices import find_devices
from curbside.adapters.provisioning.store import BrokerFiles, load_accounts
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from tests.support import mqtt_client, reload_and_wait, settings_as, wait_for

NOT_AUTHORISED = 135  # paho's number for MQTT 3.1.1's CONNACK 5, "not authorised"
BAD_CREDENTIALS = 134  # CONNACK 4, "bad user name or password": RabbitMQ's refusal
REPO = Path(__file__).resolve().parents[2]


def refusal(settings: Settings) -> int:
    """The CONNACK code with which the broker of ``settings`` refuses a login."""
    return BAD_CREDENTIALS if settings.mqtt.broker == "rabbitmq" else NOT_AUTHORISED


class Listener:
    """A subscriber with every right (the suite's account) recording what it receives."""

    def __init__(self, settings: Settings, filters: Sequence[str]) -> None:
        self.received: list[tuple[str, bytes]] = []
        self._client = mqtt_client(settings)
        self._client.on_message = self._record
        subscribed: list[int] = []
        self._client.on_subscribe = lambda *_args: subscribed.append(1)
        self._client.subscribe([(f, 1) for f in filters])
        wait_for(lambda: bool(subscribed), 20, "the listener's subscription")

    def _record(self, _client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        self.received.append((msg.topic, bytes(msg.payload)))

    def got(self, payload: bytes) -> bool:
        """Whether a message with this payload arrived."""
        return any(p == payload for _, p in self.received)

    def sync(self) -> None:
        """Publish to ourselves and wait for it: whatever the broker routed to us before has
        arrived by then (it writes to one subscriber in order)."""
        marker = f"sync-{uuid.uuid4().hex}".encode()
        self._client.publish(f"curbside-test/sync/{marker.decode()}", marker, qos=1)
        wait_for(lambda: self.got(marker), 30, "the listener's own sync message")

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


@contextmanager
def listening(settings: Settings, filters: Sequence[str]) -> Iterator[Listener]:
    """A :class:`Listener` for the duration of the block."""
    listener = Listener(settings, filters)
    try:
        yield listener
    finally:
        listener.close()


@contextmanager
def logged_in(settings: Settings, issued: Issued, client_id: str = "") -> Iterator[mqtt.Client]:
    """A connected paho client as ``issued`` (with ``client_id``, if given)."""
    client = mqtt_client(settings_as(settings, issued), client_id=client_id)
    wait_for(client.is_connected, 20, f"{issued.username} to connect")
    try:
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def publish_all(client: mqtt.Client, messages: Sequence[tuple[str, bytes]]) -> None:
    """Publish allowed messages at QoS 1 and wait for each PUBACK."""
    for topic, payload in messages:
        client.publish(topic, payload, qos=1).wait_for_publish(20)


def attempt(
    settings: Settings, issued: Issued, topic: str, payload: bytes, client_id: str = ""
) -> None:
    """Log in as ``issued``, publish once at QoS 1 and wait for the broker's answer.

    Mosquitto 2.0 answers a denied publish with a PUBACK and then closes the connection, so
    each attempt gets a connection of its own. Whether it got through, only a subscriber can
    tell: see :meth:`Listener.sync`."""
    answered: list[str] = []
    with logged_in(settings, issued, client_id) as client:
        client.on_publish = lambda *_args: answered.append("puback")
        client.on_disconnect = lambda *_args: answered.append("disconnected")
        client.publish(topic, payload, qos=1)
        wait_for(lambda: bool(answered), 20, f"the broker's answer to {issued.username}")


def _utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _packet(first_byte: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        digit, length = length % 128, length // 128
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes([first_byte]) + bytes(encoded) + body


def raw_publish(access: BrokerAccess, topic: str, payload: bytes) -> bool:
    """Log in over a bare socket and publish (QoS 0) a topic paho would refuse, such as one
    with wildcards. True if the broker then closed the connection (its answer to a protocol
    violation); False if the connection stayed open."""
    assert access.username is not None and access.password is not None
    connect = _packet(
        0x10,
        _utf8("MQTT")
        + bytes([4, 0xC2])  # MQTT 3.1.1; user name, password, clean session
        + struct.pack("!H", 30)
        + _utf8(f"raw-{uuid.uuid4().hex[:8]}")
        + _utf8(access.username)
        + _utf8(access.password),
    )
    with socket.create_connection((access.host, access.port), timeout=10) as sock:
        sock.sendall(connect)
        connack_packet = sock.recv(4)
        assert connack_packet[:2] == b"\x20\x02" and connack_packet[3] == 0, connack_packet
        sock.sendall(_packet(0x30, _utf8(topic) + payload))
        try:
            return sock.recv(1) == b""
        except TimeoutError:
            return False


def provisioning_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m curbside.cli.provisioning ARGS`` for the broker of ``settings``."""
    env = {
        **os.environ,
        "CURBSIDE_RUN_DIR": str(settings.run_dir),
        "CURBSIDE_MQTT_PORT": str(settings.mqtt.port),
    }
    return subprocess.run(
        [sys.executable, "-m", "curbside.cli.provisioning", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def provisioned_devices(
    settings: Settings, files: BrokerFiles, ids: Sequence[str]
) -> Iterator[dict[str, Issued]]:
    """Devices of the city registry with fresh passwords, by user name, the broker reloaded;
    those still there afterwards are revoked."""
    city = load_city(settings.city_file)
    issued = add_devices(files, find_devices(city, ids), rotate=True)
    reload_and_wait(files, settings, issued)
    try:
        yield {i.username: i for i in issued}
    finally:
        left = [i.username for i in issued if i.username in load_accounts(files)]
        if left:
            revoke(files, left)
            reload_and_wait(files, settings, [])
