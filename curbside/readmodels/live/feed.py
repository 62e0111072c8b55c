"""The API's own MQTT connection: follows the telemetry stream for the live state.

paho-mqtt runs its network loop in its own thread and calls ``on_message`` there. That
thread only decodes and admits a message (curbside/adapters/intake.py, the very code ingest runs)
and appends the readings to a queue; the event loop applies them
(curbside/readmodels/live/state.py).
Rejected messages are counted, not dead-lettered: ingest does that.

The session is clean (the API keeps no state at the broker): what it misses while away is
read back from InfluxDB after every reconnect, which :attr:`LiveFeed.connects` signals.
The client connects asynchronously and reconnects by itself, so the API starts (and keeps
serving) while the broker is down; /health reports the connection as it is.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

import curbside.adapters.decoders.formats  # noqa: F401 - registers every payload format
from curbside.adapters.decoders.registry import subscriptions
from curbside.adapters.intake import Intake
from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.config.settings import Settings
from curbside.vocabulary.readings import Reading
from curbside.vocabulary.rejection import Reason, Rejected

log = logging.getLogger(__name__)

RECONNECT_MIN_DELAY_S = 1
RECONNECT_MAX_DELAY_S = 30
# Readings waiting for the event loop. Past this the feed drops them and says so
# (:attr:`LiveFeed.overflows`): the live state then reads everything back from InfluxDB.
MAX_QUEUED = 100_000


class BrokerStatus(Protocol):
    """What /health needs to know about the broker."""

    @property
    def connected(self) -> bool:
        """Whether the connection to the broker is up right now."""
        ...

    @property
    def following(self) -> bool:
        """Whether the telemetry subscriptions are in place on the current connection."""
        ...

    @property
    def received(self) -> int:
        """Sensor messages received so far."""
        ...

    @property
    def rejected(self) -> Mapping[str, int]:
        """Of those, how many the intake refused, by reason."""
        ...


class LiveFeed:
    """A paho-mqtt client subscribed to every sensor topic, queueing admitted readings."""

    def __init__(
        self,
        access: BrokerAccess,
        intake: Intake,
        *,
        client_id: str,
        keepalive_s: int = 30,
        topic_filters: list[str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._host = access.host
        self._port = access.port
        self._keepalive_s = keepalive_s
        self._intake = intake
        self._clock = clock
        self._topic_filters = topic_filters if topic_filters is not None else subscriptions()
        # (monotonic receive time, readings); deque appends and pops are thread-safe.
        self._queue: deque[tuple[float, list[Reading]]] = deque()
        self._lock = threading.Lock()
        self._subscribe_mid: int | None = None
        self._following = False
        self.connects = 0
        self.overflows = 0
        self.received = 0
        self._rejected: Counter[str] = Counter()
        self._client = new_client(access, client_id=client_id, clean_session=True)
        self._client.reconnect_delay_set(RECONNECT_MIN_DELAY_S, RECONNECT_MAX_DELAY_S)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    @classmethod
    def from_settings(cls, settings: Settings, intake: Intake) -> LiveFeed:
        """A feed from the configured broker; the client id carries the pid, unique per process."""
        return cls(
            BrokerAccess.from_settings(settings),
            intake,
            client_id=f"curbside-api-{os.getpid()}",
            keepalive_s=settings.mqtt.keepalive_s,
        )

    @property
    def connected(self) -> bool:
        """Whether the connection to the broker is up right now."""
        return self._client.is_connected()

    @property
    def following(self) -> bool:
        """Whether the broker granted the telemetry subscriptions on the current connection."""
        return self._following and self.connected

    def start(self) -> None:
        """Start connecting in the background; never blocks on, or fails for, a down broker."""
        self._client.connect_async(self._host, self._port, self._keepalive_s)
        self._client.loop_start()

    async def wait_following(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the subscriptions to be granted; whether they were."""
        deadline = time.monotonic() + timeout_s
        while not self.following and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.following

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def rejected(self) -> dict[str, int]:
        """Of the messages received, how many the intake refused, by reason."""
        with self._lock:
            return dict(self._rejected)

    def drain(self, limit: int) -> list[tuple[float, list[Reading]]]:
        """Up to ``limit`` queued messages' readings, oldest first, with their receive times."""
        taken: list[tuple[float, list[Reading]]] = []
        while len(taken) < limit:
            try:
                taken.append(self._queue.popleft())
            except IndexError:
                break
        return taken

    @property
    def queued(self) -> int:
        """How many messages wait to be applied."""
        return len(self._queue)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.warning("broker %s:%s refused the connection: %s", *self._where, reason_code)
            return
        log.info("connected to broker %s:%s; following the sensor topics", *self._where)
        with self._lock:
            self._following = False
            result, mid = client.subscribe([(topic, 1) for topic in self._topic_filters])
            self._subscribe_mid = mid if result == mqtt.MQTT_ERR_SUCCESS else None
            # Counted after subscribing: a full read triggered by this starts no earlier.
            self.connects += 1

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        with self._lock:
            if mid != self._subscribe_mid:
                return
            refused = [code for code in reason_codes if code.is_failure]
            self._following = not refused
        if refused:
            log.error(
                "broker refused the sensor topics to the API (%s): the live state will not "
                "follow the stream; check the api account's read rights",
                refused[0],
            )

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            self._following = False
        if reason_code.is_failure:
            log.warning("lost broker %s:%s (%s); reconnecting", *self._where, reason_code)
        else:
            log.info("disconnected from broker %s:%s", *self._where)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        received = time.monotonic()
        self.received += 1
        # Nothing may escape into paho's thread: it would end, and the live state with it.
        # ingest logs and dead-letters the same message; here it is only counted.
        try:
            readings = self._intake.readings(
                message.topic,
                bytes(message.payload),
                self._clock(),
                retained=bool(message.retain),
            )
        except Rejected as rejected:
            self._count_rejected(rejected.reason)
            return
        except Exception:  # noqa: BLE001 - a bad topic (invalid UTF-8) or a bug
            self._count_rejected(Reason.INTERNAL_ERROR)
            return
        if len(self._queue) >= MAX_QUEUED:
            self.overflows += 1
            return
        self._queue.append((received, readings))

    def _count_rejected(self, reason: Reason) -> None:
        with self._lock:
            self._rejected[str(reason)] += 1

    @property
    def _where(self) -> tuple[str, int]:
        return self._host, self._port
