"""End to end, the loop closed: the API plans, its routes go out retained on the real broker,
``python -m simulators --trucks plan`` drives them (reporting progress and emptyings as the
trucks' hardware would), ingest stores the bins' reports, the recorder freezes the day's
clearance, and the clearance report equals the simulator's ground truth, bin by bin.

Time: the simulator replays a whole past local day at 360× (about three minutes). The API runs
in this process with its clock set to the simulated time seen on the broker, and is asked to
plan at the cadence (06:00, 11:30, 17:00) and once more at 17:20, when trucks are on the road.
The day is before the recorder's grace, so a recorder started afterwards freezes it at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy.orm import Session

from api.app import create_app
from api.deps import get_now, get_records
from curbside.adapters.records.engine import session_factory
from curbside.adapters.records.sanitation_store import last_frozen_day
from curbside.city.registry import load_city
from curbside.config.settings import Settings
from ingest.service import Ingester
from tests.e2e.test_sanitation_day import _expected_clearance
from tests.e2e.town import REPO, process_env, read_truth, wait_until_stored
from tests.records.databases import BACKENDS, empty_records_database
from tests.records.recorder_process import recording
from tests.support import admin_client, mqtt_client, wait_for

pytestmark = pytest.mark.e2e

SPEED = 360
PLAN_AT = (time(6, 0), time(11, 30), time(17, 0), time(17, 20))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class SimulatedTime:
    """The latest ``ts`` the bins have published: where the simulation stands."""

    def __init__(self) -> None:
        self.latest: datetime | None = None
        self._lock = threading.Lock()

    def __call__(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            ts = _at(json.loads(message.payload)["ts"])
        except (ValueError, KeyError):
            return
        with self._lock:
            if self.latest is None or ts > self.latest:
                self.latest = ts


def _simulator(
    settings: Settings, city_file: Path, args: list[str], log: BinaryIO
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "simulators", "--city", str(city_file),
         "--host", settings.mqtt.host, "--port", str(settings.mqtt.port), *args],
        cwd=REPO, env=process_env(settings, city_file),
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip


@pytest.fixture
def clean_routes(settings: Settings) -> Iterator[None]:
    """No retained route of another test's trucks may reach this one's simulator."""

    def clear() -> None:
        client = mqtt_client(settings)
        try:
            for truck in ("T01", "T02"):
                client.publish(f"dispatch/{truck}/route", b"", qos=1, retain=True).wait_for_publish(
                    5
                )
        finally:
            client.disconnect()
            client.loop_stop()

    clear()
    yield
    clear()


def _plans_followed(
    plans: list[tuple[datetime, dict[str, Any]]], records: list[dict[str, Any]]
) -> None:
    """Every bin a truck emptied (or passed, a skip incident) was on a route the API gave that
    truck; and each truck drove the last plan's bins, each after the plan before it."""
    routed: dict[str, set[str]] = defaultdict(set)
    for _, plan in plans:
        for route in plan["routes"]:
            routed[route["truck"]] |= {s["id"] for s in route["stops"] if s["kind"] == "bin"}
    visits = [
        (r["truck"], r["bin"], _at(r["ts"]))
        for r in records
        if r["type"] == "emptied" or (r["type"] == "incident" and r["kind"] == "skip")
    ]
    assert visits, "no truck emptied anything"
    for truck, bin_id, _ in visits:
        assert bin_id in routed[truck], f"{truck} emptied {bin_id}, which no route gave it"
    (before, _), (last_at, last) = plans[-2], plans[-1]
    assert last["routes"], "the last plan sent no truck: nothing was checked"
    for route in last["routes"]:
        wanted = [s["id"] for s in route["stops"] if s["kind"] == "bin"]
        done = [b for truck, b, at in visits if truck == route["truck"] and at >= before]
        missing = [b for b in wanted if b not in done]
        assert not missing, f"{route['truck']} did not drive {missing} of the plan of {last_at}"


