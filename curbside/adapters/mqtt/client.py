"""How every Curbside process builds its paho-mqtt client: one place for credentials and TLS."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from curbside.config.settings import Settings


@dataclass(frozen=True, slots=True)
class BrokerAccess:
    """Where the broker is and who we are to it."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    tls_ca_file: Path | None = None
    """Trust this CA for the broker's certificate; None: the system's trusted CAs."""

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerAccess:
        """The broker of the settings, with their credentials and TLS options."""
        secret = settings.mqtt.password
        return cls(
            host=settings.mqtt.host,
            port=settings.mqtt.port,
            username=settings.mqtt.username,
            password=secret.get_secret_value() if secret is not None else None,
            tls=settings.mqtt.tls,
            tls_ca_file=settings.mqtt.tls_ca_file,
        )


def new_client(
    access: BrokerAccess,
    *,
    client_id: str,
    clean_session: bool = True,
    manual_ack: bool = False,
    client_class: type[mqtt.Client] = mqtt.Client,
) -> mqtt.Client:
    """An MQTT 3.1.1 client with the access's credentials and TLS set; not yet connected.

    ``client_class`` may be a subclass of paho's Client (ingest's batching receiver)."""
    client = client_class(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
    if access.username is not None:
        client.username_pw_set(access.username, access.password)
    if access.tls:
        # Verifies the certificate chain and that it names access.host.
        client.tls_set(
            ca_certs=str(access.tls_ca_file) if access.tls_ca_file is not None else None,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    return client


def connack(access: BrokerAccess, *, client_id: str, timeout_s: float = 10.0) -> int | None:
    """Connect once and return the broker's answer: 0 accepted, else the refusal's reason code
    (paho's MQTT 5 numbering: 135 is "not authorised"). None when nothing answered in time
    (no broker, or a TLS handshake that failed)."""
    answers: list[int] = []
    client = new_client(access, client_id=client_id)
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason.value)
    try:
        client.connect(access.host, access.port)
    except (OSError, ssl.SSLError):
        return None
    deadline = time.monotonic() + timeout_s
    while not answers and time.monotonic() < deadline:
        if client.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS:
            break
    client.disconnect()
    sock = client.socket()
    if sock is not None:
        sock.close()
    return answers[0] if answers else None


def follow_on_connect(
    client: mqtt.Client,
    flags: mqtt.ConnectFlags,
    reason_code: ReasonCode,
    topic_filters: Sequence[str],
    *,
    logger: logging.Logger,
    connected: Callable[[], None],
) -> None:
    """What a persistent subscriber does in ``on_connect``: log a refusal and stop there, or
    call ``connected`` (count the new connection), say whether the broker kept the session,
    and subscribe to the filters at QoS 1."""
    if reason_code.is_failure:
        logger.error("broker refused the connection: %s", reason_code)
        return
    connected()
    logger.info(
        "connected to the broker (session %s); subscribing to %s",
        "resumed" if flags.session_present else "new",
        ", ".join(topic_filters),
    )
    client.subscribe([(topic, 1) for topic in topic_filters])
