"""A small simulated town, and the plumbing to run the real processes against it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from city.demo import demo_city
from config.settings import Settings
from tests.support import mqtt_login_env, wait_for

REPO = Path(__file__).parents[2]


def small_city() -> dict[str, Any]:
    """Two zones (one per demo tariff), two districts, one station: quick to simulate."""

    def spaces(zone: str, n: int, row: float) -> list[dict[str, Any]]:
        return [
            {"id": f"{zone}-{k:03d}", "lat": 29.87 + row, "lon": 121.54 + k * 1e-4}
            for k in range(1, n + 1)
        ]

    def bins(district: str, n: int, row: float) -> list[dict[str, Any]]:
        return [
            {
                "id": f"{district}-B{k:03d}",
                "capacity_l": 240,
                "depth_cm": 100.0 if k % 2 else 90.0,
                "lat": 29.86 + row,
                "lon": 121.53 + k * 2e-4,
            }
            for k in range(1, n + 1)
        ]

    demo = demo_city()
    return {
        "name": "E2E town",
        "timezone": "Asia/Shanghai",
        "tariffs": demo["tariffs"],
        "workday_calendar": demo["workday_calendar"],
        "parking_zones": [
            {"id": "Z01", "name": "Main", "tariff": "main-road", "spaces": spaces("Z01", 30, 0)},
            {"id": "Z02", "name": "Side", "tariff": "secondary", "spaces": spaces("Z02", 20, 0.01)},
        ],
        "sanitation_districts": [
            {"id": "D1", "name": "East", "clearance_deadline": "19:00", "bins": bins("D1", 15, 0)},
            {
                "id": "D2",
                "name": "West",
                "clearance_deadline": "18:30",
                "bins": bins("D2", 10, 0.01),
            },
        ],
        "transfer_stations": [{"id": "TS1", "name": "Station", "lat": 29.85, "lon": 121.52}],
        "trucks": [{"id": "T01", "station": "TS1"}, {"id": "T02", "station": "TS1"}],
    }


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_env(settings: Settings, city_file: Path, **extra: str) -> dict[str, str]:
    """The environment a Curbside process needs to use these settings and this city."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    env.update(
        CURBSIDE_MQTT_HOST=settings.mqtt_host,
        CURBSIDE_MQTT_PORT=str(settings.mqtt_port),
        CURBSIDE_INFLUX_URL=settings.influx_url,
        CURBSIDE_INFLUX_DB=settings.influx_db,
        CURBSIDE_INFLUX_USERNAME=settings.influx_username or "",
        CURBSIDE_INFLUX_PASSWORD=(
            settings.influx_password.get_secret_value() if settings.influx_password else ""
        ),
        CURBSIDE_CITY_FILE=str(city_file),
        **mqtt_login_env(settings),
        **extra,
    )
    return env


def run_simulator(settings: Settings, city_file: Path, *args: str) -> None:
    """``python -m simulators`` against the test broker; fails the test if it fails."""
    result = subprocess.run(
        [
            sys.executable, "-m", "simulators",
            "--city", str(city_file),
            "--host", settings.mqtt_host,
            "--port", str(settings.mqtt_port),
            *args,
        ],
        cwd=REPO,
        env=process_env(settings, city_file),
        capture_output=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]


def read_truth(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The final record and all records of a simulator's truth file."""
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert records and records[-1]["type"] == "final", "the simulator wrote no final record"
    return records[-1], records


@contextmanager
def api_server(settings: Settings, city_file: Path, log_file: Path) -> Iterator[str]:
    """``python -m api`` on a free port, healthy; yields its base URL, stops it afterwards."""
    port = free_port()
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "--port", str(port)],
            cwd=REPO,
            env=process_env(settings, city_file, CURBSIDE_API_REFRESH_S="0.5"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for(healthy, 30, f"the API to report healthy (log: {log_file})")
            yield base
        finally:
            process.terminate()
            process.wait(10)
