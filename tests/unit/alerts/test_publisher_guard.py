"""No message on alerts/ stops the alert listener (the API's alert stream hears through it)."""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as mqtt

from curbside.adapters.mqtt.alert_publisher import AlertPublisher
from curbside.config.settings import load_settings


def _message(payload: bytes) -> mqtt.MQTTMessage:
    message = mqtt.MQTTMessage(mid=1, topic=b"alerts/full/sanitation/D1/D1-B001")
    message.payload = payload
    return message


def test_nesting_too_deep_for_the_parser_is_ignored_and_later_changes_still_arrive() -> None:
    heard: list[dict[str, Any]] = []
    # Port 1: nothing listens, so the client only retries in the background.
    publisher = AlertPublisher(load_settings(mqtt_port=1), on_alert=heard.append)
    try:
        client = publisher._client
        for bad in (b"[" * 100_000, b"\xff\xfe", b"not json", b"[1, 2]"):
            publisher._heard(client, None, _message(bad))
        publisher._heard(client, None, _message(b'{"id": "a"}'))
        assert heard == [{"id": "a"}]
    finally:
        publisher.close()


def test_a_relay_that_fails_drops_that_change_only() -> None:
    def relay(document: dict[str, Any]) -> None:
        raise RuntimeError("event loop is closed")

    publisher = AlertPublisher(load_settings(mqtt_port=1), on_alert=relay)
    try:
        publisher._heard(publisher._client, None, _message(b'{"id": "a"}'))
    finally:
        publisher.close()
