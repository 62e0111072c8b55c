"""Drain rate of one ingest process from Mosquitto and from a three-node RabbitMQ cluster, in
the same run on the same machine: a backlog of QoS 1 messages waits in ingest's persistent
session (on RabbitMQ a quorum queue replicated on every node), then ingest is started and
timed from its first message to the last one stored in InfluxDB.

    python -m tools.bench.broker_drain                   # 30,000 messages, prints the section
    python -m tools.bench.broker_drain --keep            # and adds it to docs/performance.md

Ports: Mosquitto 35883, InfluxDB 35186, the cluster from 35600 (--rabbitmq-port-base, 30
ports), all under .run/bench-broker/; the demo county.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from curbside.adapters.mqtt.client import BrokerAccess, connack
from curbside.adapters.provisioning.broker import apply_to_broker
from curbside.adapters.provisioning.changes import add_service
from curbside.adapters.provisioning.store import broker_files
from curbside.city.registry import load_city
from curbside.config.settings import Settings, load_settings
from tools.bench.record import ROOT, command_line, machine_lines, publish
from tools.bench.stack import PASSWORD, USERNAME
from tools.bench.traffic import Publisher, backlog
from tools.harness.processes import CurbsideProcess, settings_env, wait_for
from tools.harness.services import Services

RUN_DIR = ROOT / ".run" / "bench-broker"
CLIENT_ID = "bench-drain-ingest"


@dataclass(frozen=True)
class Drain:
    """One broker's figures."""

    broker: str
    messages: int
    publish_s: float
    drain_s: float

    @property
    def rate(self) -> float:
        """Messages stored per second of draining."""
        return self.messages / self.drain_s


def provisioned(settings: Settings) -> Settings:
    """``settings`` logged in with a fresh account of the test role (publishes and reads all)."""
    files = broker_files(settings)
    issued = add_service(files, "test", "bench-drain", rotate=True)
    if apply_to_broker(settings, files, [issued]) is None:
        raise SystemExit(f"bench: no broker runs for {files.broker_dir}")
    login = settings.replace(mqtt_username=issued.username, mqtt_password=issued.password)
    access = BrokerAccess.from_settings(login)
    wait_for(lambda: _accepts(access), 30, "the broker to accept the bench account")
    return login


def _accepts(access: BrokerAccess) -> bool:
    return connack(access, client_id=f"bench-probe-{os.getpid()}") == 0


def ingest(settings: Settings, log: Path) -> CurbsideProcess:
    """``python -m ingest`` on ``settings``' broker, once connected."""
    env = settings_env(settings, CURBSIDE_MQTT_CLIENT_ID=CLIENT_ID)
    process = CurbsideProcess("ingest", ["ingest"], env, log, settings.ingest.metrics_port).start()
    wait_for(lambda: process.check_running() and _connected(process), 120, "ingest to connect")
    return process


def _connected(process: CurbsideProcess) -> bool:
    try:
        return process.value("curbside_ingest_broker_connected") == 1
    except OSError:
        return False


def measure(broker: str, settings: Settings, count: int) -> Drain:
    """Make ingest's session, queue ``count`` messages in it, and time the drain."""
    influx_db = f"drain_{broker}"
    settings = settings.replace(influx_db=influx_db)
    log = RUN_DIR / f"ingest-{broker}.log"
    ingest(settings, log).stop()  # the persistent session now exists and collects
    messages = backlog(load_city(settings.city_file), count)
    publisher = Publisher(BrokerAccess.from_settings(settings))
    started = time.perf_counter()
    for m in messages:
        publisher.publish(m)
    publisher.wait_acked(count, 600)
    publish_s = time.perf_counter() - started
    publisher.close()
    process = ingest(settings, log)
    try:
        wait_for(
            lambda: process.value("curbside_ingest_received_total") > 0, 120, "first message", 0.01
        )
        started = time.perf_counter()
        wait_for(
            lambda: process.value("curbside_ingest_stored_points_total") >= count,
            1800,
            f"ingest to store {count} points",
            0.25,
        )
        drain_s = time.perf_counter() - started
    finally:
        process.stop()
    return Drain(broker, count, publish_s, drain_s)


def main(argv: list[str] | None = None) -> int:
    """Measure both brokers and print (or keep) the results section."""
    parser = argparse.ArgumentParser(prog="python -m tools.bench.broker_drain")
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--mqtt-port", type=int, default=35883)
    parser.add_argument("--influx-port", type=int, default=35186)
    parser.add_argument("--rabbitmq-port-base", type=int, default=35600)
    parser.add_argument("--metrics-port", type=int, default=35950)
    parser.add_argument("--keep", action="store_true", help="add the section to the docs")
    args = parser.parse_args(argv)
    base = args.rabbitmq_port_base
    env = {
        "CURBSIDE_RABBITMQ_PORT_BASE": str(base),
        "CURBSIDE_RABBITMQ_NODES": "3",
        "CURBSIDE_INFLUX_USERNAME": USERNAME,
        "CURBSIDE_INFLUX_PASSWORD": PASSWORD,
    }
    services = Services(RUN_DIR, args.mqtt_port, args.influx_port, env)
    settings = load_settings(
        run_dir=RUN_DIR,
        mqtt_port=args.mqtt_port,
        influx_url=f"http://127.0.0.1:{args.influx_port}",
        influx_username=USERNAME,
        influx_password=PASSWORD,
        ingest_metrics_port=args.metrics_port,
        rabbitmq_port_base=base,
        rabbitmq_nodes=3,
        log_level="WARNING",
    )
    services.run("start")  # Mosquitto and InfluxDB
    services.run("start", "rabbitmq")
    try:
        mosquitto = measure("mosquitto", provisioned(settings), args.messages)
        cluster = settings.replace(
            mqtt_broker="rabbitmq",
            mqtt_port=base + 1,
            mqtt_addresses=",".join(f"127.0.0.1:{base + 10 * n + 1}" for n in range(3)),
        )
        rabbitmq = measure("rabbitmq", provisioned(cluster), args.messages)
    finally:
        services.run("stop", "rabbitmq")
        services.run("stop")
    lines = [
        "### Drain rate: Mosquitto and a three-node RabbitMQ cluster (issue 21)",
        "",
        *machine_lines(command_line("tools.bench.broker_drain", argv)),
        f"- load average at the end: {os.getloadavg()[0]:.2f}",
        "",
        "| broker | messages | publish (s) | drain by ingest (s) | drain rate (msg/s) |",
        "|---|---|---|---|---|",
    ]
    for d in (mosquitto, rabbitmq):
        lines.append(
            f"| {d.broker} | {d.messages:,} | {d.publish_s:.1f} | {d.drain_s:.1f} | {d.rate:,.0f} |"
        )
    publish("\n".join(lines) + "\n", keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
