"""The API's own MQTT connection, kept only so /health can say whether the broker is up.

The client connects asynchronously and reconnects by itself, so the API starts (and keeps
serving) while the broker is down; /health reports the connection as it is.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from config.settings import Settings
from mqttclient import BrokerAccess, new_client

log = logging.getLogger(__name__)

RECONNECT_MIN_DELAY_S = 1
RECONNECT_MAX_DELAY_S = 30


class BrokerStatus(Protocol):
    """What /health needs to know about the broker."""

    @property
    def connected(self) -> bool:
        """Whether the connection to the broker is up right now."""
        ...


class BrokerLink:
    """A paho-mqtt client that only connects: it publishes and subscribes nothing."""

    def __init__(self, access: BrokerAccess, *, client_id: str, keepalive_s: int = 30) -> None:
        self._host = access.host
        self._port = access.port
        self._keepalive_s = keepalive_s
        self._client = new_client(access, client_id=client_id, clean_session=True)
        self._client.reconnect_delay_set(RECONNECT_MIN_DELAY_S, RECONNECT_MAX_DELAY_S)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerLink:
        """A link to the configured broker; the client id carries the pid, unique per process."""
        return cls(
            BrokerAccess.from_settings(settings),
            client_id=f"curbside-api-{os.getpid()}",
            keepalive_s=settings.mqtt_keepalive_s,
        )

    @property
    def connected(self) -> bool:
        """Whether the connection to the broker is up right now."""
        return self._client.is_connected()

    def start(self) -> None:
        """Start connecting in the background; never blocks on, or fails for, a down broker."""
        self._client.connect_async(self._host, self._port, self._keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

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
        else:
            log.info("connected to broker %s:%s", *self._where)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.warning("lost broker %s:%s (%s); reconnecting", *self._where, reason_code)
        else:
            log.info("disconnected from broker %s:%s", *self._where)

    @property
    def _where(self) -> tuple[str, int]:
        return self._host, self._port
