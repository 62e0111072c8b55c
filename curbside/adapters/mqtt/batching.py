"""A paho-mqtt client tuned for draining a busy subscription: batched receive, bulk acks.

Stock paho reads a packet with three or four ``recv`` calls (one byte of command, the length a
byte at a time, then the body), goes back to ``select`` after every packet, builds an
``MQTTMessage`` and takes two locks per message, and queues each PUBACK as a packet of its
own with a wake-up of its network thread. Draining a backlog, that was about two thirds of
ingest's CPU (docs/performance.md). This client keeps paho's connection handling, keepalive,
reconnects and outgoing path, and changes only the receive path of MQTT 3.1.1 PUBLISH
packets at QoS 0 and 1:

- the socket is read 64 KiB at a time and packets are cut from that buffer;
- every ``loop_read`` drains what the buffer holds, with at most ``RECVS_PER_READ`` socket
  reads, so the buffer is empty whenever paho goes back to ``select`` (data left in it would
  wait for the next packet or keepalive);
- the PUBLISH packets of one ``loop_read`` are handed to ``on_batch`` as one list of
  :class:`Delivery`, in the order received;
- :meth:`ack_many` queues the PUBACKs of many messages as one write.

Everything else (CONNACK, SUBACK, PINGRESP, QoS 2, MQTT 5) goes through paho as usual. These
overrides use paho's private methods (``_sock_recv``, ``_packet_read``, ``_handle_publish``,
``_packet_queue``), so pyproject pins paho-mqtt below 3; the integration tests run this class
against the real broker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.client import time_func
from paho.mqtt.enums import MQTTErrorCode

RECV_SIZE = 65_536
# Bounds one batch (and the time between two returns to paho's loop, which sends the acks
# and pings): 8 reads of 64 KiB are a few thousand sensor messages.
RECVS_PER_READ = 8
_PUBACK = 0x40
_PUBACK_HEADER = bytes((_PUBACK, 2))


class Delivery(NamedTuple):
    """One PUBLISH as received: raw topic bytes (decode them yourself: they may not be
    UTF-8), payload, packet id, QoS, retain and DUP flags."""

    topic: bytes
    payload: bytes
    mid: int
    qos: int
    retain: bool
    dup: bool


class BatchingClient(mqtt.Client):
    """paho's Client with a batched receive path; set ``on_batch`` to use it."""

    on_batch: Callable[[list[Delivery]], None] | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._rbuf = b""
        self._rpos = 0
        self._recvs_left = RECVS_PER_READ
        self._batch: list[Delivery] = []

    def ack_many(self, mids: Iterable[int]) -> None:
        """Acknowledge many QoS 1 messages of the current connection in one write."""
        data = b"".join([_PUBACK_HEADER + mid.to_bytes(2, "big") for mid in mids])
        if data:
            self._packet_queue(_PUBACK, data, 0, 0)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Read every packet the socket has (within ``RECVS_PER_READ`` reads); one batch."""
        self._recvs_left = RECVS_PER_READ
        try:
            while True:
                if not self._has_socket():  # a packet handled may have closed it
                    return MQTTErrorCode.MQTT_ERR_NO_CONN
                rc = self._packet_read()
                if rc > 0:
                    self._deliver()
                    return self._loop_rc_handle(rc)
                if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                    return MQTTErrorCode.MQTT_ERR_SUCCESS
        finally:
            self._deliver()

    def _has_socket(self) -> bool:
        return self._sock is not None

    def _deliver(self) -> None:
        batch = self._batch
        if batch and self.on_batch is not None:
            self._batch = []
            self.on_batch(batch)

    def _sock_recv(self, bufsize: int) -> bytes:
        pos = self._rpos
        buf = self._rbuf
        if pos >= len(buf):
            if self._recvs_left <= 0:
                raise BlockingIOError  # enough for one batch: back to paho's loop
            self._recvs_left -= 1
            buf = super()._sock_recv(RECV_SIZE)
            if not buf:
                return buf  # the connection is closed
            self._last_bytes_received = time_func()  # keepalive: the broker is there
            self._rbuf = buf
            pos = 0
        end = pos + bufsize
        self._rpos = end
        if pos == 0 and end >= len(buf):
            return buf
        return buf[pos:end]

    def _sock_close(self) -> None:
        self._forget_buffer()
        super()._sock_close()

    def reconnect(self) -> MQTTErrorCode:
        """paho's reconnect, starting with an empty receive buffer."""
        self._forget_buffer()
        return super().reconnect()

    def _forget_buffer(self) -> None:
        # Bytes of a closed connection must never be read as the next one's, nor a half-built
        # batch of it delivered with the next connection's packet ids.
        self._rbuf = b""
        self._rpos = 0
        self._batch = []

    def _packet_read(self) -> MQTTErrorCode:
        # Every whole PUBLISH at QoS 0 or 1 waiting in the buffer is cut out here, in one
        # call (a call per packet through paho's loop was a third of the receive path);
        # anything else (another packet type, a packet cut between two reads, one already
        # half read, MQTT 5) takes paho's own path, reading from the same buffer.
        if (
            self.on_batch is not None
            and self._in_packet["command"] == 0
            and self._protocol != mqtt.MQTTv5
        ):
            start = self._rpos
            end = _cut_publishes(self._rbuf, start, self._batch)
            if end != start:
                self._rpos = end
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._packet_read()

    def _handle_publish(self) -> MQTTErrorCode:
        if (
            self.on_batch is None
            or self._protocol == mqtt.MQTTv5
            or not self._take_publish(self._in_packet["command"], self._in_packet["packet"])
        ):
            return super()._handle_publish()  # QoS 2, or malformed: paho's checks refuse it
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _take_publish(self, header: int, packet: bytes | bytearray) -> bool:
        """Add the PUBLISH to the batch; False (nothing added) unless QoS 0 or 1 and well
        formed."""
        delivery = _publish(bytes(packet), header, 0, len(packet))
        if delivery is None:
            return False
        self._batch.append(delivery)
        return True


