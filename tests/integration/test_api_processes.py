"""``python -m api`` with ``CURBSIDE_API_PROCESSES=2``: real processes on one real port, the
real broker and InfluxDB. A key's rate limit holds across the processes; the collection plan
is one for the deployment whichever process is asked; a process that dies takes the API down.

Each request below goes on a connection of its own, so the kernel spreads them among the
processes (SO_REUSEPORT hashes each connection's addresses).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings
from tests.integration.test_dispatch_api import CITY, write_fills
from tests.support import bearer, issue_key
from tools.harness.ports import free_port
from tools.harness.processes import CurbsideProcess, child_pids, settings_env, wait_for

pytestmark = pytest.mark.integration

PROCESSES = 2
CITY_DOC = {
    "timezone": "Asia/Shanghai",
    "sanitation_districts": [
        {
            "id": d.id,
            "name": str(d.name),
            "clearance_deadline": "19:00",
            "bins": [
                {"id": b.id, "capacity_l": 240, "depth_cm": 100, "lat": b.lat, "lon": b.lon}
                for b in d.bins
            ],
        }
        for d in CITY.sanitation_districts
    ],
    "transfer_stations": [{"id": "S1", "name": "North", "lat": 29.87, "lon": 121.54}],
    "trucks": [{"id": "T03", "station": "S1"}],
}


@contextmanager
def api_processes(
    settings: Settings, tmp_path: Path, **env: str
) -> Iterator[tuple[CurbsideProcess, str]]:
    """The API from ``PROCESSES`` processes on a free port, healthy; stopped afterwards."""
    city_file = tmp_path / "city.json"
    city_file.write_text(json.dumps(CITY_DOC))
    port = free_port()
    environment = settings_env(
        settings.replace(city_file=city_file),
        CURBSIDE_API_PROCESSES=str(PROCESSES),
        CURBSIDE_API_DISPATCH_CHECK_S="0",
        CURBSIDE_API_DISPATCH_TIME_LIMIT_S="1",
        **env,
    )
    log = tmp_path / "api.log"
    api = CurbsideProcess("api", ["api", "--port", str(port)], environment, log).start()
    base = f"http://127.0.0.1:{port}"

    def all_healthy() -> bool:
        api.check_running()
        try:
            return all(httpx.get(f"{base}/health").status_code == 200 for _ in range(8))
        except httpx.HTTPError:
            return False

    try:
        wait_for(all_healthy, 60, f"the API's processes to report healthy (log: {log})")
        yield api, base
    finally:
        api.stop(15)


def test_a_key_over_its_limit_is_refused_whichever_process_answers(
    settings: Settings, influx: InfluxClient, tmp_path: Path
) -> None:
    # Ten requests at once, and nearly nothing after: 40 requests get exactly ten answers
    # in all. Limits kept per process would let each process answer ten.
    token = issue_key(settings.api.keys_file, name="limited")
    with api_processes(
        settings, tmp_path, CURBSIDE_API_RATE_PER_S="0.001", CURBSIDE_API_RATE_BURST="10"
    ) as (api, base):
        served = child_pids(api.pid)
        assert len(served) == PROCESSES
        statuses = [
            httpx.get(f"{base}/api/v1/auth/whoami", headers=bearer(token)).status_code
            for _ in range(40)
        ]
    assert statuses.count(200) == 10, statuses
    assert statuses.count(429) == 30, statuses
    # Asked to stop (SIGTERM), the API stops every process and says all is well.
    assert api.popen is not None and api.popen.returncode == 0
    assert not any(Path(f"/proc/{pid}").exists() and not _zombie(pid) for pid in served)


def test_every_process_answers_with_the_one_plan(
    settings: Settings, influx: InfluxClient, tmp_path: Path
) -> None:
    # The plan is made by one desk, and asked for on twenty connections: one answer. A desk
    # per process would make a plan of its own for whoever asked it first.
    write_fills(influx)
    token = issue_key(settings.api.keys_file, name="dispatcher")
    with api_processes(settings, tmp_path) as (_api, base):
        made = httpx.post(f"{base}/api/v1/dispatch/replan", headers=bearer(token), timeout=60)
        assert made.status_code == 200, made.text
        answers = [
            httpx.get(f"{base}/api/v1/dispatch/plan", headers=bearer(token), timeout=60)
            for _ in range(20)
        ]
    assert {a.status_code for a in answers} == {200}
    # The same plan, made at the same moment (as_of), whichever process answered.
    assert {a.text for a in answers} == {made.text}


def test_a_process_that_dies_takes_the_api_down(
    settings: Settings, influx: InfluxClient, tmp_path: Path
) -> None:
    with api_processes(settings, tmp_path) as (api, _base):
        first, second = child_pids(api.pid)
        os.kill(second, signal.SIGKILL)
        wait_for(lambda: not api.running, 30, "the API to stop")
        assert api.popen is not None and api.popen.returncode == 1
        assert not Path(f"/proc/{first}").exists() or _zombie(first)
    log = (tmp_path / "api.log").read_text()
    assert f"(pid {second}) exited by itself (killed by SIGKILL): stopping the API" in log


def _zombie(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"
