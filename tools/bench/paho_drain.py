"""The paho-mqtt floor: receive and acknowledge queued messages, doing nothing else.

``python -m tools.bench.paho_drain --port P --count N`` connects the durable session ``bench-paho``
(``--subscribe-only``: create it and leave), acknowledges each message by hand as ingest does,
and prints the seconds from the first message to the N-th. It tells how much of ingest's cost
is the MQTT client library itself.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import paho.mqtt.client as mqtt

from curbside.adapters.mqtt.client import BrokerAccess, new_client

CLIENT_ID = "bench-paho"


def main() -> int:
    """Drain the session and print the seconds it took."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.paho_drain")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--subscribe-only", action="store_true")
    args = parser.parse_args()
    # The broker lets no one in anonymously; tools/bench/ingest.py passes the bench's account.
    access = BrokerAccess(
        "127.0.0.1",
        args.port,
        os.environ.get("CURBSIDE_MQTT_USERNAME") or None,
        os.environ.get("CURBSIDE_MQTT_PASSWORD") or None,
    )
    client = new_client(access, client_id=CLIENT_ID, clean_session=False, manual_ack=True)
    received = 0
    first = 0.0

    def on_message(c: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        nonlocal received, first
        if not received:
            first = time.perf_counter()
        received += 1
        c.ack(message.mid, message.qos)
        if received >= args.count:
            c.disconnect()

    def on_subscribe(c: mqtt.Client, *rest: Any) -> None:
        if args.subscribe_only:
            c.disconnect()

    client.on_message = on_message
    client.on_subscribe = on_subscribe
    client.on_connect = lambda c, *rest: c.subscribe([("parking/#", 1), ("sanitation/#", 1)])
    client.connect(access.host, access.port)
    client.loop_forever()
    if not args.subscribe_only:
        print(f"{time.perf_counter() - first:.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
