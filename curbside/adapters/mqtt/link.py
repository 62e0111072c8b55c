"""One asyncio MQTT connection for a process that serves on an event loop (the API): what it
hears goes to the handlers subscribed, what it publishes waits in one bounded queue while
the broker is away. No thread of its own (aiomqtt runs paho's I/O on the event loop).

The session is clean: whoever subscribes reads back what it missed after each new
connection, which :attr:`MqttLink.connects` counts. The link connects in the background and
reconnects by itself, with failover between a cluster's nodes
(:func:`~curbside.adapters.mqtt.client.address_for_attempt`), so the process starts and
serves while the broker is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import aiomqtt
from paho.mqtt.reasoncodes import ReasonCode

from curbside.adapters.mqtt.client import BrokerAccess, address_for_attempt, client_id_for_attempt

log = logging.getLogger(__name__)

RECONNECT_MIN_DELAY_S = 1.0
RECONNECT_MAX_DELAY_S = 30.0
# Publishes waiting for the broker; past this they are dropped and logged (alerts and routes
# are few: a broker away for long must not grow memory without end).
MAX_OUTBOX = 10_000
# aiomqtt's own queue of received messages, between paho's reads and the handlers.
MAX_INBOX = 100_000
# A refused subscription's granted QoS (MQTT 3.1.1, 3.9.3).
REFUSED = 0x80

Handler = Callable[[str, bytes, bool], None]
"""Called on the event loop with a message's topic, payload and retain flag."""


@dataclass(frozen=True, slots=True)
class _Outgoing:
    topic: str
    payload: bytes
    retain: bool


class MqttLink:
    """Create it inside the running event loop; :meth:`run` is its life."""

    def __init__(self, access: BrokerAccess, *, client_id: str, keepalive_s: int = 30) -> None:
        self._access = access
        self._client_id = client_id
        self._keepalive_s = keepalive_s
        self._loop = asyncio.get_running_loop()
        self._handlers: list[tuple[str, Handler]] = []
        self._outbox: asyncio.Queue[_Outgoing] = asyncio.Queue(MAX_OUTBOX)
        self._unsent: _Outgoing | None = None
        self._client: aiomqtt.Client | None = None
        self._late: set[asyncio.Task[object]] = set()
        self.connected = False
        self.following = False
        self.connects = 0
        self.dropped = 0

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        """Have ``handler`` hear ``topic_filter`` (QoS 1): on the current connection if there
        is one, and on every one after it."""
        self._handlers.append((topic_filter, handler))
        if self._client is not None:
            task = self._loop.create_task(self._client.subscribe(topic_filter, 1))
            self._late.add(task)
            task.add_done_callback(self._subscribed_late)

    def _subscribed_late(self, task: asyncio.Task[object]) -> None:
        self._late.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The next connection subscribes to everything anyway.
            log.warning("a subscription failed on this connection: %r", task.exception())

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> None:
        """Send at QoS 1 when connected; safe to call from any thread."""
        data = payload.encode() if isinstance(payload, str) else payload
        message = _Outgoing(topic, data, retain)
        if _running_loop() is self._loop:
            # At once, so a flush() right after it counts it.
            self._queue(message)
        else:
            self._loop.call_soon_threadsafe(self._queue, message)

    def _queue(self, message: _Outgoing) -> None:
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("%s not published: %d messages already wait", message.topic, MAX_OUTBOX)

    async def flush(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for what waits to be sent."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self._unsent is not None or not self._outbox.empty():
                    await asyncio.sleep(0.02)

    async def run(self) -> None:
        """Connect, follow and publish, reconnecting after each loss; until cancelled."""
        delay = RECONNECT_MIN_DELAY_S
        for attempt in itertools.count():
            host, port = address_for_attempt(self._access.addresses, attempt)
            try:
                async with self._new_client(host, port, attempt) as client:
                    delay = RECONNECT_MIN_DELAY_S
                    self.connected = True
                    log.info("connected to broker %s:%s", host, port)
                    await self._serve(client)
            except* aiomqtt.MqttError as lost:
                reason = lost.exceptions[0]
                log.warning("broker %s:%s: %s; reconnecting in %.0f s", host, port, reason, delay)
            finally:
                self.connected = self.following = False
                self._client = None
            await asyncio.sleep(delay)
            delay = min(2 * delay, RECONNECT_MAX_DELAY_S)

    def _new_client(self, host: str, port: int, attempt: int) -> aiomqtt.Client:
        access = self._access
        context = None
        if access.tls:
            # Verifies the certificate chain and that it names the host.
            context = ssl.create_default_context(
                cafile=str(access.tls_ca_file) if access.tls_ca_file is not None else None
            )
        client = aiomqtt.Client(
            host,
            port,
            username=access.username,
            password=access.password,
            identifier=client_id_for_attempt(self._client_id, attempt),
            clean_session=True,
            keepalive=self._keepalive_s,
            tls_context=context,
            max_queued_incoming_messages=MAX_INBOX,
        )
        # A message paho cannot hand over (a topic that is not UTF-8, which a broker should
        # never pass on) is logged and dropped by paho, instead of ending the connection.
        client._client.suppress_exceptions = True
        return client

    async def _serve(self, client: aiomqtt.Client) -> None:
        # First, so a subscribe() from now on goes to this connection too (twice is harmless).
        self._client = client
        filters = list(dict.fromkeys(topic for topic, _ in self._handlers))
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._send(client))
            if filters:
                granted: list[int | ReasonCode] = list(
                    await client.subscribe([(topic, 1) for topic in filters])
                )
                refused = [t for t, q in zip(filters, granted, strict=True) if _refused(q)]
                if refused:
                    log.error("broker refused %s: check the account's read rights", refused)
                self.following = not refused
            # Counted once subscribed: a read-back triggered by it misses nothing after it.
            self.connects += 1
            async for message in client.messages:
                self._deliver(message)

    def _deliver(self, message: aiomqtt.Message) -> None:
        topic = message.topic.value
        payload = message.payload if isinstance(message.payload, bytes) else b""
        for topic_filter, handler in self._handlers:
            if message.topic.matches(topic_filter):
                # Nothing a message does may end the link, and every subscriber with it.
                try:
                    handler(topic, payload, bool(message.retain))
                except Exception:
                    log.exception("a message on %s could not be taken; it is dropped", topic[:200])

    async def _send(self, client: aiomqtt.Client) -> None:
        while True:
            if self._unsent is None:
                self._unsent = await self._outbox.get()
            message = self._unsent
            await client.publish(message.topic, message.payload, qos=1, retain=message.retain)
            self._unsent = None


def _refused(granted: int | ReasonCode) -> bool:
    """Whether the broker refused a subscription (paho gives reason codes, or plain QoS)."""
    if isinstance(granted, ReasonCode):
        return granted.is_failure
    return granted >= REFUSED


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
