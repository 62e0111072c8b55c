"""Helpers for tests that talk to the real broker and database."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import paho.mqtt.client as mqtt
import pytest

from config.settings import Settings
from mqttclient import BrokerAccess, new_client


def forget_session(settings: Settings, client_id: str) -> None:
    """Delete a persistent MQTT session, so it stops collecting messages for later tests."""
    client = mqtt_client(settings, client_id=client_id, clean=True)
    client.disconnect()
    client.loop_stop()


def mqtt_client(settings: Settings, client_id: str = "", clean: bool = True) -> mqtt.Client:
    """A connected paho client with its network loop running."""
    client = new_client(
        BrokerAccess.from_settings(settings),
        client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
        clean_session=clean,
    )
    client.max_inflight_messages_set(1000)
    client.connect(settings.mqtt_host, settings.mqtt_port)
    client.loop_start()
    return client


def mqtt_login_env(settings: Settings) -> dict[str, str]:
    """The ``CURBSIDE_MQTT_*`` variables that make a child process log in as ``settings`` do."""
    env: dict[str, str] = {}
    if settings.mqtt_username is not None and settings.mqtt_password is not None:
        env["CURBSIDE_MQTT_USERNAME"] = settings.mqtt_username
        env["CURBSIDE_MQTT_PASSWORD"] = settings.mqtt_password.get_secret_value()
    if settings.mqtt_tls:
        env["CURBSIDE_MQTT_TLS"] = "true"
    if settings.mqtt_tls_ca_file is not None:
        env["CURBSIDE_MQTT_TLS_CA_FILE"] = str(settings.mqtt_tls_ca_file)
    return env


def wait_for(
    condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.1
) -> None:
    """Poll until ``condition`` holds; fail saying ``what`` did not happen in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