@pytest.fixture(params=BACKENDS)
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The day is frozen and reported from each of the two record stores."""
    with empty_records_database(request.param, tmp_path) as url:
        yield url


@pytest.mark.usefixtures("clean_routes")
def test_trucks_following_the_plan_clear_what_the_report_says(
    *,
    settings: Settings,
    ingester: Ingester,
    city_file: Path,
    records_url: str,
    tmp_path: Path,
    unique: str,
) -> None:
    city = load_city(city_file)
    tz = city.tz
    # The day before yesterday: over, with the next morning's readings, whatever the hour.
    day: date = datetime.now(tz).date() - timedelta(days=2)
    start = datetime.combine(day, time(5, 0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0, 15), tz)
    truth_file = tmp_path / "truth.jsonl"

    seen = SimulatedTime()
    watcher = mqtt_client(settings)
    watcher.on_message = seen
    watcher.subscribe("sanitation/+/+/fill", qos=0)
    clock = [start]
    app = create_app(
        settings.replace(
            api_dispatch_time_limit_s=1.0,
            api_dispatch_check_s=0,
            api_refresh_s=0.5,
            records_url=records_url,
        ),
        city,
    )
    app.dependency_overrides[get_now] = lambda: clock[0]
    plans: list[tuple[datetime, dict[str, Any]]] = []
    try:
        with ExitStack() as stack, admin_client(app, settings) as api:
            log = stack.enter_context((tmp_path / "simulator.log").open("wb"))
            simulator = _simulator(
                settings, city_file,
                ["--devices", "bins", "--trucks", "plan", "--start", start.isoformat(),
                 "--duration", str(int((end - start).total_seconds())), "--speed", str(SPEED),
                 "--seed", "15", "--incidents", "skip=0.15", "--truth", str(truth_file),
                 "--log-every", "0"],
                log,
            )  # fmt: skip
            try:
                for moment in PLAN_AT:
                    due = datetime.combine(day, moment, tz)
                    wait_for(
                        lambda due=due: seen.latest is not None and seen.latest >= due,  # type: ignore[misc]
                        120,
                        f"simulated time to reach {due}",
                        interval_s=0.05,
                    )
                    assert seen.latest is not None
                    clock[0] = seen.latest
                    answer = api.post("/api/v1/dispatch/replan")
                    assert answer.status_code == 200, answer.text
                    plans.append((seen.latest, answer.json()))
                assert simulator.wait(timeout=600) == 0, (tmp_path / "simulator.log").read_text()[
                    -2000:
                ]
            finally:
                if simulator.poll() is None:
                    simulator.kill()
    finally:
        watcher.disconnect()
        watcher.loop_stop()

    _, records = read_truth(truth_file)
    sensor_messages = sum(1 for r in records if r["type"] in ("fill", "emptied"))
    wait_until_stored(ingester, sensor_messages)
    _plans_followed(plans, records)

    # A recorder with an empty store freezes the last day closed, grace included: a grace
    # that ends just after the simulated day makes that day the one.
    grace = datetime.now(UTC) - datetime.combine(day + timedelta(days=1), time(0, 10), tz)
    frozen_at_once = settings.replace(recorder_freeze_grace_s=int(grace.total_seconds()))
    with recording(frozen_at_once, records_url, city_file, f"recorder-{unique}") as recorder:
        wait_for(lambda: _frozen(recorder.engine) == day, 60, f"the recorder to freeze {day}")
        app = create_app(settings.replace(records_url=records_url), city)
        app.dependency_overrides[get_records] = lambda: session_factory(recorder.engine)
        app.dependency_overrides[get_now] = lambda: datetime.now(UTC)
        with admin_client(app, settings) as api:
            report = api.get("/api/v1/sanitation/clearance", params={"date": day.isoformat()})
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["frozen"] is True, body
    expected = _expected_clearance(records, city, day)
    for got in body["districts"]:
        want = expected[got["district"]]
        assert got["needed"] == len(want["needed"]), got
        assert set(got["not_cleared"]) == want["needed"] - want["cleared"], got
        assert set(got["late"]) == want["late"], got
    on_time = sum(len(w["cleared"] - w["late"]) for w in expected.values())
    assert on_time > 0, "no bin was cleared on time: the plan proved nothing"
    assert sum(len(w["needed"] - w["cleared"]) for w in expected.values()) > 0, (
        "every bin was cleared: the report's not-cleared count is untested"
    )


def _frozen(engine: Any) -> date | None:
    with Session(engine) as db:
        return last_frozen_day(db)
