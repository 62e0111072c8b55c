"""The RabbitMQ deployment scripts/services runs is the one rabbitmq.conf ships: a TLS
listener with the instance's development CA, durable sessions in quorum queues that outlive a
client by 7 days, a prefetch window of a whole ingest batch, and the broker's own Prometheus
metrics in place of Mosquitto's ``$SYS`` topics. With RabbitMQ's defaults each of these fails
(classic queues, 24 h, prefetch 10, no TLS listener, no metrics endpoint)."""

from __future__ import annotations

import json
import urllib.request
from base64 import b64encode
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest

from curbside.adapters.mqtt.client import BrokerAccess, connack
from curbside.adapters.provisioning.store import broker_dir
from curbside.config.settings import Settings
from tests.security.test_broker_tls import tls_handshake
from tests.support import ACCEPTED, forget_session, mqtt_client, wait_for
from tools.harness.processes import scrape

pytestmark = pytest.mark.integration

WEEK_MS = 7 * 24 * 3600 * 1000


def _management(settings: Settings, path: str) -> Any:
    admin = settings.rabbitmq
    token = b64encode(
        f"{admin.admin_user}:{admin.admin_password.get_secret_value()}".encode()
    ).decode()
    request = urllib.request.Request(
        admin.management_urls[0] + path, headers={"Authorization": f"Basic {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def test_the_tls_listener_takes_clients_that_trust_the_development_ca(
    rabbitmq_settings: Settings, unique: str
) -> None:
    over_tls = replace(
        BrokerAccess.from_settings(rabbitmq_settings),
        endpoints=(),
        port=rabbitmq_settings.rabbitmq.port_base + 2,
        tls=True,
        tls_ca_file=broker_dir(rabbitmq_settings) / "tls" / "ca.crt",
    )
    assert connack(over_tls, client_id=f"tls-{unique}") == ACCEPTED
    # The system's CAs do not vouch for a development certificate.
    assert not tls_handshake(over_tls.host, over_tls.port, None)


def test_a_durable_session_is_a_quorum_queue_kept_a_week_with_a_batch_sized_window(
    rabbitmq_settings: Settings, unique: str
) -> None:
    client_id = f"durable-{unique}"
    client = mqtt_client(rabbitmq_settings, client_id=client_id, clean=False)
    try:
        subscribed: list[int] = []
        client.on_subscribe = lambda *_args: subscribed.append(1)
        client.subscribe("parking/#", qos=1)
        wait_for(lambda: bool(subscribed), 20, "the subscription")
        name = f"mqtt-subscription-{client_id}qos1"
        queue = _management(rabbitmq_settings, f"/api/queues/%2F/{quote(name)}")
        # The management API learns of consumers with its next statistics round (5 s).
        window: list[int] = []

        def consumer_seen() -> bool:
            consumers = _management(rabbitmq_settings, "/api/consumers")
            window[:] = [c["prefetch_count"] for c in consumers if c["queue"]["name"] == name]
            return bool(window)

        wait_for(consumer_seen, 30, "the session's consumer in the management API")
    finally:
        client.disconnect()
        client.loop_stop()
        forget_session(rabbitmq_settings, client_id)
    assert queue["type"] == "quorum"
    assert queue["durable"] is True
    assert queue["arguments"].get("x-expires", 0) >= WEEK_MS
    assert window[0] >= rabbitmq_settings.ingest.batch_size


def test_the_broker_metrics_count_mqtt_connections_without_sys_topics(
    rabbitmq_settings: Settings,
) -> None:
    url = f"http://127.0.0.1:{rabbitmq_settings.rabbitmq.port_base + 5}/metrics"

    def count(name: str) -> float:
        return scrape(url)[(name, ())]

    opened, closed = (
        count("rabbitmq_connections_opened_total"),
        count("rabbitmq_connections_closed_total"),
    )
    client = mqtt_client(rabbitmq_settings)
    try:
        wait_for(
            lambda: count("rabbitmq_connections_opened_total") == opened + 1,
            30,
            "the metrics to count the new connection",
        )
    finally:
        client.disconnect()
        client.loop_stop()
    wait_for(
        lambda: count("rabbitmq_connections_closed_total") == closed + 1,
        30,
        "the metrics to count it closed",
    )