def _cut_publishes(buf: bytes, pos: int, batch: list[Delivery]) -> int:
    """Append each whole, well-formed PUBLISH at QoS 0 or 1 from ``pos`` on to ``batch``;
    where the first packet that is not one (or not all in ``buf``) starts."""
    size = len(buf)
    append = batch.append
    while pos + 1 < size:
        header = buf[pos]
        if header & 0xF4 != 0x30:  # not a PUBLISH at QoS 0 or 1
            return pos
        length = buf[pos + 1]
        if length < 0x80:  # a one-byte remaining length: sensor messages under 128 bytes
            body, end = pos + 2, pos + 2 + length
        else:
            body, end = _remaining(buf, pos + 1)
        if body == 0 or end > size:
            return pos
        delivery = _publish(buf, header, body, end)
        if delivery is None:
            return pos
        append(delivery)
        pos = end
    return pos


def _publish(buf: bytes, header: int, start: int, end: int) -> Delivery | None:
    """The PUBLISH whose variable header and payload are ``buf[start:end]``; None unless
    QoS 0 or 1 and well formed (paho then refuses it, saying why)."""
    qos = (header & 0x06) >> 1
    if qos > 1 or end - start < 2:
        return None
    topic_end = start + 2 + ((buf[start] << 8) | buf[start + 1])
    payload_start = topic_end + 2 * qos
    if topic_end == start + 2 or payload_start > end:
        return None
    mid = (buf[topic_end] << 8) | buf[topic_end + 1] if qos else 0
    return Delivery(
        buf[start + 2 : topic_end],
        buf[payload_start:end],
        mid,
        qos,
        bool(header & 0x01),
        bool(header & 0x08),
    )


def _remaining(buf: bytes, at: int) -> tuple[int, int]:
    """Where the body of the packet whose remaining length starts at ``at`` begins and ends;
    (0, 0) when the length is not all in ``buf`` or longer than MQTT's four bytes."""
    length = 0
    shift = 0
    for index in range(at, min(at + 4, len(buf))):
        byte = buf[index]
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return index + 1, index + 1 + length
        shift += 7
    return 0, 0
