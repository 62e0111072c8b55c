"""The real services a benchmark runs against, on ports and in a run dir of its own.

Mosquitto and InfluxDB are started with ``scripts/services`` (the same configuration as the
demo and the tests), under ``.run/bench/`` on ports 35883 and 35186 unless told otherwise
(``CURBSIDE_BENCH_PORT_BASE``, default 35000, moves every port of the stack);
ingest shards and the API run as ``python -m ingest`` and ``python -m api`` subprocesses,
exactly as deployed. Everything started here is stopped again by :meth:`Stack.close`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from curbside.adapters.access.keyfile import add_key
from curbside.adapters.access.roles import Role
from curbside.adapters.access.scope import Scope
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.mqtt.client import BrokerAccess, new_client
from curbside.config.settings import Settings, load_settings
from ingest.sharding import Shard
from tools.bench.record import ROOT
from tools.harness.ports import listening
from tools.harness.processes import CurbsideProcess, wait_for
from tools.harness.services import Services

RUN_DIR = ROOT / ".run" / "bench"
# CURBSIDE_BENCH_PORT_BASE moves every port (default 35000): two benchmarks on one machine, e.g.
# from two checkouts, must not share a broker or an API.
_PORT_BASE = int(os.environ.get("CURBSIDE_BENCH_PORT_BASE", "35000"))
MQTT_PORT = _PORT_BASE + 883
INFLUX_PORT = _PORT_BASE + 186
METRICS_BASE_PORT = _PORT_BASE + 900
API_PORT = _PORT_BASE + 800
INGEST_CLIENT_ID = "bench-ingest"
# The benchmark's own clients publish as any device and read everything: the test role.
BENCH_ROLE = "test"
USERNAME, PASSWORD = "curbside", "curbside-dev-only"
DATABASE = "curbside_bench"
KEYS_FILE = RUN_DIR / "api-keys.json"


@dataclass(frozen=True)
class Login:
    """A broker account's user name and password."""

    username: str
    password: str


