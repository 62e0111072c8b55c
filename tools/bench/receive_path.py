"""Ingest's MQTT receive path alone, in-process: ``python -m tools.bench.receive_path``.

Writes N QoS 1 PUBLISH packets of the benchmark's realistic mix (tools/bench/traffic.py) into
one end of a socket pair, 32 KiB at a time, and reads them with :class:`BatchingClient`'s real
receive path from the other end; prints the CPU per message of reading and cutting them into
batches (no broker, no decoding, no storing). The best of ``--rounds`` rounds, since other
processes only ever add time. Prints only: it compares two versions of the receive code run
back to back (``PYTHONPATH`` pointing at the other version's tree).
"""

from __future__ import annotations

import argparse
import socket
import time

from curbside.adapters.mqtt.batching import BatchingClient, Delivery
from curbside.adapters.mqtt.client import BrokerAccess, new_client
from tools.bench.city import bench_city
from tools.bench.traffic import backlog

# Well under a socket pair's buffer: the writer and the reader are the same thread.
CHUNK = 32 << 10


def publish_packet(topic: bytes, payload: bytes, mid: int) -> bytes:
    """A QoS 1 PUBLISH as MQTT 3.1.1 puts it on the wire (sections 2.2.3 and 3.3)."""
    body = len(topic).to_bytes(2, "big") + topic + mid.to_bytes(2, "big") + payload
    length = bytearray()
    n = len(body)
    while True:
        n, digit = divmod(n, 128)
        length.append(digit | (0x80 if n else 0))
        if not n:
            return bytes((0x32,)) + bytes(length) + body


def one_round(stream: bytes, expected: int) -> float:
    """CPU seconds the client spent reading ``stream``, checked to hold ``expected`` PUBLISHes."""
    client = new_client(
        BrokerAccess("127.0.0.1", 1),
        client_id="bench",
        clean_session=False,
        manual_ack=True,
        client_class=BatchingClient,
    )
    assert isinstance(client, BatchingClient)
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client._sock = ours
    received = 0

    def count(batch: list[Delivery]) -> None:
        nonlocal received
        received += len(batch)

    client.on_batch = count
    cpu = 0.0
    try:
        for offset in range(0, len(stream), CHUNK):
            theirs.sendall(stream[offset : offset + CHUNK])
            started = time.process_time()
            while True:  # until this chunk is read: a call that delivers nothing
                before = received
                client.loop_read()
                if received == before:
                    break
            cpu += time.process_time() - started
    finally:
        client._sock_close()
        theirs.close()
    if received != expected:
        raise SystemExit(f"receive_path: read {received} messages of {expected}")
    return cpu


def main(argv: list[str] | None = None) -> int:
    """Print the receive path's CPU per message."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.receive_path", description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    city = bench_city(10_000, 5_000)
    messages = backlog(city, args.messages)
    stream = b"".join(
        publish_packet(m.topic.encode(), m.payload, n % 65_535 + 1) for n, m in enumerate(messages)
    )
    best = min(one_round(stream, len(messages)) for _ in range(args.rounds))
    print(
        f"receive path: {best / len(messages) * 1e6:.2f} µs CPU a message (best of {args.rounds})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
