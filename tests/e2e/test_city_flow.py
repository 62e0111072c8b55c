"""End to end: a seeded simulated city through real Mosquitto, ingest and InfluxDB, and the
API's answers compared with the simulator's ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curbside.adapters.influx.client import InfluxClient
from curbside.config.settings import Settings
from ingest.service import Ingester
from tests.e2e.town import (
    api_server,
    check_bins,
    check_parking,
    read_truth,
    run_simulator,
    wait_until_stored,
)

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

    wait_until_stored(ingester, final["published"])
    rejected = ingester.metrics.rejected_by_reason()
    assert sum(rejected.values()) == final["malformed"], rejected

    with api_server(settings, city_file, tmp_path / "api.log") as api:
        check_parking(api, final["spaces"])
        check_bins(api, final["bins"])
