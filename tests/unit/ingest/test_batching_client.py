"""The batching paho client against MQTT 3.1.1's wire format (OASIS standard, 29 Oct 2014):
PUBLISH is section 3.3 (fixed header 0x30 | DUP << 3 | QoS << 1 | RETAIN, remaining length
as a variable-length integer, 2.2.3; topic as a length-prefixed UTF-8 string, 1.5.3; packet
id only at QoS 1 and 2), PUBACK section 3.4 (0x40, remaining length 2, packet id).

The packets here are built by hand from the standard, written into a real socket pair and
read by the client's real receive path."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from paho.mqtt.enums import MQTTErrorCode

from curbside.adapters.mqtt.batching import RECV_SIZE, RECVS_PER_READ, BatchingClient, Delivery
from curbside.adapters.mqtt.client import BrokerAccess, new_client


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def publish(
    topic: bytes, payload: bytes, *, qos: int, mid: int = 0, retain: bool = False, dup: bool = False
) -> bytes:
    body = len(topic).to_bytes(2, "big") + topic + (mid.to_bytes(2, "big") if qos else b"")
    body += payload
    return bytes([0x30 | dup << 3 | qos << 1 | retain]) + _length(len(body)) + body


Wired = tuple[BatchingClient, socket.socket, list[list[Delivery]]]


@pytest.fixture
def wired() -> Iterator[Wired]:
    client = new_client(
        BrokerAccess("127.0.0.1", 1),
        client_id="t",
        clean_session=False,
        manual_ack=True,
        client_class=BatchingClient,
    )
    assert isinstance(client, BatchingClient)
    ours, broker = socket.socketpair()
    ours.setblocking(False)
    client._sock = ours
    batches: list[list[Delivery]] = []
    client.on_batch = batches.append
    yield client, broker, batches
    client._sock_close()
    broker.close()


def test_every_packet_of_one_read_is_one_batch_in_order(wired: Wired) -> None:
    client, broker, batches = wired
    broker.sendall(
        publish(b"parking/z1/s1/status", b'{"occupied":true}', qos=1, mid=1)
        + publish(b"sanitation/d1/b1/fill", b"x" * 300, qos=1, mid=513, retain=True, dup=True)
        + publish(b"a/b", b"", qos=0)
    )
    assert client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert batches == [
        [
            Delivery(b"parking/z1/s1/status", b'{"occupied":true}', 1, 1, False, False),
            # 300 bytes of payload: a two-byte remaining length (2.2.3)
            Delivery(b"sanitation/d1/b1/fill", b"x" * 300, 513, 1, True, True),
            Delivery(b"a/b", b"", 0, 0, False, False),
        ]
    ]


def test_a_packet_cut_between_reads_is_delivered_whole_later(wired: Wired) -> None:
    client, broker, batches = wired
    packet = publish(b"t/1", b"y" * 1000, qos=1, mid=9)
    broker.sendall(packet[:5])
    client.loop_read()
    assert batches == []
    broker.sendall(packet[5:])
    client.loop_read()
    assert batches == [[Delivery(b"t/1", b"y" * 1000, 9, 1, False, False)]]


def test_a_read_stops_after_its_socket_reads_and_leaves_nothing_buffered(wired: Wired) -> None:
    client, broker, batches = wired
    one = publish(b"t/2", b"z" * 500, qos=1, mid=2)
    count = (RECV_SIZE * (RECVS_PER_READ + 2)) // len(one)
    broker.setblocking(False)
    sent = 0
    received = 0
    while received < count:
        while sent < count:
            try:
                broker.send(one)
            except BlockingIOError:
                break
            sent += 1
        client.loop_read()
        assert client._rpos >= len(client._rbuf)  # paho's select sees whatever is left
        received = sum(len(b) for b in batches)
    assert received == count
    assert len(batches) > 1  # no read of the socket is unbounded


def test_acks_are_one_write_of_pubacks(wired: Wired) -> None:
    client, broker, _ = wired
    client.ack_many([7, 300, 65535])  # without a network thread, paho writes at once
    assert broker.recv(100) == bytes.fromhex("400200074002012c4002ffff")


def test_a_closed_connection_leaves_nothing_for_the_next(wired: Wired) -> None:
    client, broker, _ = wired
    packet = publish(b"t/3", b"w", qos=1, mid=3)
    broker.sendall(packet + packet[:3])
    client.loop_read()
    client._sock_close()
    assert (client._rbuf, client._batch) == (b"", [])


def test_a_packet_that_is_not_a_publish_between_publishes_goes_to_paho(wired: Wired) -> None:
    client, broker, batches = wired
    client._ping_t = 123.0  # a PINGREQ is out: paho clears this on the PINGRESP (3.13)
    broker.sendall(
        publish(b"t/4", b"a", qos=1, mid=4)
        + bytes((0xD0, 0))  # PINGRESP
        + publish(b"t/5", b"b", qos=0)
        + publish(b"t/6", b"c", qos=1, mid=6)
    )
    assert client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert client._ping_t == 0
    assert [d for batch in batches for d in batch] == [
        Delivery(b"t/4", b"a", 4, 1, False, False),
        Delivery(b"t/5", b"b", 0, 0, False, False),
        Delivery(b"t/6", b"c", 6, 1, False, False),
    ]
