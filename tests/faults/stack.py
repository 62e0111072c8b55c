"""A private Curbside stack for fault injection: its own Mosquitto and InfluxDB (started with
scripts/services on ports of its own), ingest as a real subprocess, and a steady publisher.

Every fault here is real: ``kill -9``, SIGSTOP and SIGTERM go to real processes, which is why
these tests never touch the shared test services that scripts/test started.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from tools.harness.processes import CurbsideProcess, proc_status_kib, settings_env, wait_for
from tools.harness.services import Services

REPO = Path(__file__).resolve().parents[2]


class PrivateServices(Services):
    """One Mosquitto and one InfluxDB of a test module's own, under its own run folder."""

    def __init__(self, base: Settings, run_dir: Path, mqtt_port: int, influx_port: int) -> None:
        self.settings = base.replace(
            mqtt_port=mqtt_port,
            influx_url=f"http://127.0.0.1:{influx_port}",
            influx_db="faults",
            mqtt_client_id="ingest-faults",
            city_file=(REPO / base.city_file).resolve(),
            ingest_spool_dir=run_dir / "spool",
            ingest_metrics_port=0,
            run_dir=run_dir,
        )
        env = settings_env(self.settings, CURBSIDE_INFLUX_RPC_PORT=str(influx_port + 2))
        super().__init__(run_dir, mqtt_port, influx_port, env)

    def influx(self) -> InfluxClient:
        """A client on the private database (created if missing)."""
        client = InfluxClient.from_settings(self.settings)
        client.ensure_database()
        return client


class IngesterProcess(CurbsideProcess):
    """``python -m ingest`` as a real subprocess, with its /metrics and /proc readings."""

    def __init__(self, settings: Settings, metrics_port: int, log_path: Path) -> None:
        self.settings = settings.replace(ingest_metrics_port=metrics_port)
        super().__init__("ingest", ["ingest"], settings_env(self.settings), log_path, metrics_port)

    def start(self, *, new_session: bool = True) -> IngesterProcess:
        """Start it with its settings as they are now (a test may change them before) and wait
        until it is connected to the broker."""
        self.env = settings_env(self.settings)
        super().start(new_session=new_session)
        wait_for(self._connected, 60, "the ingester to connect to the broker", interval_s=0.2)
        return self

    def _connected(self) -> bool:
        self.check_running()
        try:
            return self.value("curbside_ingest_broker_connected") == 1
        except OSError:
            return False

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.running

    def health(self) -> tuple[int, dict[str, object]]:
        """Its ``/health`` answer: the HTTP status and the JSON document."""
        url = f"http://127.0.0.1:{self.metrics_port}/health"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def peak_rss_kib(self) -> int:
        """The process's peak resident memory so far (VmHWM), in KiB."""
        return proc_status_kib(self.pid, "VmHWM")

    def stop(self, timeout_s: float = 90) -> int:
        """SIGTERM (flush and acknowledge) and wait; the exit status."""
        status = super().stop(timeout_s)
        assert status is not None, "the ingester was never started"
        return status


def publisher(settings: Settings, client_id: str) -> mqtt.Client:
    """A connected QoS 1 publisher with the settings' credentials, network loop running."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=True,
        protocol=mqtt.MQTTv311,
    )
    if settings.mqtt.username is not None and settings.mqtt.password is not None:
        client.username_pw_set(settings.mqtt.username, settings.mqtt.password.get_secret_value())
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(settings.mqtt.host, settings.mqtt.port)
    client.loop_start()
    return client


def publish_all(settings: Settings, messages: list[tuple[str, bytes]], client_id: str) -> None:
    """Publish every message at QoS 1 as fast as the broker takes them; all acknowledged."""
    client = publisher(settings, client_id)
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(120)
        unacked = sum(1 for info in infos if not info.is_published())
        assert unacked == 0, f"the broker did not acknowledge {unacked} publishes"
    finally:
        client.disconnect()
        client.loop_stop()


def parking_messages(settings: Settings, count: int, first_ts: datetime) -> list[tuple[str, bytes]]:
    """``count`` status messages, each a distinct point (its own space and millisecond)."""
    city = load_city(settings.city_file)
    spaces = [(z.id, s.id) for z in city.parking_zones for s in z.spaces]
    messages = []
    for n in range(count):
        zone, space = spaces[n % len(spaces)]
        ts = first_ts + timedelta(milliseconds=n)
        payload = {"occupied": n % 3 == 0, "ts": ts.isoformat(timespec="milliseconds")}
        messages.append((f"parking/{zone}/{space}/status", json.dumps(payload).encode()))
    return messages


class SteadyPublisher:
    """Publishes messages at QoS 1 at a steady rate from its own thread."""

    def __init__(self, client: mqtt.Client, messages: list[tuple[str, bytes]], rate: float) -> None:
        self._client = client
        self._messages = messages
        self._rate = rate
        self.infos: list[mqtt.MQTTMessageInfo] = []
        self._thread = threading.Thread(target=self._run, name="steady-publisher", daemon=True)

    @property
    def published(self) -> int:
        """How many have been handed to the client so far."""
        return len(self.infos)

    def start(self) -> None:
        """Start publishing."""
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        for n, (topic, payload) in enumerate(self._messages):
            delay = started + n / self._rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.infos.append(self._client.publish(topic, payload, qos=1))

    def join(self, timeout_s: float) -> None:
        """Wait until every message is published and acknowledged by the broker."""
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "the publisher did not finish in time"
        for info in self.infos:
            info.wait_for_publish(timeout_s)
        unacked = sum(1 for info in self.infos if not info.is_published())
        assert unacked == 0, f"the broker did not acknowledge {unacked} publishes"


def count_points(influx: InfluxClient, measurement: str = "parking_status") -> int:
    """Distinct points stored (same series and time overwrite, so this counts distinct ones)."""
    field = "occupied" if measurement == "parking_status" else "fill_pct"
    series = influx.query(f'SELECT count("{field}") FROM "{measurement}"')
    return int(series[0].rows()[0]["count"]) if series else 0
