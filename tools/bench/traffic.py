"""Sensor traffic for the benchmarks: native JSON messages (docs/mqtt.md) and a QoS 1 publisher.

The mix follows the demo county's rates: a space reports every change and a heartbeat every
10 minutes (about 8 messages an hour), a bin its fill every 15 minutes (4 an hour) and one in
twenty bin messages is an emptying; with twice as many spaces as bins that is about four
parking messages to one bin message. Every message of a device has a timestamp of its own,
so each one is exactly one point in InfluxDB and the count check is exact.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt

from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.city.registry import City

SPACE_RATE, BIN_RATE = 8.0, 4.0  # messages per device per hour
EMPTIED_EVERY = 20
TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message and the measurement its point lands in."""

    topic: str
    payload: bytes
    measurement: str


@dataclass(frozen=True, slots=True)
class Device:
    """A topic prefix and whether it is a space or a bin."""

    prefix: str
    is_space: bool


def devices(city: City) -> list[Device]:
    """Every space and bin of the registry."""
    return [
        *(Device(f"parking/{z.id}/{s.id}", True) for z in city.parking_zones for s in z.spaces),
        *(
            Device(f"sanitation/{d.id}/{b.id}", False)
            for d in city.sanitation_districts
            for b in d.bins
        ),
    ]


def _stamp(at: datetime) -> str:
    return at.astimezone(TZ).isoformat(timespec="milliseconds")


def message(device: Device, at: datetime, rng: random.Random) -> Message:
    """A realistic message of ``device`` observed at ``at``."""
    if device.is_space:
        body: dict[str, object] = {
            "occupied": rng.random() < 0.6,
            "ts": _stamp(at),
            "battery_v": round(rng.uniform(3.4, 3.7), 2),
            "rssi_dbm": rng.randint(-110, -70),
        }
        return Message(f"{device.prefix}/status", json.dumps(body).encode(), "parking_status")
    if rng.randrange(EMPTIED_EVERY) == 0:
        body = {"ts": _stamp(at), "truck": f"T{rng.randint(1, 10):02d}"}
        return Message(f"{device.prefix}/emptied", json.dumps(body).encode(), "bin_emptied")
    body = {
        "fill_pct": round(rng.uniform(0, 100), 1),
        "ts": _stamp(at),
        "battery_v": round(rng.uniform(3.3, 3.7), 2),
        "temp_c": round(rng.uniform(5, 30), 1),
        "tilted": False,
    }
    return Message(f"{device.prefix}/fill", json.dumps(body).encode(), "bin_level")


def backlog(city: City, count: int, seed: int = 7) -> list[Message]:
    """``count`` messages over the last day, devices drawn in proportion to their rates."""
    rng = random.Random(seed)
    everyone = devices(city)
    weights = [SPACE_RATE if d.is_space else BIN_RATE for d in everyone]
    start = datetime.now(UTC) - timedelta(days=1)
    sent = [0] * len(everyone)
    out = []
    for index in rng.choices(range(len(everyone)), weights, k=count):
        # Each device's k-th message is k seconds after the start: no two share a time.
        out.append(message(everyone[index], start + timedelta(seconds=sent[index]), rng))
        sent[index] += 1
    return out


def steady(city: City, seed: int = 11) -> Callable[[datetime], Message]:
    """A source of live messages: each call, the next device (round robin) observed ``at``."""
    rng = random.Random(seed)
    everyone = devices(city)
    rng.shuffle(everyone)
    position = 0

    def next_message(at: datetime) -> Message:
        nonlocal position
        device = everyone[position % len(everyone)]
        position += 1
        return message(device, at, rng)

    return next_message


class Publisher:
    """A QoS 1 publisher that knows when the broker has acknowledged everything.

    It runs paho's network loop in the caller's thread: ``publish`` writes to the socket at
    once, and acknowledgements are read in passing. (With paho's own loop thread, every
    publish wakes that thread and the two fight over the GIL: a few hundred messages a
    second on a busy machine.)
    """

    def __init__(self, access: BrokerAccess, client_id: str = "bench-publisher") -> None:
        self.acked = 0
        self._sent = 0
        self.client = new_client(access, client_id=client_id)
        self.client.max_inflight_messages_set(5000)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        self.client.connect(access.host, access.port)
        deadline = time.monotonic() + 30
        while not self.client.is_connected():
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: no MQTT connection to port {access.port}")
            self.client.loop(0.1)

    def _on_publish(self, *args: object) -> None:
        self.acked += 1

    def publish(self, m: Message) -> None:
        """Send one message at QoS 1."""
        info = self.client.publish(m.topic, m.payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise SystemExit(f"bench: publish failed: {mqtt.error_string(info.rc)}")
        self._sent += 1
        if self._sent % 100 == 0:
            self.service()

    def service(self, timeout_s: float = 0.0) -> None:
        """Read acknowledgements and send what waits (for up to ``timeout_s``)."""
        rc = self.client.loop(timeout_s)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            raise SystemExit(f"bench: publisher lost the broker: {mqtt.error_string(rc)}")

    def wait_acked(self, count: int, timeout_s: float) -> None:
        """Block until the broker acknowledged ``count`` messages in all."""
        deadline = time.monotonic() + timeout_s
        while self.acked < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: broker acknowledged {self.acked} of {count}")
            self.service(0.05)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
