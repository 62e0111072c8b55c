"""End to end: a seeded simulated city through real Mosquitto, ingest and InfluxDB, and the
API's answers compared with the simulator's ground truth."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from config.settings import Settings
from ingest.service import Ingester
from store.influx import InfluxClient
from tests.support import forget_session, wait_for

pytestmark = pytest.mark.e2e

REPO = Path(__file__).parents[2]


def _small_city() -> dict[str, Any]:
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

    return {
        "name": "E2E town",
        "timezone": "Asia/Shanghai",
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(settings: Settings, city_file: Path, **extra: str) -> dict[str, str]:
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
        **extra,
    )
    return env


def _truth(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert records and records[-1]["type"] == "final", "the simulator wrote no final record"
    return records[-1], records


@pytest.fixture
def city_file(tmp_path: Path) -> Path:
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(_small_city(), allow_unicode=True))
    return path


def test_simulated_city_matches_ground_truth_through_the_whole_stack(
    settings: Settings, influx: InfluxClient, city_file: Path, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"city_file": city_file})
    ingester = Ingester(settings)
    ingester.start()
    api: subprocess.Popen[bytes] | None = None
    try:
        wait_for(
            lambda: ingester.metrics.value("curbside_ingest_broker_connected") == 1, 10, "ingest"
        )
        truth_file = tmp_path / "truth.jsonl"
        start = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
        simulator = subprocess.run(
            [
                sys.executable, "-m", "simulators",
                "--city", str(city_file),
                "--start", start.isoformat(),
                "--duration", "3h",
                "--speed", "max",
                "--seed", "11",
                "--faults", "duplicate=0.05,reorder=0.05,malformed=0.02",
                "--truth", str(truth_file),
                "--host", settings.mqtt_host,
                "--port", str(settings.mqtt_port),
            ],
            cwd=REPO,
            env=_env(settings, city_file),
            capture_output=True,
            timeout=300,
            check=False,
        )  # fmt: skip
        assert simulator.returncode == 0, simulator.stderr.decode()[-2000:]
        final, records = _truth(truth_file)
        assert final["published"] > 1000, "the simulation was too small to prove anything"
        assert final["malformed"] > 0, "the fault mix must include malformed messages"
        assert any(r["type"] == "fault" and r["kind"] == "reorder" for r in records)

        wait_for(
            lambda: (
                ingester.metrics.value("curbside_ingest_received_total") >= final["published"]
                and ingester.metrics.value("curbside_ingest_pending_points") == 0
            ),
            120,
            f"ingest to receive all {final['published']} messages and write them",
        )
        rejected = ingester.metrics.rejected_by_reason()
        assert sum(rejected.values()) == final["malformed"], rejected

        port = _free_port()
        api_log = (tmp_path / "api.log").open("wb")
        api = subprocess.Popen(
            [sys.executable, "-m", "api", "--port", str(port)],
            cwd=REPO,
            env=_env(settings, city_file, CURBSIDE_API_REFRESH_S="0.5"),
            stdout=api_log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 30, f"the API to report healthy (log: {tmp_path / 'api.log'})")
        _check_parking(base, final["spaces"])
        _check_bins(base, final["bins"])
    finally:
        if api is not None:
            api.terminate()
            api.wait(10)
            api_log.close()
        ingester.stop()
        forget_session(settings, settings.mqtt_client_id)


def _check_parking(base: str, truth: dict[str, dict[str, bool]]) -> None:
    zones = httpx.get(f"{base}/api/v1/parking/occupancy").json()
    by_zone = {z["zone"]: z for z in zones}
    assert set(by_zone) == set(truth)
    for zone, spaces in truth.items():
        occupied = sum(1 for v in spaces.values() if v)
        answer = by_zone[zone]
        assert (answer["capacity"], answer["occupied"], answer["free"], answer["unknown"]) == (
            len(spaces),
            occupied,
            len(spaces) - occupied,
            0,
        ), zone
        assert answer["occupancy_rate"] == pytest.approx(occupied / len(spaces))
        listed = httpx.get(f"{base}/api/v1/parking/spaces", params={"zone": zone}).json()
        assert {s["space"]: s["occupied"] for s in listed} == spaces


def _check_bins(base: str, truth: dict[str, dict[str, float]]) -> None:
    for district, bins in truth.items():
        listed = httpx.get(f"{base}/api/v1/sanitation/bins", params={"district": district}).json()
        got = {b["bin"]: b["fill_pct"] for b in listed}
        assert set(got) == set(bins)
        for bin_id, fill in bins.items():
            # Distance sensors are converted at 0.1 cm resolution: at most 0.1 % apart.
            assert got[bin_id] == pytest.approx(fill, abs=0.11), bin_id
