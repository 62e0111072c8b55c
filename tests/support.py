"""Helpers for tests that talk to the real broker and database."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from curbside.adapters.access.keyfile import add_key
from curbside.adapters.access.roles import Role
from curbside.adapters.access.scope import Scope
from curbside.adapters.mqtt.client import BrokerAccess, connack, new_client
from curbside.adapters.provisioning.broker import apply_to_broker
from curbside.adapters.provisioning.changes import Issued, add_service
from curbside.adapters.provisioning.store import BrokerFiles, broker_files
from curbside.config.settings import Settings
from curbside.vocabulary.messages import Message

# One way to wait, the harness's (tools/harness), for every test that imports it from here.
from tools.harness.processes import wait_for as wait_for  # noqa: PLC0414 - re-exported


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
    client.connect(settings.mqtt.host, settings.mqtt.port)
    client.loop_start()
    return client


def publish_once(settings: Settings, topic: str, payload: str | bytes) -> None:
    """Publish one message (QoS 1) from a client of its own, and wait until the broker has it."""
    client = mqtt_client(settings)
    try:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def mqtt_login_env(settings: Settings) -> dict[str, str]:
    """The ``CURBSIDE_MQTT_*`` variables that make a child process log in as ``settings`` do."""
    env: dict[str, str] = {}
    if settings.mqtt.username is not None and settings.mqtt.password is not None:
        env["CURBSIDE_MQTT_USERNAME"] = settings.mqtt.username
        env["CURBSIDE_MQTT_PASSWORD"] = settings.mqtt.password.get_secret_value()
    if settings.mqtt.tls:
        env["CURBSIDE_MQTT_TLS"] = "true"
    if settings.mqtt.tls_ca_file is not None:
        env["CURBSIDE_MQTT_TLS_CA_FILE"] = str(settings.mqtt.tls_ca_file)
    return env


ACCEPTED = 0
TEST_ACCOUNT = "curbside-test"


def access_as(settings: Settings, username: str | None, password: str | None) -> BrokerAccess:
    """The broker of ``settings``, as this user (None: anonymous)."""
    return replace(BrokerAccess.from_settings(settings), username=username, password=password)


def reload_and_wait(files: BrokerFiles, settings: Settings, issued: Sequence[Issued]) -> None:
    """Make the broker of ``files`` use its accounts (Mosquitto: SIGHUP; RabbitMQ: its
    management API) and wait until it accepts the newly issued passwords."""
    if apply_to_broker(settings, files, issued) is None:
        pytest.fail(f"no running broker for {files.broker_dir}; start it with scripts/services")
    for item in issued:
        access = access_as(settings, item.username, item.password)
        wait_for(partial(_accepted, access), 30, f"the broker to accept {item.username}")


def _accepted(access: BrokerAccess) -> bool:
    return connack(access, client_id=f"probe-{uuid.uuid4().hex[:8]}") == ACCEPTED


def with_test_account(settings: Settings) -> Settings:
    """Give the suite's account (every right; a new password each call) to the broker that
    scripts/services runs for ``settings`` (its run_dir and port), and log in as it.

    Any broker a test starts with scripts/services lets no one in until accounts are added."""
    files = broker_files(settings)
    issued = add_service(files, "test", TEST_ACCOUNT, rotate=True)
    reload_and_wait(files, settings, [issued])
    return settings_as(settings, issued)


def on_rabbitmq(settings: Settings) -> Settings:
    """``settings`` moved to the RabbitMQ cluster of ``CURBSIDE_RABBITMQ_PORT_BASE`` (which
    scripts/test starts beside Mosquitto): node 1's MQTT port, every node as a failover
    address, logged in with the suite's account there."""
    base, nodes = settings.rabbitmq.port_base, settings.rabbitmq.nodes
    moved = settings.replace(
        mqtt_broker="rabbitmq",
        mqtt_port=base + 1,
        mqtt_addresses=",".join(f"127.0.0.1:{base + 10 * n + 1}" for n in range(nodes)),
        mqtt_username=None,
        mqtt_password=None,
    )
    return with_test_account(moved)


def settings_as(settings: Settings, issued: Issued) -> Settings:
    """``settings``, logged in as ``issued``."""
    return settings.replace(mqtt_username=issued.username, mqtt_password=SecretStr(issued.password))


def issue_key(
    keys_file: Path,
    role: Role = Role.ADMIN,
    *,
    name: str = "test",
    zones: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
) -> str:
    """Add a key to the keys file, as ``python -m curbside.cli.access keys add`` does; its token."""
    scope = Scope.limited_to(zones, districts)
    return add_key(keys_file, name, role, scope, datetime.now(UTC))[1]


def bearer(token: str) -> dict[str, str]:
    """The header that presents an API key."""
    return {"Authorization": f"Bearer {token}"}


def admin_client(app: FastAPI, settings: Settings) -> TestClient:
    """A test client of the app presenting a new admin key from the settings' keys file."""
    token = issue_key(settings.api.keys_file, name="test-admin")
    return TestClient(app, headers=bearer(token))


SOME_MESSAGE = Message("bin.tilted")
"""A condition's coded text where the test is not about what it says."""
