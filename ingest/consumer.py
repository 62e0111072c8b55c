"""The MQTT edge of ingest: a persistent QoS 1 session with manual acknowledgement.

paho-mqtt runs its network loop in its own thread and calls ``on_message`` there. A message
is acknowledged only when the batch writer reports its points stored (or refused as
invalid), or at once when it is rejected (acknowledging a poison message is what stops the
broker from redelivering it forever). Nothing here raises out of a callback: an exception in
paho's thread would stop the consumer.

Packet ids belong to a connection's in-flight window: after a reconnect the broker resends
every unacknowledged message (DUP set) and may give a freed id to a new message. So an
acknowledgement is sent only on the connection that delivered the message; older ones are
skipped (counted), and the redelivered copy is stored again, idempotently, and acknowledged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from curbside.adapters.decoders.registry import subscriptions
from curbside.adapters.log_throttle import Throttle
from curbside.adapters.mqtt.batching import BatchingClient, Delivery
from curbside.adapters.mqtt.client import BrokerAccess, follow_on_connect, new_client
from curbside.config.settings import Settings
from curbside.vocabulary.rejection import Reason, Rejected
from ingest.batch_writer import BatchWriter
from ingest.deadletter import deadletter_payload, deadletter_topic
from ingest.metrics import IngestMetrics
from ingest.pipeline import Pipeline
from ingest.spool import Spool

log = logging.getLogger(__name__)

DEADLETTER_QUEUE = 2_000
AckToken = tuple[int, int, int]  # (connection, mid, qos) of the delivered message


class Consumer:
    """Receives sensor messages and hands them to the pipeline and the batch writer."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        metrics: IngestMetrics,
        write: Callable[[Sequence[str]], None],
        *,
        spool: Spool | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        topic_filters: Sequence[str] | None = None,
    ) -> None:
        self._pipeline = pipeline
        # Every format's topics, unless this process is one shard of several (ingest/sharding).
        self._topic_filters = list(topic_filters or subscriptions())
        self._metrics = metrics
        self._clock = clock
        self._throttle = Throttle(60.0)
        self._accepting = threading.Event()
        self._accepting.set()
        # Which connection is current; bumped on every connect and disconnect, under the lock
        # that acknowledgements hold, so no acknowledgement crosses onto a newer connection.
        self._connection = 0
        self._ack_lock = threading.Lock()
        self.client = _make_client(settings)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_batch = self._on_batch
        self.writer: BatchWriter[AckToken] = BatchWriter(
            write=write,
            on_stored=self._ack_all,
            on_dropped=self._ack_dropped,
            metrics=metrics,
            batch_size=settings.ingest.batch_size,
            flush_interval_s=settings.ingest.flush_interval_s,
            retry_max_s=settings.ingest.retry_max_s,
            max_pending_messages=settings.ingest.max_pending_messages,
            spool=spool,
            spool_after_s=settings.ingest.spool_after_s,
        )
        self._host = settings.mqtt.host
        self._port = settings.mqtt.port
        self._keepalive = settings.mqtt.keepalive_s

    def start(self) -> None:
        """Connect (retrying in the background until the broker answers) and consume."""
        self.writer.start()
        self.client.connect_async(self._host, self._port, keepalive=self._keepalive)
        self.client.loop_start()

    def stop(self, flush_timeout_s: float = 30.0) -> None:
        """Stop taking messages, flush and acknowledge what is stored, then disconnect.

        Messages that arrive after this point are left unacknowledged, so the broker keeps
        them for the next session.
        """
        self._accepting.clear()
        if not self.writer.stop(flush_timeout_s):
            log.warning("stopping before InfluxDB took every point; the broker will redeliver")
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        follow_on_connect(
            client, flags, reason_code, self._topic_filters, logger=log, connected=self._connected
        )

    def _connected(self) -> None:
        with self._ack_lock:
            self._connection += 1
        self._metrics.connected.set(1)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        with self._ack_lock:
            self._connection += 1
        self._metrics.connected.set(0)
        if self._accepting.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason_code)

    def _on_batch(self, batch: list[Delivery]) -> None:
        """Everything one read of the socket gave, in order: decoded, queued or rejected."""
        if not self._accepting.is_set():
            return  # left unacknowledged: the broker keeps them for the next session
        received_at = self._clock()
        connection = self._connection
        self._metrics.received.inc(len(batch))
        redelivered = sum(1 for d in batch if d.dup)
        if redelivered:
            self._metrics.redelivered.inc(redelivered)
        to_store: list[tuple[list[str], AckToken]] = []
        to_ack: list[AckToken] = []
        for delivery in batch:
            token: AckToken = (connection, delivery.mid, delivery.qos)
            try:
                lines = self._receive(delivery, received_at, token)
            except Exception as exc:  # the last guard of paho's network thread
                # Whatever one message does, consumption goes on: an exception escaping here
                # would end paho's thread, and with it every later message.
                self._metrics.message_errors.inc()
                log.error(
                    "could not handle a message on %r (%s: %s); acknowledged and dropped",
                    _topic_text(delivery.topic)[:200],
                    type(exc).__name__,
                    str(exc)[:200],
                    exc_info=True,
                )
                lines = None
            if lines is None:
                to_ack.append(token)
            else:
                to_store.append((lines, token))
        if to_ack:
            self._ack_quietly(to_ack)
        if to_store:
            self.writer.submit_many(to_store)

    def _receive(
        self, delivery: Delivery, received_at: datetime, token: AckToken
    ) -> list[str] | None:
        """The message's lines to store, or None when it is done with (rejected, skipped)."""
        topic = _topic_text(delivery.topic)
        payload = delivery.payload
        retained = delivery.retain
        try:
            lines = self._pipeline.lines(topic, payload, received_at, retained=retained)
        except Rejected as rejected:
            self._reject(rejected, topic, payload, received_at)
            return None
        except Exception as exc:  # a bug must not stop the consumer; log.exception keeps it
            log.exception("internal error on %r; the message is dead-lettered", topic[:200])
            internal = Rejected(Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"[:200])
            self._reject(internal, topic, payload, received_at)
            return None
        if retained and not lines:
            # Replayed by the broker at every subscribe; without a device timestamp it would
            # be a new point each time (docs/mqtt.md, "Retained messages").
            self._metrics.retained_skipped.inc()
            return None
        return lines

    def _reject(
        self, rejected: Rejected, topic: str, payload: bytes, received_at: datetime
    ) -> None:
        self._metrics.rejected.labels(reason=str(rejected.reason)).inc()
        if self._throttle.allow(_device_key(topic)):
            log.warning("rejected %s on %r: %s", rejected.reason, topic[:200], rejected.detail)
        self._deadletter(rejected, topic, payload, received_at)

    def _deadletter(
        self, rejected: Rejected, topic: str, payload: bytes, received_at: datetime
    ) -> None:
        """Republish the rejected message for people to inspect, or count why it cannot be."""
        wrapped = deadletter_topic(rejected, topic)
        if wrapped is None:
            self._deadletter_dropped(
                "topic_too_long", f"its topic of {len(topic.encode())} bytes is too long to wrap"
            )
            return
        try:
            info = self.client.publish(
                wrapped, deadletter_payload(rejected, topic, payload, received_at), qos=1
            )
        except ValueError as exc:  # paho refuses the topic (length, wildcards)
            self._deadletter_dropped("publish_failed", str(exc))
            return
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            self._deadletter_dropped("queue_full", "the outgoing queue of dead letters is full")

    def _deadletter_dropped(self, cause: str, why: str) -> None:
        self._metrics.deadletters_dropped.labels(cause=cause).inc()
        if self._throttle.allow(f"deadletter-dropped/{cause}"):
            log.error("a rejected message is not dead-lettered: %s; acknowledged and dropped", why)

    def _ack_quietly(self, tokens: list[AckToken]) -> None:
        try:
            self._ack_all(tokens)
        except Exception:  # the broker then redelivers them, which is safe
            log.exception("could not acknowledge %d messages", len(tokens))

    def _ack_all(self, tokens: list[AckToken]) -> None:
        with self._ack_lock:
            current = self._connection
            mids = [mid for connection, mid, qos in tokens if qos and connection == current]
            stale = sum(1 for connection, _, qos in tokens if qos and connection != current)
            if stale:
                self._metrics.stale_acks_skipped.inc(stale)
            # One write for them all (QoS 1 only: ingest subscribes at QoS 1).
            self.client.ack_many(mids)

    def _ack_dropped(self, tokens: list[AckToken], error: str) -> None:
        self._ack_all(tokens)


def _topic_text(topic: bytes) -> str:
    # The broker refuses topics that are not UTF-8, but be safe.
    try:
        return topic.decode()
    except UnicodeDecodeError:
        return topic.decode("utf-8", "replace")


def _device_key(topic: str) -> str:
    # Native topics name the device in their first three levels (parking/{zone}/{space});
    # ChirpStack's and The Things Stack's in four (application/{app}/device/{dev_eui}).
    levels = topic.split("/")
    depth = 4 if levels[0] in ("application", "v3") else 3
    return "/".join(levels[:depth])[:200]


def _make_client(settings: Settings) -> BatchingClient:
    # MQTT 3.1.1 with clean_session=False: the session (subscriptions and queued messages)
    # survives our disconnects; its lifetime is the broker's persistent_client_expiration.
    client = new_client(
        BrokerAccess.from_settings(settings),
        client_id=settings.mqtt.client_id,
        clean_session=False,
        manual_ack=True,
        client_class=BatchingClient,
    )
    assert isinstance(client, BatchingClient)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    # Outgoing (dead letters) only; unlimited queue would grow without bound under a flood.
    # Each holds up to ~3 KiB (a wrapped topic of at most 1 KiB, a payload echo of 1 KiB),
    # so this costs at most a few MiB; what does not fit is counted and dropped.
    client.max_queued_messages_set(DEADLETTER_QUEUE)
    # paho's default window of 20 unacknowledged outgoing messages cannot keep up with a
    # burst of rejections; the broker's max_inflight_messages allows far more.
    client.max_inflight_messages_set(DEADLETTER_QUEUE // 2)
    return client
