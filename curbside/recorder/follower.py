"""The recorder's MQTT edge: a persistent QoS 1 session whose messages are acknowledged only
after the records they produced are committed.

paho calls ``on_message`` in its network thread; messages go into a bounded queue that one
worker drains in batches: the batch is handed to ``handle`` (which commits one transaction),
then acknowledged. Killed at any moment, the recorder loses nothing (unacknowledged messages
are redelivered to the same session) and doubles nothing (recording is idempotent). As in
ingest/consumer.py, an acknowledgement only goes to the connection that delivered the message.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from curbside.adapters.mqtt.client import BrokerAccess, follow_on_connect, new_client
from curbside.config.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivered:
    """One message as received, with what it takes to acknowledge it."""

    topic: str
    payload: bytes
    received_at: datetime
    connection: int
    mid: int
    qos: int


class Follower:
    """Follows the topics, hands batches to ``handle`` and acknowledges them afterwards.

    ``handle`` returns True once the batch is durably recorded (then it is acknowledged), False
    when it gave up because the recorder is stopping; if it raises, the worker stops and
    :attr:`failed` is set, and the process must exit (nothing is acknowledged).
    ``tick`` runs in the same worker every ``tick_s``, so no two writers ever race;
    ``received`` is called for each message taken in (paho's thread).
    """

    def __init__(
        self,
        settings: Settings,
        topic_filters: Sequence[str],
        handle: Callable[[list[Delivered]], bool],
        tick: Callable[[], None],
        received: Callable[[], None] = lambda: None,
    ) -> None:
        self._filters = list(topic_filters)
        self._handle = handle
        self._tick = tick
        self._received = received
        self._tick_s = settings.recorder.tick_s
        self._batch_size = settings.recorder.batch_size
        self._flush_s = settings.recorder.flush_interval_s
        self._queue: queue.Queue[Delivered] = queue.Queue(maxsize=4 * settings.recorder.batch_size)
        self._stopping = threading.Event()
        self.failed = threading.Event()
        self._connection = 0
        self._ack_lock = threading.Lock()
        self.client = new_client(
            BrokerAccess.from_settings(settings),
            client_id=settings.recorder.client_id,
            clean_session=False,
            manual_ack=True,
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self._host, self._port = settings.mqtt.host, settings.mqtt.port
        self._keepalive = settings.mqtt.keepalive_s
        self._worker = threading.Thread(target=self._run, name="recorder-worker", daemon=True)

    def start(self) -> None:
        """Connect (retrying in the background) and start recording."""
        self._worker.start()
        self.client.connect_async(self._host, self._port, keepalive=self._keepalive)
        self.client.loop_start()

    @property
    def connected(self) -> bool:
        """Whether the client is connected to the broker now."""
        return bool(self.client.is_connected())

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopping.is_set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the batch in hand, then disconnect; queued messages stay unacknowledged."""
        self._stopping.set()
        if self._worker.ident is not None:  # a standby stopped before it took the lease
            self._worker.join(timeout_s)
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
            client, flags, reason_code, self._filters, logger=log, connected=self._connected
        )

    def _connected(self) -> None:
        with self._ack_lock:
            self._connection += 1

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
        if not self._stopping.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._stopping.is_set() or self.failed.is_set():
            return  # left unacknowledged: the broker keeps it for the next session
        self._received()
        delivered = Delivered(
            message.topic,
            bytes(message.payload),
            datetime.now(UTC),
            self._connection,
            message.mid,
            message.qos,
        )
        # A full queue blocks paho's thread: the broker then holds back (its in-flight window).
        while not self._stopping.is_set():
            try:
                self._queue.put(delivered, timeout=0.5)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            next_tick = time.monotonic() + self._tick_s
            while not self._stopping.is_set():
                batch = self._next_batch(max(0.0, next_tick - time.monotonic()))
                if batch and self._handle(batch):
                    self._ack(batch)
                if time.monotonic() >= next_tick:
                    self._tick()
                    next_tick = time.monotonic() + self._tick_s
        except BaseException:
            # The process must not live on half-alive: main() sees this and exits non-zero.
            log.critical("the recorder's worker failed; stopping", exc_info=True)
            self.failed.set()

    def _next_batch(self, wait_s: float) -> list[Delivered]:
        try:
            batch = [self._queue.get(timeout=min(wait_s, 0.5))]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self._flush_s
        while len(batch) < self._batch_size:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _ack(self, batch: list[Delivered]) -> None:
        with self._ack_lock:
            for message in batch:
                if message.qos and message.connection == self._connection:
                    self.client.ack(message.mid, message.qos)