@dataclass
class Stack:
    """Mosquitto, InfluxDB and the Curbside processes of one benchmark run."""

    city_file: Path
    mqtt_port: int = MQTT_PORT
    influx_port: int = INFLUX_PORT
    processes: list[CurbsideProcess] = field(default_factory=list)
    # Broker accounts by role, made by start_services: the broker lets no one in without one.
    logins: dict[str, Login] = field(default_factory=dict)
    # The admin API key start_api issues (every route), unless a caller set one.
    api_key: str | None = None

    @property
    def env(self) -> dict[str, str]:
        """The CURBSIDE_* environment of every process of this stack (logged in as the
        benchmark's own account; ingest and the API as theirs)."""
        return {
            **self.login_env(BENCH_ROLE),
            "CURBSIDE_RUN_DIR": str(RUN_DIR),
            "CURBSIDE_MQTT_HOST": "127.0.0.1",
            "CURBSIDE_MQTT_PORT": str(self.mqtt_port),
            "CURBSIDE_INFLUX_URL": f"http://127.0.0.1:{self.influx_port}",
            "CURBSIDE_INFLUX_USERNAME": USERNAME,
            "CURBSIDE_INFLUX_PASSWORD": PASSWORD,
            "CURBSIDE_INFLUX_DB": DATABASE,
            "CURBSIDE_CITY_FILE": str(self.city_file),
            "CURBSIDE_API_KEYS_FILE": str(KEYS_FILE),
            "CURBSIDE_LOG_LEVEL": "WARNING",
            # Reading the latest state of 100,000 devices takes longer than the default 10 s.
            "CURBSIDE_INFLUX_TIMEOUT_S": "120",
        }

    def settings(self) -> Settings:
        """The same settings, for the benchmark's own clients."""
        return load_settings(
            **{
                k.removeprefix("CURBSIDE_").lower(): v
                for k, v in self.env.items()
                if k != "CURBSIDE_RUN_DIR"
            }
        )

    def _services(self, action: str) -> None:
        Services(RUN_DIR, self.mqtt_port, self.influx_port, self.env).run(action)

    def login(self, role: str) -> Login:
        """The broker account of ``role`` (start_services made it)."""
        if role not in self.logins:
            raise SystemExit(f"bench: no broker account for {role!r}; start the services first")
        return self.logins[role]

    def access(self, role: str) -> BrokerAccess:
        """The broker, logged in as ``role``, for the benchmark's own MQTT clients."""
        login = self.login(role)
        return BrokerAccess("127.0.0.1", self.mqtt_port, login.username, login.password)

    def login_env(self, role: str) -> dict[str, str]:
        """The variables that make a Curbside process log in as ``role``."""
        if role not in self.logins:
            return {}
        login = self.logins[role]
        return {"CURBSIDE_MQTT_USERNAME": login.username, "CURBSIDE_MQTT_PASSWORD": login.password}

    def _provision(self) -> None:
        # As scripts/demo does: an account per role, new passwords every run. The benchmark's
        # own clients (publishers, mosquitto_sub, the paho drain) use the test role's.
        for role in (BENCH_ROLE, "ingest", "api", "recorder"):
            self.logins[role] = self.provision("service", "add", role, "--rotate")

    def provision(self, *args: str) -> Login:
        """``python -m curbside.cli.provisioning args...`` on this stack's broker; the account it
        issued."""
        env = {"PATH": os.environ.get("PATH", ""), **self.env}
        done = subprocess.run(
            [sys.executable, "-m", "curbside.cli.provisioning", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        username, _, password = done.stdout.strip().partition("\t")
        if not password:
            raise SystemExit(f"bench: provisioning {args} issued no password: {done.stderr}")
        return Login(username, password)

    def start_services(self) -> None:
        """Start Mosquitto and InfluxDB (if not running), give the processes broker accounts
        and make a fresh database."""
        self._services("start")
        self._provision()
        influx = self.influx()
        influx.query(f'DROP DATABASE "{DATABASE}"')
        influx.ensure_database()
        influx.close()

    @property
    def mosquitto_pid(self) -> int:
        """The broker's process id."""
        return Services(RUN_DIR, self.mqtt_port, self.influx_port, self.env).pid("mqtt")

    @property
    def influxd_pid(self) -> int:
        """The database's process id."""
        return Services(RUN_DIR, self.mqtt_port, self.influx_port, self.env).pid("influx")

    def influx(self) -> InfluxClient:
        """A client on the benchmark database (long timeout: counting is slow under load)."""
        return InfluxClient.from_settings(self.settings().replace(influx_timeout_s=120.0))

    def spawn(
        self, name: str, module_args: list[str], extra_env: dict[str, str]
    ) -> CurbsideProcess:
        """Start ``python -m module_args...`` with the stack's environment plus ``extra_env``."""
        env = {"PATH": os.environ.get("PATH", ""), **self.env, **extra_env}
        metrics_port = int(extra_env.get("CURBSIDE_INGEST_METRICS_PORT", 0))
        log = RUN_DIR / f"{name}.log"
        log.unlink(missing_ok=True)
        process = CurbsideProcess(name, module_args, env, log, metrics_port).start()
        self.processes.append(process)
        return process

    def start_ingest(
        self, count: int, extra_env: dict[str, str] | None = None
    ) -> list[CurbsideProcess]:
        """``count`` ingest processes (shards i/count, or one unsharded), once connected."""
        started = []
        for i in range(1, count + 1):
            env = {
                **self.login_env("ingest"),
                "CURBSIDE_MQTT_CLIENT_ID": INGEST_CLIENT_ID,
                "CURBSIDE_INGEST_METRICS_PORT": str(METRICS_BASE_PORT + i),
                **({"CURBSIDE_INGEST_SHARD": f"{i}/{count}"} if count > 1 else {}),
                **(extra_env or {}),
            }
            started.append(self.spawn(f"ingest-{i}of{count}", ["ingest"], env))
        for p in started:
            wait_for(partial(_connected, p), 300, f"{p.name} to connect")
        return started

    def start_api(self, extra_env: dict[str, str] | None = None) -> CurbsideProcess:
        """The API on API_PORT, once its first snapshot is loaded."""
        if self.api_key is None:
            self.api_key = add_key(KEYS_FILE, "bench", Role.ADMIN, Scope(), datetime.now(UTC))[1]
        env = {
            **self.login_env("api"),
            # The benchmark measures the service, not the per-key and per-address rate limits
            # (docs/security.md), which would answer most of its requests with 429. The limiter
            # still runs on every request.
            "CURBSIDE_API_RATE_PER_S": "100000",
            "CURBSIDE_API_RATE_BURST": "1000000",
            "CURBSIDE_API_PUBLIC_RATE_PER_S": "100000",
            "CURBSIDE_API_PUBLIC_RATE_BURST": "1000000",
            **(extra_env or {}),
        }
        api = self.spawn("api", ["api", "--port", str(API_PORT)], env)
        wait_for(lambda: api.check_running() and _healthy(), 600, "the API's first snapshot", 0.2)
        return api

    def ingest_client_ids(self, count: int) -> list[str]:
        """The client ids (sessions) of ``count`` ingest processes."""
        if count == 1:
            return [INGEST_CLIENT_ID]
        return [Shard(i, count).client_id(INGEST_CLIENT_ID) for i in range(1, count + 1)]

    def forget_sessions(self, client_ids: list[str]) -> None:
        """Delete persistent sessions so they stop collecting messages."""
        for client_id in client_ids:
            client = new_client(self.access(BENCH_ROLE), client_id=client_id, clean_session=True)
            client.connect("127.0.0.1", self.mqtt_port)
            client.loop_start()
            client.disconnect()
            client.loop_stop()

    def stop_processes(self) -> None:
        """Stop every Curbside process started so far."""
        for p in self.processes:
            p.stop()
        self.processes.clear()

    def close(self, keep_services: bool = False) -> None:
        """Stop the processes, then the services unless asked to keep them."""
        self.stop_processes()
        if not keep_services:
            self._services("stop")


def start_profile(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling process ``pid`` (every thread, 200 Hz) into ``out`` as collapsed stacks,
    until :func:`finish_profile`."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--threads",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def finish_profile(spy: subprocess.Popen[bytes], out: Path, what: str) -> None:
    """Stop py-spy (as Ctrl-C would, so it writes its file) and say where the profile is."""
    spy.send_signal(signal.SIGINT)
    spy.wait(60)
    print(f"py-spy profile of {what}: {out}", flush=True)


def _connected(p: CurbsideProcess) -> bool:
    return p.check_running() and _answers(p) and p.value("curbside_ingest_broker_connected") == 1


def _answers(p: CurbsideProcess) -> bool:
    if not listening(p.metrics_port):
        return False
    try:
        p.value("curbside_ingest_broker_connected")
    except OSError:
        return False
    return True


def _healthy() -> bool:
    if not listening(API_PORT):
        return False
    # Several answers, each on a connection of its own: with several API processes, each
    # gets some of them (SO_REUSEPORT), and every one must have loaded its snapshot.
    try:
        for _ in range(8):
            with urllib.request.urlopen(f"http://127.0.0.1:{API_PORT}/health", timeout=5):
                pass
        return True
    except OSError:
        return False
