"""A private Curbside stack for fault injection: its own Mosquitto and InfluxDB (started with
scripts/services on ports of its own), ingest as a real subprocess, and a steady publisher.

Every fault here is real: ``kill -9``, SIGSTOP and SIGTERM go to real processes, which is why
these tests never touch the shared test services that scripts/test started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client.parser import text_string_to_metric_families

from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import load_city
from curbside.config.settings import ENV_PREFIX, Settings
from tests.support import wait_for

REPO = Path(__file__).resolve().parents[2]


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a subprocess exactly these settings (and no others)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        text = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        env[f"{ENV_PREFIX}{name.upper()}"] = str(text)
    return env


class PrivateServices:
    """One Mosquitto and one InfluxDB of a test module's own, under its own run folder."""

    def __init__(self, base: Settings, run_dir: Path, mqtt_port: int, influx_port: int) -> None:
        self.run_dir = run_dir
        self.mqtt_port = mqtt_port
        self.influx_port = influx_port
        self.settings = base.model_copy(
            update={
                "mqtt_port": mqtt_port,
                "influx_url": f"http://127.0.0.1:{influx_port}",
                "influx_db": "faults",
                "mqtt_client_id": "ingest-faults",
                "city_file": (REPO / base.city_file).resolve(),
                "ingest_spool_dir": run_dir / "spool",
                "ingest_metrics_port": 0,
                "run_dir": run_dir,
            }
        )
        self._env = settings_env(self.settings) | {
            "CURBSIDE_RUN_DIR": str(run_dir),
            "CURBSIDE_INFLUX_RPC_PORT": str(influx_port + 2),
        }

    def run(self, action: str, which: str = "all") -> None:
        """``scripts/services <action> <which>`` for this instance."""
        done = subprocess.run(
            [str(REPO / "scripts" / "services"), action, which],
            env=self._env,
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"scripts/services {action} {which} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )

    def pid(self, which: str) -> int:
        """The pid of the running Mosquitto (``mqtt``) or InfluxDB (``influx``)."""
        path = (
            self.run_dir / f"mosquitto-{self.mqtt_port}" / "mosquitto.pid"
            if which == "mqtt"
            else self.run_dir / f"influxdb-{self.influx_port}" / "influxd.pid"
        )
        return int(path.read_text().strip())

    def signal(self, which: str, sig: signal.Signals) -> None:
        """Send a signal to one service; after SIGKILL, wait until it is gone."""
        pid = self.pid(which)
        os.kill(pid, sig)
        if sig == signal.SIGKILL:
            wait_for(lambda: not _alive(pid), 10, f"{which} (pid {pid}) to die")

    def broker_log(self) -> str:
        """Everything the broker logged."""
        return (self.run_dir / f"mosquitto-{self.mqtt_port}" / "mosquitto.log").read_text()

    def broker_db(self) -> Path:
        """The broker's persistence file."""
        return self.run_dir / f"mosquitto-{self.mqtt_port}" / "data" / "mosquitto.db"

    def influx(self) -> InfluxClient:
        """A client on the private database (created if missing)."""
        client = InfluxClient.from_settings(self.settings)
        client.ensure_database()
        return client


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in {"Z", "X"}


class IngesterProcess:
    """``python -m ingest`` as a real subprocess, with its /metrics and /proc readings."""

    def __init__(self, settings: Settings, metrics_port: int, log_path: Path) -> None:
        self.settings = settings.model_copy(update={"ingest_metrics_port": metrics_port})
        self.metrics_port = metrics_port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it is connected to the broker."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ingest"],
                cwd=REPO,
                env=settings_env(self.settings),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._connected, 60, "the ingester to connect to the broker", interval_s=0.2)

    def _connected(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the ingester exited ({self.process.returncode}); see log")
        try:
            return self.value("curbside_ingest_broker_connected") == 1
        except OSError:
            return False

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of its /metrics, keyed by name and sorted labels."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when absent)."""
        return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)

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
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc status")

    def kill(self) -> None:
        """``kill -9`` and reap it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        """SIGTERM (flush and acknowledge) and wait; the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def publisher(settings: Settings, client_id: str) -> mqtt.Client:
    """A connected QoS 1 publisher with the settings' credentials, network loop running."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=True,
        protocol=mqtt.MQTTv311,
    )
    if settings.mqtt_username is not None and settings.mqtt_password is not None:
        client.username_pw_set(settings.mqtt_username, settings.mqtt_password.get_secret_value())
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(settings.mqtt_host, settings.mqtt_port)
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
