"""Ingest's memory under a flood of distinct unknown topics from one device account (issue 12):
``python -m tools.bench.topic_flood [--messages 110000]``.

Starts its own Mosquitto and InfluxDB (``scripts/services`` under ``.run/bench/``, MQTT 35893,
InfluxDB 35196: beside tools.bench.ingest's ports) with the demo city, provisions truck T01 (it may
publish on ``sanitation/+/+/emptied``, so every message can carry a topic of its own), starts
one ``python -m ingest`` with the default settings and publishes N QoS 1 messages, each on a
distinct unknown district and bin. Every one is rejected (``unknown_device``), logged under a
throttle, dead-lettered or counted: the tables that see one key per topic are what the flood
tests. Ingest's resident memory is sampled throughout; reported are its idle RSS, its peak
(VmHWM) and its RSS 10 s after the flood, against the documented bound of 80 MiB
(docs/reliability.md, "Bounded memory").

Prints a section and appends it to docs/performance.md (``--no-record`` to skip).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from curbside.adapters.mqtt.client import BrokerAccess, connack, new_client
from tools.bench.record import ROOT, command_line, machine_lines, publish
from tools.bench.stack import Stack
from tools.harness.processes import proc_rss_bytes, proc_status_kib, wait_for

MQTT_PORT = 35893
INFLUX_PORT = 35196
TRUCK = "T01"
BOUND_MIB = 80  # tests/faults/memory.py
SETTLE_S = 10.0
CHUNK = 10_000


@dataclass(frozen=True)
class FloodFigures:
    """What one flood measured."""

    messages: int
    publish_s: float
    drained_s: float
    idle_mib: float
    peak_mib: float
    after_mib: float
    rejected: int
    deadletters_dropped: int


def provision_truck(stack: Stack) -> BrokerAccess:
    """Truck T01's broker account (new password), once the broker accepts it."""
    login = stack.provision("device", "add", TRUCK, "--rotate")
    access = BrokerAccess("127.0.0.1", stack.mqtt_port, login.username, login.password)
    wait_for(lambda: connack(access, client_id="bench-flood-probe") == 0, 30, "the truck login")
    return access


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM)."""
    return proc_status_kib(pid, "VmHWM") / 1024


def flood(access: BrokerAccess, messages: int) -> float:
    """Publish the flood at QoS 1 as the truck; the seconds it took (all acknowledged)."""
    client = new_client(access, client_id="bench-flood-truck")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(access.host, access.port)
    client.loop_start()
    started = time.monotonic()
    try:
        # In chunks: paho's packet ids run out at 65,535 messages in flight.
        for first in range(0, messages, CHUNK):
            infos = [
                client.publish(f"sanitation/flood-{n}/bin-{n}/emptied", b'{"truck": "T01"}', qos=1)
                for n in range(first, min(first + CHUNK, messages))
            ]
            for info in infos:
                info.wait_for_publish(300)
    finally:
        client.disconnect()
        client.loop_stop()
    return time.monotonic() - started


def measure(stack: Stack, messages: int) -> FloodFigures:
    """Start ingest, flood it, and read its memory."""
    access = provision_truck(stack)
    (ingest,) = stack.start_ingest(1)
    time.sleep(2.0)  # let start-up allocations settle before the idle figure
    idle = proc_rss_bytes(ingest.pid) / 2**20
    started = time.monotonic()
    publish_s = flood(access, messages)
    received = "curbside_ingest_received_total"
    wait_for(
        lambda: ingest.check_running() and ingest.value(received) >= messages,
        600,
        "ingest to receive the whole flood",
        interval_s=0.5,
    )
    drained = time.monotonic() - started
    time.sleep(SETTLE_S)
    return FloodFigures(
        messages=messages,
        publish_s=publish_s,
        drained_s=drained,
        idle_mib=idle,
        peak_mib=peak_rss_mib(ingest.pid),
        after_mib=proc_rss_bytes(ingest.pid) / 2**20,
        rejected=int(ingest.value("curbside_ingest_rejected_total", reason="unknown_device")),
        deadletters_dropped=int(
            ingest.value("curbside_ingest_deadletters_dropped_total", cause="queue_full")
        ),
    )


def report(f: FloodFigures, command: str) -> str:
    """The results section for docs/performance.md."""
    verdict = "within" if f.peak_mib < BOUND_MIB else "OVER"
    return "\n".join(
        [
            f"### Ingest memory under a flood of distinct topics ({time.strftime('%Y-%m-%d')})",
            "",
            *machine_lines(command),
            "",
            "| messages (each its own unknown topic, QoS 1, one truck account) | "
            "published in | received in | idle RSS | peak RSS (VmHWM) | RSS 10 s after | "
            "rejected | dead letters dropped (queue full) |",
            "|---|---|---|---|---|---|---|---|",
            f"| {f.messages:,} | {f.publish_s:.1f} s | {f.drained_s:.1f} s | "
            f"{f.idle_mib:.1f} MiB | {f.peak_mib:.1f} MiB | {f.after_mib:.1f} MiB | "
            f"{f.rejected:,} | {f.deadletters_dropped:,} |",
            "",
            f"Peak {verdict} the documented bound of {BOUND_MIB} MiB.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the flood on services of its own."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench.topic_flood",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=110_000)
    parser.add_argument("--keep-services", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args(argv)
    stack = Stack(
        ROOT / "curbside" / "city" / "demo-city.yaml", mqtt_port=MQTT_PORT, influx_port=INFLUX_PORT
    )
    try:
        stack.start_services()
        figures = measure(stack, args.messages)
        stack.stop_processes()
        stack.forget_sessions(stack.ingest_client_ids(1))
    finally:
        stack.close(keep_services=args.keep_services)
    publish(report(figures, command_line("tools.bench.topic_flood", argv)), keep=not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
