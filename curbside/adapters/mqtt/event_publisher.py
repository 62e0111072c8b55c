"""Publishes a process's events (QoS 1) on a connection of its own that reconnects by itself."""

from __future__ import annotations

import logging

import paho.mqtt.client as mqtt

from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.config.settings import Settings

log = logging.getLogger(__name__)


class EventPublisher:
    """paho queues what is published while the broker is away (bounded)."""

    def __init__(self, settings: Settings, client_id: str) -> None:
        self._client = new_client(BrokerAccess.from_settings(settings), client_id=client_id)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.max_queued_messages_set(10_000)
        self._client.connect_async(
            settings.mqtt.host, settings.mqtt.port, settings.mqtt.keepalive_s
        )
        self._client.loop_start()

    def publish(self, topic: str, payload: str) -> bool:
        """Hand the event to paho (QoS 1); False if paho refused it (its queue full)."""
        info = self._client.publish(topic, payload, qos=1)
        # NO_CONN: queued by paho until the connection is back.
        if info.rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            return True
        log.warning("%s not published: %s", topic, mqtt.error_string(info.rc))
        return False

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()
