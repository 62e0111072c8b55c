"""Case events on MQTT: each published at QoS 1 under ``cases/{kind}/{domain}/{group}/
{device}`` (the message's topic), delivered once the broker acknowledged it."""

from __future__ import annotations

import json
import uuid

import paho.mqtt.client as mqtt

from curbside.adapters.handoff.delivery import DeliveryFailed
from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.adapters.records.models import OutboxMessage
from curbside.config.settings import Settings


class MqttSender:
    """A paho client that reconnects by itself; an attempt waits for the broker's PUBACK."""

    def __init__(self, settings: Settings, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._client = new_client(
            BrokerAccess.from_settings(settings),
            client_id=f"curbside-handoff-{uuid.uuid4().hex[:8]}",
        )
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.connect_async(
            settings.mqtt.host, settings.mqtt.port, settings.mqtt.keepalive_s
        )
        self._client.loop_start()

    def send(self, message: OutboxMessage) -> None:
        """Publish and wait for the broker to take it."""
        if not self._client.is_connected():
            raise DeliveryFailed("not connected to the broker")
        payload = json.dumps(message.payload, ensure_ascii=False)
        info = self._client.publish(message.topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise DeliveryFailed(f"publish: {mqtt.error_string(info.rc)}")
        try:
            info.wait_for_publish(self._timeout_s)
        except (RuntimeError, ValueError) as exc:
            raise DeliveryFailed(f"publish: {exc}") from exc
        if not info.is_published():
            raise DeliveryFailed(f"no PUBACK within {self._timeout_s:.0f} s")

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()
