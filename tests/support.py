"""Helpers for tests that talk to the real broker and database."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from access.keyfile import add_key
from access.roles import Role
from access.scope import Scope
from config.settings import Settings


def forget_session(settings: Settings, client_id: str) -> None:
    """Delete a persistent MQTT session, so it stops collecting messages for later tests."""
    client = mqtt_client(settings, client_id=client_id, clean=True)
    client.disconnect()
    client.loop_stop()


def mqtt_client(settings: Settings, client_id: str = "", clean: bool = True) -> mqtt.Client:
    """A connected paho client with its network loop running."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
        clean_session=clean,
        protocol=mqtt.MQTTv311,
    )
    client.max_inflight_messages_set(1000)
    client.connect(settings.mqtt_host, settings.mqtt_port)
    client.loop_start()
    return client


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


def issue_key(
    keys_file: Path,
    role: Role = Role.ADMIN,
    *,
    name: str = "test",
    zones: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
) -> str:
    """Add a key to the keys file, as ``python -m access keys add`` does; its token."""
    scope = Scope.limited_to(zones, districts)
    return add_key(keys_file, name, role, scope, datetime.now(UTC))[1]


def bearer(token: str) -> dict[str, str]:
    """The header that presents an API key."""
    return {"Authorization": f"Bearer {token}"}


def admin_client(app: FastAPI, settings: Settings) -> TestClient:
    """A test client of the app presenting a new admin key from the settings' keys file."""
    token = issue_key(settings.api_keys_file, name="test-admin")
    return TestClient(app, headers=bearer(token))
