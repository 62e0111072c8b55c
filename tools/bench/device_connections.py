"""What a broker connection per device costs, against one gateway connection for them all:
``python -m tools.bench.device_connections [--devices 1500] [--no-record]``.

Run it against a scratch broker started by scripts/services (it provisions accounts there
and revokes them at the end), e.g. with ``CURBSIDE_RUN_DIR=/tmp/bench CURBSIDE_MQTT_PORT=...``.
It provisions the first N spaces and bins of the demo city with passwords of their own and a
gateway for the same devices, then (a) opens one paho client per device (each with paho's
own network thread, as a simple simulator would), each publishing one message at QoS 1, and
(b) publishes the same N messages over the gateway's one connection. It reports the times,
the memory of this process and of the broker, and appends them to docs/performance.md.
"""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt

from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.adapters.provisioning.broker import reload_broker, running_broker_pid
from curbside.adapters.provisioning.changes import Issued, add_devices, add_gateway, revoke
from curbside.adapters.provisioning.devices import Device, select_devices
from curbside.adapters.provisioning.store import BrokerFiles, broker_dir
from curbside.city.registry import load_city
from curbside.config.settings import Settings, load_settings
from tools.bench.record import machine_lines, publish

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = "bench-gateway"
TIMEOUT_S = 60.0


def rss_mib(pid: int | str = "self") -> float:
    """Resident memory of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Counter:
    """Counts callbacks from many paho threads."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, *_args: object) -> None:
        with self._lock:
            self.value += 1

    def wait(self, target: int) -> bool:
        """Wait until the count reaches ``target``; False if it did not within TIMEOUT_S."""
        deadline = time.monotonic() + TIMEOUT_S
        while self.value < target:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


def _topic(device: Device) -> str:
    return device.topics[0]


def per_device(
    access: BrokerAccess, devices: list[Device], issued: list[Issued]
) -> dict[str, float]:
    """One client per device: connect all, publish one message each, disconnect."""
    connected, acked = Counter(), Counter()
    clients: list[mqtt.Client] = []
    start = time.monotonic()
    for device, login in zip(devices, issued, strict=True):
        client = new_client(
            BrokerAccess(access.host, access.port, login.username, login.password),
            client_id=f"bench-{device.id}",
        )
        client.on_connect = connected.add
        client.on_publish = acked.add
        client.connect_async(access.host, access.port, keepalive=60)
        client.loop_start()
        clients.append(client)
    all_connected = connected.wait(len(devices))
    connect_s = time.monotonic() - start
    result = {"connected": connected.value, "threads": threading.active_count(), "rss": rss_mib()}
    if all_connected:
        start = time.monotonic()
        for device, client in zip(devices, clients, strict=True):
            client.publish(_topic(device), b'{"occupied": false}', qos=1)
        acked.wait(len(devices))
        result["publish_s"] = time.monotonic() - start
    for client in clients:
        client.disconnect()
    # In parallel: a client still retrying its connection takes up to a second to stop.
    with ThreadPoolExecutor(max_workers=200) as pool:
        list(pool.map(lambda c: c.loop_stop(), clients))
    return result | {"connect_s": connect_s, "acked": acked.value}


def gateway(access: BrokerAccess, devices: list[Device], login: Issued) -> dict[str, float]:
    """One connection publishing for every device."""
    connected, acked = Counter(), Counter()
    client = new_client(
        BrokerAccess(access.host, access.port, login.username, login.password),
        client_id="bench-gateway",
    )
    client.max_inflight_messages_set(1000)
    client.on_connect = connected.add
    client.on_publish = acked.add
    start = time.monotonic()
    client.connect_async(access.host, access.port, keepalive=60)
    client.loop_start()
    connected.wait(1)
    connect_s = time.monotonic() - start
    start = time.monotonic()
    for device in devices:
        client.publish(_topic(device), b'{"occupied": false}', qos=1)
    acked.wait(len(devices))
    publish_s = time.monotonic() - start
    memory = rss_mib()
    client.disconnect()
    client.loop_stop()
    return {
        "connected": connected.value,
        "connect_s": connect_s,
        "publish_s": publish_s,
        "acked": acked.value,
        "rss": memory,
        "threads": 2,
    }


def _row(name: str, result: dict[str, float], count: int, connections: int) -> str:
    connect = f"{result['connect_s']:.2f} s"
    if result["connected"] < connections:
        connect = f"only {result['connected']:,.0f} of {connections:,} in {TIMEOUT_S:.0f} s"
    publish = f"{result['publish_s']:.2f} s" if "publish_s" in result else "not run"
    if result["acked"] < count and "publish_s" in result:
        publish += f" ({result['acked']:,.0f} acknowledged)"
    return f"| {name} | {connect} | {publish} | {result['rss']:.0f} MiB | {result['threads']:.0f} |"


def run(settings: Settings, count: int) -> str:
    """Both ways, on the broker of ``settings``; the results as a Markdown section."""
    files = BrokerFiles(broker_dir(settings))
    pid = running_broker_pid(files.pid_file)
    if pid is None:
        raise SystemExit(f"no broker runs for {files.broker_dir}; start one with scripts/services")
    devices = select_devices(load_city(ROOT / "curbside" / "city" / "demo-city.yaml"))[:count]
    start = time.monotonic()
    issued = add_devices(files, devices, rotate=True)
    provision_s = time.monotonic() - start
    login = add_gateway(files, GATEWAY, devices, rotate=True)
    reload_broker(files.pid_file)
    time.sleep(1.0)  # the broker reloads in its own time
    access = BrokerAccess.from_settings(settings)
    try:
        broker_before = rss_mib(pid)
        own = per_device(access, devices, issued)
        broker_with_devices = rss_mib(pid)
        time.sleep(1.0)
        shared = gateway(access, devices, login)
    finally:
        revoke(files, [d.id for d in devices] + [GATEWAY])
        reload_broker(files.pid_file)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### A connection per device or one gateway, {count:,} devices, {now}",
        "",
        *machine_lines(f"python -m tools.bench.device_connections --devices {count}"),
        "",
        "| | connect | publish one message each (QoS 1, acknowledged) | this process | threads |",
        "| --- | ---: | ---: | ---: | ---: |",
        _row("a client per device", own, count, count),
        _row("one gateway", shared, count, 1),
        "",
        f"Provisioning {count:,} devices (hash, state, password and ACL files) took "
        f"{provision_s:.2f} s. The broker's memory: {broker_before:.1f} MiB before, "
        f"{broker_with_devices:.1f} MiB with the device connections open.",
        "",
    ]
    if own["connected"] < count:
        lines += [
            "A paho client's network thread watches its socket and a socket pair with select(),",
            "which cannot watch file descriptors numbered 1024 or more: one Python process",
            "stops connecting clients at about 340 (3 descriptors each), and paho retries the",
            "rest silently.",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run, print and record."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=1500)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    section = run(load_settings(), args.devices)
    publish(section, keep=not args.no_record)


if __name__ == "__main__":
    main()
