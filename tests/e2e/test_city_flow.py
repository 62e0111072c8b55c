"""End to end: a seeded simulated city through real Mosquitto, ingest and InfluxDB, and the
API's answers compared with the simulator's ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from config.settings import Settings
from ingest.service import Ingester
from store.influx import InfluxClient
from tests.e2e.town import api_server, read_truth, run_simulator
from tests.support import wait_for

pytestmark = pytest.mark.e2e


def test_simulated_city_matches_ground_truth_through_the_whole_stack(
    settings: Settings, influx: InfluxClient, ingester: Ingester, city_file: Path, tmp_path: Path
) -> None:
    truth_file = tmp_path / "truth.jsonl"
    start = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    run_simulator(
        settings,
        city_file,
        "--start", start.isoformat(),
        "--duration", "3h",
        "--speed", "max",
        "--seed", "11",
        "--faults", "duplicate=0.05,reorder=0.05,malformed=0.02",
        "--truth", str(truth_file),
    )  # fmt: skip
    final, records = read_truth(truth_file)
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

    with api_server(settings, city_file, tmp_path / "api.log") as api:
        _check_parking(api, final["spaces"])
        _check_bins(api, final["bins"])


def _check_parking(api: httpx.Client, truth: dict[str, dict[str, bool]]) -> None:
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


def _check_bins(api: httpx.Client, truth: dict[str, dict[str, float]]) -> None:
    for district, bins in truth.items():
        listed = api.get("/api/v1/sanitation/bins", params={"district": district}).json()
        got = {b["bin"]: b["fill_pct"] for b in listed}
        assert set(got) == set(bins)
        for bin_id, fill in bins.items():
            # Distance sensors are converted at 0.1 cm resolution: at most 0.1 % apart.
            assert got[bin_id] == pytest.approx(fill, abs=0.11), bin_id
