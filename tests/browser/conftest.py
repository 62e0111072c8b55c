"""The real stack the browser tests drive: a simulated town's last 3 hours through real
Mosquitto, ingest and InfluxDB, one evaluation of the alert rules, and `python -m api`;
started once for the module, since a browser test only reads it (or acknowledges alerts)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Page, Playwright, sync_playwright

from curbside.adapters.influx.client import InfluxClient
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from tests.browser.chromium import CHROMIUM, chromium
from tests.e2e.town import (
    api_server,
    evaluate_bin_alerts,
    ingesting,
    read_truth,
    run_simulator,
    small_city,
    wait_until_stored,
)
from tests.records.recorder_process import recording
from tests.support import mqtt_client, wait_for

FIRES = 6  # bins set on fire at the end: more than the tests acknowledge
OVERSTAY_MINUTES = 30  # each zone's maximum stay
WAIT_MS = 30_000  # the longest a browser test waits for the page


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture
def page(playwright: Playwright) -> Iterator[Page]:
    """A fresh browser profile per test; any uncaught script error fails the test."""
    with chromium(playwright) as context:
        opened = context.new_page()
        opened.set_default_timeout(WAIT_MS)
        errors: list[str] = []
        opened.on("pageerror", lambda exc: errors.append(str(exc)))
        yield opened
        assert errors == [], errors


@dataclass(frozen=True)
class Town:
    """A running API over a simulated town, its keys, and what the simulator says is true."""

    base: str
    api: httpx.Client  # presents an admin key
    keys_file: Path  # the API's: tests issue the keys they sign in with here
    truth: dict[str, Any]  # the simulator's final record
    alerts: int  # alerts the evaluation left active


@pytest.fixture(scope="module")
def town(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/bootstrap --test installs Debian's chromium")
    unique = uuid.uuid4().hex[:10]
    tmp = tmp_path_factory.mktemp("browser")
    settings = base_settings.replace(
        influx_db=f"test_{unique}",
        mqtt_client_id=f"ingest-{unique}",
        api_keys_file=tmp / "api-keys.json",
    )
    city_file = tmp / "city.yaml"
    city = small_city()
    for zone in city["parking_zones"]:
        # Short enough that some of the simulated stays overrun it: overstay alerts to list.
        zone["max_stay_minutes"] = OVERSTAY_MINUTES
    # Trucks on shift round the clock, so the dispatch view has routes to show whatever the
    # hour the tests run at (the default 06:00-20:00 shift plans no route at night).
    city["trucks"] = [
        truck | {"shift_start": "00:00", "shift_end": "23:59"} for truck in city["trucks"]
    ]
    city_file.write_text(yaml.safe_dump(city, allow_unicode=True))
    influx = InfluxClient.from_settings(settings)
    influx.ensure_database()
    truth_file = tmp / "truth.jsonl"
    now = datetime.now(UTC).replace(microsecond=0)
    # The recorder follows the same traffic into a record store of the module's own, so the
    # reports view has records to show.
    records_url = f"sqlite:///{tmp / 'records.sqlite3'}"
    try:
        with (
            recording(settings, records_url, city_file, f"recorder-{unique}") as recorder,
            ingesting(settings, city_file) as ingester,
        ):
            run_simulator(
                settings,
                city_file,
                "--start", (now - timedelta(hours=3)).isoformat(),
                "--duration", "3h",
                "--speed", "max",
                "--seed", "8",
                "--incidents", "overfill=3,fire=1",
                "--truth", str(truth_file),
            )  # fmt: skip
            final, _ = read_truth(truth_file)
            wait_until_stored(ingester, final["published"])
            wait_for(
                lambda: recorder.recorded_messages >= final["published"],
                60,
                "the recorder to record the town",
            )
            _set_bins_on_fire(settings, final["bins"], FIRES)
            wait_until_stored(ingester, final["published"] + FIRES)
            evaluated = evaluate_bin_alerts(settings, influx, load_city(city_file), overstays=True)
            alerts = len(evaluated.active())
            with api_server(
                settings, city_file, tmp / "api.log", CURBSIDE_RECORDS_URL=records_url
            ) as api:
                yield Town(
                    base=str(api.base_url).rstrip("/"),
                    api=api,
                    keys_file=settings.api.keys_file,
                    truth=final,
                    alerts=alerts,
                )
    finally:
        influx.query(f'DROP DATABASE "{settings.influx.db}"')
        influx.close()


@dataclass(frozen=True)
class County:
    """A running API over the demo county with an empty database: its layout, docs and pages
    without any data, e.g. for the whole-city map or the docs."""

    base: str
    key: str  # an admin's


@contextmanager
def county_database(settings: Settings, tmp: Path) -> Iterator[tuple[Settings, InfluxClient]]:
    """Settings for the demo county over an InfluxDB database of its own (dropped afterwards)
    and a keys file in ``tmp``, with a client of that database."""
    settings = settings.replace(
        influx_db=f"test_{uuid.uuid4().hex[:10]}", api_keys_file=tmp / "api-keys.json"
    )
    influx = InfluxClient.from_settings(settings)
    influx.ensure_database()  # the API is healthy once it reaches its database
    try:
        yield settings, influx
    finally:
        influx.query(f'DROP DATABASE "{settings.influx.db}"')
        influx.close()


@pytest.fixture(scope="module")
def county(base_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    tmp = tmp_path_factory.mktemp("county")
    with (
        county_database(base_settings, tmp) as (settings, _),
        api_server(settings, settings.city_file, tmp / "api.log") as client,
    ):
        token = client.headers["Authorization"].removeprefix("Bearer ")
        yield County(base=str(client.base_url).rstrip("/"), key=token)


def _set_bins_on_fire(settings: Settings, bins: dict[str, dict[str, float]], count: int) -> None:
    """Fires now in ``count`` bins, at their true fill, so alerts are active whatever the hour
    (the simulated incidents, overfilling and a fire that may be over, depend on the time of
    day) and enough of them for every test that acknowledges one."""
    places = [(d, b, fill) for d, fills in bins.items() for b, fill in fills.items()][:count]
    client = mqtt_client(settings)
    try:
        for district, bin_id, fill in places:
            payload = json.dumps({"fill_pct": fill, "temp_c": 90.0, "ts": int(time.time())})
            topic = f"sanitation/{district}/{bin_id}/fill"
            client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
