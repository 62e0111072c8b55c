"""Publishes alert changes under ``alerts/...`` at QoS 1 for dispatch apps and trucks, and
optionally hears every change published there (the API relays them as server-sent events)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.config.settings import Settings
from curbside.domain.alerts.document import TOPIC_PREFIX, alert_document, alert_topic
from curbside.vocabulary.alerts import Alert

log = logging.getLogger(__name__)


class AlertPublisher:
    """A paho client that reconnects by itself; paho queues publishes while it is away."""

    def __init__(
        self,
        settings: Settings,
        client_id: str | None = None,
        on_alert: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._client = new_client(
            BrokerAccess.from_settings(settings),
            client_id=client_id or f"curbside-alerts-{uuid.uuid4().hex[:8]}",
        )
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        # Bounded: alerts are few; a broker away for long must not grow memory without end.
        self._client.max_queued_messages_set(10_000)
        self._on_alert = on_alert
        if on_alert is not None:
            self._client.on_connect = self._subscribe
            self._client.on_message = self._heard
        self._client.connect_async(
            settings.mqtt.host, settings.mqtt.port, settings.mqtt.keepalive_s
        )
        self._client.loop_start()

    def publish(self, alert: Alert) -> None:
        """Publish the alert's current state (QoS 1)."""
        info = self._client.publish(*alert_message(alert), qos=1)
        # NO_CONN: queued by paho until the connection is back.
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.warning("alert %s not published: %s", alert.id, mqtt.error_string(info.rc))

    def _subscribe(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(f"{TOPIC_PREFIX}/#", qos=1)

    def _heard(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._on_alert is not None:
            # The topic is not read (and paho's decoding of it could raise in its thread).
            relay_alerts(self._on_alert)(TOPIC_PREFIX, bytes(message.payload), message.retain)

    def close(self) -> None:
        """Let queued publishes go out, then disconnect."""
        self._client.loop_stop()
        self._client.disconnect()


def alert_message(alert: Alert) -> tuple[str, str]:
    """The topic and payload that announce the alert's current state."""
    return alert_topic(alert), json.dumps(alert_document(alert), ensure_ascii=False)


def relay_alerts(
    on_alert: Callable[[dict[str, Any]], None],
) -> Callable[[str, bytes, bool], None]:
    """What hears ``alerts/#``: each change that is a JSON document goes to ``on_alert``.

    Anyone allowed to publish under alerts/ could send anything: nothing may escape into the
    client that heard it, which would end, and the alert stream with it."""

    def heard(_topic: str, payload: bytes, _retain: bool) -> None:
        try:
            document = json.loads(payload)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            log.warning("ignoring a message on alerts/ that is not a JSON document")
            return
        if not isinstance(document, dict):
            return
        try:
            on_alert(document)
        except Exception:
            log.exception("could not relay an alert change; it is dropped")

    return heard
