"""The edge to the broker: publishing at QoS 1 with paho-mqtt, with bounded memory.

At most ``max_pending`` messages are published but not yet acknowledged; publishing more
blocks until the broker catches up, so a fast simulation paces itself to the broker instead
of queueing without bound.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from curbside.adapters.mqtt.client import BrokerAccess, new_client

log = logging.getLogger(__name__)

QOS = 1
MAX_INFLIGHT = 1000
MAX_PENDING = 2000
KEEPALIVE_S = 30
STALL_WARNING_S = 10.0


class Publisher(Protocol):
    """Where simulated messages go."""

    def publish(self, topic: str, payload: bytes) -> None:
        """Send one message (may block while too many are unacknowledged)."""

    def wait_all(self, timeout_s: float) -> bool:
        """Wait until every message sent so far is acknowledged; False on timeout."""

    def close(self) -> None:
        """Disconnect and release resources."""


class BrokerUnavailable(Exception):
    """The broker could not be reached or refused the connection; the message names it."""


class MqttPublisher:
    """Publishes to an MQTT broker at QoS 1 from the caller's thread, with paho's loop thread."""

    def __init__(
        self, access: BrokerAccess, *, client_id: str, max_pending: int = MAX_PENDING
    ) -> None:
        self._where = f"{access.host}:{access.port}"
        self._host, self._port = access.host, access.port
        self._max_pending = max_pending
        self._pending = 0
        self._changed = threading.Condition()
        self._connected = threading.Event()
        self._failure: str | None = None
        client = new_client(access, client_id=client_id)
        client.max_inflight_messages_set(MAX_INFLIGHT)
        # Our own limit stops us first; paho's queue limit is the backstop for memory.
        client.max_queued_messages_set(max_pending + MAX_INFLIGHT)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._client = client

    def connect(self, timeout_s: float = 5.0) -> None:
        """Connect, or raise :class:`BrokerUnavailable` naming host:port within ``timeout_s``."""
        self._client.connect_async(self._host, self._port, keepalive=KEEPALIVE_S)
        self._client.loop_start()
        deadline = time.monotonic() + timeout_s
        while not self._connected.wait(0.05):
            if self._failure is not None and "refused the connection" in self._failure:
                break  # an answer from the broker: retrying will not change it
            if time.monotonic() >= deadline:
                break
        if not self._connected.is_set():
            self._client.loop_stop()
            reason = self._failure or "no answer"
            raise BrokerUnavailable(
                f"cannot connect to the MQTT broker at {self._where} within {timeout_s:g} s: "
                f"{reason}"
            )

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._failure = f"the broker refused the connection ({reason_code})"
            return
        if self._failure is not None and self._connected.is_set():
            log.warning("reconnected to %s", self._where)
        self._connected.set()

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._failure = "connection failed (is a broker listening there?)"

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._failure = f"disconnected ({reason_code})"
            log.warning("lost the connection to %s (%s); reconnecting", self._where, reason_code)

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._changed:
            self._pending -= 1
            self._changed.notify_all()

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1; blocks while ``max_pending`` messages await acknowledgement."""
        with self._changed:
            waited = 0.0
            while self._pending >= self._max_pending:
                if not self._changed.wait(1.0):
                    waited += 1.0
                    if waited % STALL_WARNING_S == 0:
                        log.warning(
                            "%d messages unacknowledged by %s for %.0f s; waiting",
                            self._pending,
                            self._where,
                            waited,
                        )
            self._pending += 1
        info = self._client.publish(topic, payload, qos=QOS)
        # NO_CONN means paho keeps the message and sends it once reconnected.
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            with self._changed:
                self._pending -= 1
            raise RuntimeError(f"publishing to {self._where} failed: {mqtt.error_string(info.rc)}")

    def wait_all(self, timeout_s: float) -> bool:
        """Wait until the broker acknowledged every publish; False if ``timeout_s`` ran out."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    @property
    def pending(self) -> int:
        """Messages published but not yet acknowledged."""
        with self._changed:
            return self._pending

    def close(self) -> None:
        """Disconnect cleanly and stop paho's thread."""
        self._client.disconnect()
        self._client.loop_stop()
