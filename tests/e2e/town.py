"""A small simulated town, and the plumbing to run the real processes against it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from curbside.adapters.influx.alerts import AlertStore
from curbside.adapters.influx.client import InfluxClient
from curbside.adapters.influx.history import HistoryReader
from curbside.adapters.influx.latest import LatestReader
from curbside.adapters.influx.sanitation_history import SanitationHistoryReader
from curbside.city.demo import demo_city
from curbside.city.registry import City
from curbside.config.rules import alert_thresholds, clearance_rules, session_rules
from curbside.config.settings import Settings
from curbside.evaluator import ConditionSource, Evaluator
from curbside.readmodels.alert_sources import (
    DeviceStateSource,
    OverstaySource,
    SanitationSource,
)
from ingest.service import Ingester
from tests.support import bearer, forget_session, issue_key, wait_for
from tools.harness.ports import free_port
from tools.harness.processes import CurbsideProcess, settings_env

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


def process_env(settings: Settings, city_file: Path, **extra: str) -> dict[str, str]:
    """The environment a Curbside process needs to use these settings and this city."""
    return settings_env(settings.replace(city_file=city_file), **extra)


def run_simulator(settings: Settings, city_file: Path, *args: str) -> None:
    """``python -m simulators`` against the test broker; fails the test if it fails."""
    result = subprocess.run(
        [
            sys.executable, "-m", "simulators",
            "--city", str(city_file),
            "--host", settings.mqtt.host,
            "--port", str(settings.mqtt.port),
            *args,
        ],
        cwd=REPO,
        env=process_env(settings, city_file),
        capture_output=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]


@contextmanager
def ingesting(settings: Settings, city_file: Path) -> Iterator[Ingester]:
    """An ingester for this city on the settings' database, connected; its MQTT session is
    forgotten afterwards so it collects nothing for later tests."""
    running = Ingester(settings.replace(city_file=city_file))
    running.start()
    try:
        wait_for(
            lambda: running.metrics.value("curbside_ingest_broker_connected") == 1,
            10,
            "ingest to connect",
        )
        yield running
    finally:
        running.stop()
        forget_session(settings, settings.mqtt.client_id)


def wait_until_stored(ingester: Ingester, published: int) -> None:
    """Wait until ingest has received the simulator's ``published`` messages and written
    every point (rejected ones count as received)."""
    wait_for(
        lambda: (
            ingester.metrics.value("curbside_ingest_received_total") >= published
            and ingester.metrics.value("curbside_ingest_pending_points") == 0
        ),
        120,
        f"ingest to receive all {published} messages and write them",
    )


def evaluate_bin_alerts(
    settings: Settings, influx: InfluxClient, city: City, *, overstays: bool = False
) -> AlertStore:
    """One round of the bin and sensor alert rules now (and, if asked, the overstay rule), as
    the evaluator process runs them (alerts stored, not published); returns the store to read
    them from."""
    store = AlertStore(influx)
    thresholds = alert_thresholds(settings)
    sources: list[ConditionSource] = [
        DeviceStateSource(LatestReader(influx, timedelta(days=7)), city, thresholds),
        SanitationSource(
            SanitationHistoryReader(influx), city, thresholds, clearance_rules(settings)
        ),
    ]
    if overstays:
        rules = session_rules(settings)
        stale = timedelta(seconds=settings.space_stale_after_s)
        sources.append(OverstaySource(HistoryReader(influx, rules, stale), city, rules))
    Evaluator(store, sources, lambda alert: None).evaluate(datetime.now(UTC))
    return store


def read_truth(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The final record and all records of a simulator's truth file."""
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert records and records[-1]["type"] == "final", "the simulator wrote no final record"
    return records[-1], records


@contextmanager
def api_server(
    settings: Settings, city_file: Path, log_file: Path, **env: str
) -> Iterator[httpx.Client]:
    """``python -m api`` on a free port, healthy, with the settings' keys file; yields a
    client of it presenting a new admin key, and stops the server afterwards."""
    port = free_port()
    token = issue_key(settings.api.keys_file, name="e2e-admin")
    env = process_env(
        settings,
        city_file,
        CURBSIDE_API_REFRESH_S="0.5",
        CURBSIDE_API_KEYS_FILE=str(settings.api.keys_file),
        **env,
    )
    api = CurbsideProcess("api", ["api", "--port", str(port)], env, log_file).start()
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        api.check_running()
        try:
            return httpx.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, 30, f"the API to report healthy (log: {log_file})")
        with httpx.Client(base_url=base, headers=bearer(token), timeout=30) as client:
            yield client
    finally:
        api.stop(10)


def check_parking(api: httpx.Client, truth: dict[str, dict[str, bool]]) -> None:
    """The API's occupancy per zone and per space equals the simulator's true occupancy."""
    zones = api.get("/api/v1/parking/occupancy").json()
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
        listed = api.get("/api/v1/parking/spaces", params={"zone": zone}).json()
        assert {s["space"]: s["occupied"] for s in listed} == spaces


def check_bins(api: httpx.Client, truth: dict[str, dict[str, float]]) -> None:
    """The API's fill of every bin equals the fill its latest published report stands for."""
    for district, bins in truth.items():
        listed = api.get("/api/v1/sanitation/bins", params={"district": district}).json()
        got = {b["bin"]: b["fill_pct"] for b in listed}
        assert set(got) == set(bins)
        for bin_id, fill in bins.items():
            # Distance sensors are converted at 0.1 cm resolution: at most 0.1 % apart.
            assert got[bin_id] == pytest.approx(fill, abs=0.11), bin_id
