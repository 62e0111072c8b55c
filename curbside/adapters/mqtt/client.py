"""How every Curbside process builds its paho-mqtt client: one place for credentials, TLS and
failover between a cluster's nodes."""

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
    endpoints: tuple[tuple[str, int], ...] = ()
    """Failover: every broker address, tried in turn (``CURBSIDE_MQTT_ADDRESSES``); empty,
    ``host`` and ``port`` alone."""

    @property
    def addresses(self) -> tuple[tuple[str, int], ...]:
        """Where to connect, in order of trying."""
        return self.endpoints or ((self.host, self.port),)

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
            # Only an explicit list: a copy with another port (the TLS listener's) must go there.
            endpoints=settings.mqtt.endpoints if settings.mqtt.addresses else (),
        )


class Failover:
    """paho's ``on_pre_connect``: each connection attempt after the first goes to the next
    address, so a client whose node is lost reconnects (paho's own reconnect loop) to another
    one. A persistent session resumes there: on a RabbitMQ cluster with quorum session
    queues it lives on every node. Which address it took is :attr:`current`.

    A clean session (``clean_client_id`` given) reconnects under a client id of its own each
    time: RabbitMQ keeps such a session's queue on the node it was made on, and while that
    node is down refuses the same client id anywhere else (seen: the API's live feed dropped
    at every reconnect until the node returned)."""

    def __init__(
        self, addresses: Sequence[tuple[str, int]], clean_client_id: str | None = None
    ) -> None:
        self._addresses = tuple(addresses)
        self._clean_client_id = clean_client_id
        self._attempts = 0
        self.current = self._addresses[0]

    def __call__(self, client: mqtt.Client, _userdata: object) -> None:
        self.current = address_for_attempt(self._addresses, self._attempts)
        # paho calls this hook once it is already "connecting", when its public host and port
        # setters refuse; reconnect() reads these right after (paho-mqtt 2.x, pinned <3).
        client._host, client._port = self.current
        if self._clean_client_id is not None:
            client._client_id = client_id_for_attempt(
                self._clean_client_id, self._attempts
            ).encode()
        self._attempts += 1


def address_for_attempt(addresses: Sequence[tuple[str, int]], attempt: int) -> tuple[str, int]:
    """Where connection attempt ``attempt`` (0, 1, ...) goes: the addresses in turn. Any
    client (paho here, an asyncio one elsewhere) fails over by asking this on each attempt."""
    return addresses[attempt % len(addresses)]


def client_id_for_attempt(client_id: str, attempt: int) -> str:
    """A clean session's client id for attempt ``attempt``: the id itself first, then one of
    its own per reconnection (see :class:`Failover` for why RabbitMQ needs it)."""
    return f"{client_id}-{attempt}" if attempt else client_id


def new_client(
    access: BrokerAccess,
    *,
    client_id: str,
    clean_session: bool = True,
    manual_ack: bool = False,
    client_class: type[mqtt.Client] = mqtt.Client,
) -> mqtt.Client:
    """An MQTT 3.1.1 client with the access's credentials and TLS set, and failover between
    the access's addresses when it has several; not yet connected (connect it to any of them:
    the first attempt goes to the first address).

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
    if len(access.addresses) > 1:
        client.on_pre_connect = Failover(access.addresses, client_id if clean_session else None)
    return client


def connack(access: BrokerAccess, *, client_id: str, timeout_s: float = 10.0) -> int | None:
    """Connect once and return the broker's answer: 0 accepted, else the refusal's reason code
    (paho's MQTT 5 numbering: 135 is "not authorised"). None when nothing answered in time
    (no broker, or a TLS handshake that failed)."""
    answers: list[int] = []
    client = new_client(access, client_id=client_id)
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason.value)
    try:
        client.connect(*access.addresses[0])
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
