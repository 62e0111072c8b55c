"""The broker's TLS listener: clients that trust its CA get in, others do not."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from curbside.adapters.mqtt.batching import BatchingClient, Delivery
from curbside.adapters.mqtt.client import BrokerAccess, connack, new_client
from curbside.adapters.provisioning.store import broker_dir
from curbside.config.settings import Settings
from tests.security.broker import NOT_AUTHORISED, listening
from tests.security.certs import make_ca, make_server_cert
from tests.support import ACCEPTED, mqtt_client, wait_for, with_test_account
from tools.harness.ports import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "scripts" / "services"


def _tls_port(settings: Settings) -> int:
    # scripts/services' default: the MQTT port + 1.
    return int(os.environ.get("CURBSIDE_MQTT_TLS_PORT", settings.mqtt.port + 1))


def test_the_test_brokers_tls_listener_with_its_development_ca(
    base_settings: Settings, unique: str
) -> None:
    ca = broker_dir(base_settings) / "tls" / "ca.crt"
    over_tls = replace(
        BrokerAccess.from_settings(base_settings),
        port=_tls_port(base_settings),
        tls=True,
        tls_ca_file=ca,
    )
    assert connack(over_tls, client_id=f"tls-{unique}") == ACCEPTED
    # The system's CAs do not vouch for a development certificate.
    assert not tls_handshake(over_tls.host, over_tls.port, None)
    # Plain MQTT on the TLS port gets no answer.
    plain = replace(over_tls, tls=False, tls_ca_file=None)
    assert connack(plain, client_id=f"plain-{unique}", timeout_s=3) is None

    tls_settings = base_settings.replace(
        mqtt_port=over_tls.port, mqtt_tls=True, mqtt_tls_ca_file=ca
    )
    payload = f"over tls {unique}".encode()
    with listening(base_settings, [f"curbside-test/tls/{unique}"]) as listener:
        client = mqtt_client(tls_settings)
        try:
            client.publish(f"curbside-test/tls/{unique}", payload, qos=1).wait_for_publish(20)
        finally:
            client.disconnect()
            client.loop_stop()
        wait_for(lambda: listener.got(payload), 30, "the message sent over TLS")


def tls_handshake(host: str, port: int, ca: Path | None) -> bool:
    """Whether a TLS handshake with the broker succeeds for a client trusting ``ca`` (None:
    the system's CAs), checking the certificate's chain and that it names ``host``."""
    context = ssl.create_default_context(cafile=str(ca) if ca is not None else None)
    try:
        with (
            socket.create_connection((host, port), timeout=10) as sock,
            context.wrap_socket(sock, server_hostname=host),
        ):
            return True
    except ssl.SSLCertVerificationError:
        return False


def _services(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SERVICES), *args, "mqtt"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@dataclass(frozen=True)
class TlsBroker:
    """A broker with a TLS certificate the test made, as scripts/services runs it."""

    settings: Settings
    tls_port: int
    ca: Path
    stranger: Path
    """A CA that signed nothing of this broker's."""


@pytest.fixture
def tls_broker(base_settings: Settings, tmp_path: Path) -> Iterator[TlsBroker]:
    """A broker started by scripts/services with a certificate this test made (no accounts)."""
    ca = make_ca(tmp_path / "ca", "test-ca")
    stranger = make_ca(tmp_path / "stranger", "stranger-ca")
    cert, key = make_server_cert(tmp_path / "ca", ca, "127.0.0.1")
    port = free_port(base_settings.mqtt.port + 20, span=80)
    tls_port = free_port(port + 20, span=80)
    env = {
        **os.environ,
        "CURBSIDE_RUN_DIR": str(tmp_path / "run"),
        "CURBSIDE_MQTT_PORT": str(port),
        "CURBSIDE_MQTT_TLS_PORT": str(tls_port),
        "CURBSIDE_MQTT_TLS_CERT_FILE": str(cert),
        "CURBSIDE_MQTT_TLS_KEY_FILE": str(key),
    }
    started = _services(env, "start")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        settings = base_settings.replace(run_dir=tmp_path / "run", mqtt_port=port)
        yield TlsBroker(settings, tls_port, ca, stranger)
    finally:
        stopped = _services(env, "stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def test_tls_with_certificates_the_test_made(tls_broker: TlsBroker) -> None:
    settings = with_test_account(tls_broker.settings)
    over_tls = replace(
        BrokerAccess.from_settings(settings),
        port=tls_broker.tls_port,
        tls=True,
        tls_ca_file=tls_broker.ca,
    )
    assert tls_handshake(over_tls.host, over_tls.port, tls_broker.ca)
    assert connack(over_tls, client_id="trusting") == ACCEPTED
    assert not tls_handshake(over_tls.host, over_tls.port, tls_broker.stranger)
    anonymous = replace(over_tls, username=None, password=None)
    assert connack(anonymous, client_id="anonymous") == NOT_AUTHORISED


def _batching_client(settings: Settings, client_id: str, topic: str) -> BatchingClient:
    client = new_client(
        BrokerAccess.from_settings(settings),
        client_id=client_id,
        clean_session=False,
        manual_ack=True,
        client_class=BatchingClient,
    )
    assert isinstance(client, BatchingClient)
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    return client


def test_ingests_batching_receive_path_over_tls(base_settings: Settings, unique: str) -> None:
    """Ingest's batched receive (curbside/adapters/mqtt/batching.py) reads TLS records, not
    the socket: 3,000 QoS 1 messages arrive whole, in order, several to a batch, and the bulk
    acknowledgements leave nothing for the broker to send again."""
    ca = broker_dir(base_settings) / "tls" / "ca.crt"
    tls_settings = base_settings.replace(
        mqtt_port=_tls_port(base_settings), mqtt_tls=True, mqtt_tls_ca_file=ca
    )
    topic = f"curbside-test/tls-batch/{unique}"
    client_id = f"tls-batch-{unique}"
    batches: list[list[Delivery]] = []
    granted = threading.Event()
    receiver = _batching_client(tls_settings, client_id, topic)

    def receive(batch: list[Delivery]) -> None:
        batches.append(batch)
        receiver.ack_many(d.mid for d in batch if d.qos)

    receiver.on_batch = receive
    receiver.on_subscribe = lambda *_: granted.set()
    receiver.connect(tls_settings.mqtt.host, tls_settings.mqtt.port)
    receiver.loop_start()
    sender = mqtt_client(base_settings)
    try:
        assert granted.wait(20)
        payloads = [f'{{"n": {n}, "pad": "{"x" * 100}"}}'.encode() for n in range(3000)]
        for payload in payloads:
            sender.publish(topic, payload, qos=1)
        wait_for(lambda: sum(len(b) for b in batches) >= len(payloads), 60, "every message")
        assert [d.payload for b in batches for d in b] == payloads
        assert len(batches) < len(payloads)  # several messages to a read
        threading.Event().wait(1)  # the last acknowledgements on their way
    finally:
        sender.disconnect()
        sender.loop_stop()
        receiver.disconnect()
        receiver.loop_stop()
    # The same session again: nothing unacknowledged is redelivered.
    again: list[Delivery] = []
    resumed = _batching_client(tls_settings, client_id, topic)
    resumed.on_batch = again.extend
    resumed.connect(tls_settings.mqtt.host, tls_settings.mqtt.port)
    resumed.loop_start()
    try:
        threading.Event().wait(2)
        assert again == []
    finally:
        resumed.disconnect()
        resumed.loop_stop()
    forget = mqtt_client(base_settings, client_id=client_id)  # clean: the session goes
    forget.disconnect()
    forget.loop_stop()
